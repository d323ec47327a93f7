#include "operators/eim_function.hpp"

#include <algorithm>
#include <cmath>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"

namespace kolmo::operators {

EimFunction::EimFunction(MPI_Comm comm, PointSet points, PointFunction function,
                         std::vector<Mu> training, const EimOptions& options)
    : points_(std::move(points)), function_(std::move(function)), training_(std::move(training)) {
  const bool consistent =
      points_.dimension >= 1 &&
      points_.coordinates.size() == points_.size() * static_cast<std::size_t>(points_.dimension) &&
      (points_.weights.empty() || points_.weights.size() == points_.size());
  KOLMO_CHECK(all_ranks(comm, consistent),
              "EIM: the point set needs `dimension` coordinates and (if any) one weight per id");
  KOLMO_CHECK(function_, "EIM: no function to interpolate");
  KOLMO_CHECK(!training_.empty(), "EIM: the training set is empty");
  interpolation_ =
      EmpiricalInterpolation::build(comm, snapshots(), points_.ids, points_.weights, options);
  locate_points();
}

Eigen::MatrixXd EimFunction::snapshots() const {
  Eigen::MatrixXd s(static_cast<Eigen::Index>(points_.size()),
                    static_cast<Eigen::Index>(training_.size()));
  for (std::size_t j = 0; j < training_.size(); ++j)
    for (std::size_t i = 0; i < points_.size(); ++i)
      s(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          function_(points_.point(i), training_[j]);
  return s;
}

// Broadcast the coordinates of the interpolation and indicator points from their owners.
void EimFunction::locate_points() {
  const auto& points = interpolation_.points();
  const auto& indicator = interpolation_.indicator_points();
  const int dim = points_.dimension;
  const std::size_t count = points.size() + indicator.size();
  std::vector<double> local(count * static_cast<std::size_t>(dim), 0.0), global(local.size());
  // Every coordinate has exactly one owner; the others contribute zeros to the sum.
  for (std::size_t k = 0; k < count; ++k) {
    const EimPoint& p = k < points.size() ? points[k] : indicator[k - points.size()];
    if (p.local < 0) continue;
    const auto x = points_.point(static_cast<std::size_t>(p.local));
    for (int d = 0; d < dim; ++d) local[k * static_cast<std::size_t>(dim) + static_cast<std::size_t>(d)] = x[d];
  }
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(global.size()), MPI_DOUBLE, MPI_SUM,
                interpolation_.comm());
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> all(
      global.data(), static_cast<Eigen::Index>(count), dim);
  magic_ = all.topRows(static_cast<Eigen::Index>(points.size()));
  indicator_ = all.bottomRows(static_cast<Eigen::Index>(indicator.size()));
}

std::vector<double> EimFunction::values_at(const Eigen::MatrixXd& coordinates, const Mu& mu) const {
  std::vector<double> values(static_cast<std::size_t>(coordinates.rows()));
  Eigen::VectorXd x(coordinates.cols());
  for (Eigen::Index k = 0; k < coordinates.rows(); ++k) {
    x = coordinates.row(k).transpose();
    values[static_cast<std::size_t>(k)] = function_(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())), mu);
  }
  return values;
}

Eigen::VectorXd EimFunction::coefficients(const Mu& mu) const {
  return interpolation_.coefficients(values_at(magic_, mu));
}

double EimFunction::error_indicator(const Mu& mu) const {
  return interpolation_.error_indicator(values_at(magic_, mu), values_at(indicator_, mu));
}

void EimFunction::evaluate(const Mu& mu, std::span<double> local) const {
  KOLMO_CHECK(local.size() == points_.size(),
              "EIM evaluate: " << local.size() << " values for " << points_.size() << " points");
  for (std::size_t i = 0; i < points_.size(); ++i) local[i] = function_(points_.point(i), mu);
}

void EimFunction::interpolate(const Mu& mu, std::span<double> local) const {
  interpolation_.interpolate(coefficients(mu), local);
}

std::vector<Mu> EimFunction::selected_parameters() const {
  std::vector<Mu> mus;
  for (std::size_t j : interpolation_.selected()) mus.push_back(training_[j]);
  return mus;
}

double EimFunction::interpolate_at(std::span<const double> x, const Mu& mu) const {
  KOLMO_CHECK(static_cast<int>(x.size()) == points_.dimension,
              "EIM: a point of dimension " << x.size() << " for a set of dimension " << points_.dimension);
  const int m = size();
  // G_ij = g(x_i; mu_j): the training snapshots the greedy kept, at the interpolation points.
  Eigen::MatrixXd g(interpolation_.num_points(), m);
  for (int j = 0; j < m; ++j)
    g.col(j) = interpolation_.point_values().col(
        static_cast<Eigen::Index>(interpolation_.selected()[static_cast<std::size_t>(j)]));
  const std::vector<double> at_points = values_at(magic_, mu);
  const Eigen::VectorXd c =
      g.colPivHouseholderQr().solve(Eigen::Map<const Eigen::VectorXd>(at_points.data(), g.rows()));
  double value = 0.0;
  for (int j = 0; j < m; ++j)
    value += function_(x, training_[interpolation_.selected()[static_cast<std::size_t>(j)]]) * c(j);
  return value;
}

double EimFunction::error(const Mu& mu, EimNorm norm) const {
  std::vector<double> exact(points_.size()), approximate(points_.size());
  evaluate(mu, exact);
  interpolate(mu, approximate);
  double local = 0.0;
  for (std::size_t i = 0; i < points_.size(); ++i) {
    const double e = std::abs(exact[i] - approximate[i]);
    if (norm == EimNorm::max)
      local = std::max(local, e);
    else
      local += (points_.weights.empty() ? 1.0 : points_.weights[i]) * e * e;
  }
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, norm == EimNorm::max ? MPI_MAX : MPI_SUM, comm());
  return norm == EimNorm::max ? global : std::sqrt(global);
}

EimFunction EimFunction::truncated(int m) const {
  EimFunction f;
  f.points_ = points_;
  f.function_ = function_;
  f.training_ = training_;
  f.interpolation_ = interpolation_.truncated(m);
  f.magic_ = magic_.topRows(m);
  // The truncated indicator points: the next magic points, then the full EIM's indicator points.
  const Eigen::Index count = static_cast<Eigen::Index>(f.interpolation_.indicator_points().size());
  Eigen::MatrixXd after(magic_.rows() - m + indicator_.rows(), magic_.cols());
  after << magic_.bottomRows(magic_.rows() - m), indicator_;
  f.indicator_ = after.topRows(count);
  return f;
}

EimFunction EimFunction::with_points(std::span<const std::size_t> dropped, int extra) const {
  EimFunction f;
  f.points_ = points_;
  f.function_ = function_;
  f.training_ = training_;
  f.interpolation_ = interpolation_.with_points(dropped, extra, snapshots(), points_.ids);
  f.locate_points();
  return f;
}

}  // namespace kolmo::operators

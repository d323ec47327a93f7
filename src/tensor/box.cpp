#include "tensor/box.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

Box::Box(std::vector<double> lower, std::vector<double> upper)
    : lower_(std::move(lower)), upper_(std::move(upper)) {
  KOLMO_INPUT_CHECK(lower_.size() == upper_.size(),
                    "box: " << lower_.size() << " lower bounds but " << upper_.size()
                            << " upper bounds");
  KOLMO_INPUT_CHECK(!lower_.empty() && lower_.size() <= static_cast<std::size_t>(DenseTensor::max_order),
                    "box: the dimension must be 1.." << DenseTensor::max_order << ", got "
                                                     << lower_.size());
  for (std::size_t l = 0; l < lower_.size(); ++l) {
    KOLMO_INPUT_CHECK(std::isfinite(lower_[l]) && std::isfinite(upper_[l]),
                      "box: side " << l << " has a non-finite bound [" << lower_[l] << ", "
                                   << upper_[l] << "]");
    KOLMO_INPUT_CHECK(upper_[l] > lower_[l], "box: side " << l << " [" << lower_[l] << ", "
                                                          << upper_[l]
                                                          << "] has zero or negative width");
  }
}

Box Box::cube(int d, double a, double b) {
  KOLMO_INPUT_CHECK(d >= 1, "box: the dimension must be >= 1, got " << d);
  return Box(std::vector<double>(static_cast<std::size_t>(d), a),
             std::vector<double>(static_cast<std::size_t>(d), b));
}

double Box::volume() const {
  double v = 1.0;
  for (int l = 0; l < dims(); ++l) v *= width(l);
  return v;
}

bool Box::contains(std::span<const double> x, double slack) const {
  if (x.size() != lower_.size()) return false;
  for (std::size_t l = 0; l < x.size(); ++l) {
    const double pad = slack * (upper_[l] - lower_[l]);
    if (!(x[l] >= lower_[l] - pad && x[l] <= upper_[l] + pad)) return false;
  }
  return true;
}

BatchFunction batched(PointFunction f) {
  return [f = std::move(f)](const Eigen::MatrixXd& points, Eigen::VectorXd& values) {
    for (Index p = 0; p < points.cols(); ++p)
      values[p] = f(std::span<const double>(points.col(p).data(),
                                            static_cast<std::size_t>(points.rows())));
  };
}

Eigen::VectorXd uniform_points(Index n, double a, double b) {
  KOLMO_CHECK(n >= 1, "uniform_points: need at least one point, got " << n);
  if (n == 1) return Eigen::VectorXd::Constant(1, 0.5 * (a + b));
  Eigen::VectorXd x(n);
  const double h = (b - a) / static_cast<double>(n - 1);
  for (Index i = 0; i < n; ++i) x[i] = a + h * static_cast<double>(i);
  x[n - 1] = b;
  return x;
}

DenseTensor sample_grid_slab(const BatchFunction& f, const std::vector<Eigen::VectorXd>& grid,
                             Index last_begin, Index last_count, Index batch_size) {
  const int d = static_cast<int>(grid.size());
  KOLMO_CHECK(d >= 1 && d <= DenseTensor::max_order, "sample_grid: " << d << " coordinates");
  KOLMO_CHECK(last_begin >= 0 && last_count >= 0 && last_begin + last_count <= grid.back().size(),
              "sample_grid: slab [" << last_begin << ", " << last_begin + last_count
                                    << ") outside the last coordinate's " << grid.back().size()
                                    << " points");
  Dims dims(grid.size());
  for (int l = 0; l < d; ++l) dims[static_cast<std::size_t>(l)] = grid[static_cast<std::size_t>(l)].size();
  dims.back() = last_count;
  DenseTensor t(dims);
  const Index total = t.size();
  batch_size = std::max<Index>(1, batch_size);
  Eigen::MatrixXd points(d, std::min(batch_size, total));
  Eigen::VectorXd values(points.cols());
  std::vector<Index> index(static_cast<std::size_t>(d), 0);
  for (Index start = 0; start < total; start += batch_size) {
    const Index count = std::min(batch_size, total - start);
    if (points.cols() != count) {
      points.resize(d, count);
      values.resize(count);
    }
    for (Index p = 0; p < count; ++p) {
      for (int l = 0; l < d; ++l) {
        const auto ul = static_cast<std::size_t>(l);
        points(l, p) = grid[ul][index[ul] + (l == d - 1 ? last_begin : 0)];
      }
      for (std::size_t l = 0; l < index.size(); ++l) {
        if (++index[l] < dims[l]) break;
        index[l] = 0;
      }
    }
    values.setConstant(std::numeric_limits<double>::quiet_NaN());
    f(points, values);
    KOLMO_CHECK(values.size() == count, "sample_grid: the function resized its value vector");
    for (Index p = 0; p < count; ++p) {
      if (!std::isfinite(values[p])) {
        std::ostringstream message;
        message << "the function value at (";
        for (int l = 0; l < d; ++l) message << (l ? ", " : "") << points(l, p);
        message << ") is not finite (" << values[p] << ")";
        throw InputError(message.str());
      }
    }
    t.vector().segment(start, count) = values;
  }
  return t;
}

DenseTensor sample_grid(const BatchFunction& f, const std::vector<Eigen::VectorXd>& grid,
                        Index batch_size) {
  KOLMO_CHECK(!grid.empty(), "sample_grid: no coordinates");
  return sample_grid_slab(f, grid, 0, grid.back().size(), batch_size);
}

}  // namespace kolmo::tensor

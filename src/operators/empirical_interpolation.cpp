#include "operators/empirical_interpolation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"

namespace kolmo::operators {
namespace {

// Below this multiple of machine epsilon times the largest training norm a residual is round-off:
// dividing by it would make a basis function of noise.
constexpr double round_off_floor = 64 * std::numeric_limits<double>::epsilon();

// The norm of every column of the distributed matrix r, identical on every rank.
Eigen::VectorXd column_norms(MPI_Comm comm, const Eigen::MatrixXd& r, std::span<const double> weights,
                             EimNorm norm) {
  const Eigen::Index n = r.cols();
  Eigen::VectorXd local = Eigen::VectorXd::Zero(n), global(n);
  if (r.rows() > 0) {
    if (norm == EimNorm::max) {
      local = r.cwiseAbs().colwise().maxCoeff().transpose();
    } else if (weights.empty()) {
      local = r.colwise().squaredNorm().transpose();
    } else {
      const Eigen::Map<const Eigen::VectorXd> w(weights.data(), static_cast<Eigen::Index>(weights.size()));
      local = (r.array().square().colwise() * w.array()).colwise().sum().transpose();
    }
  }
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(n), MPI_DOUBLE,
                norm == EimNorm::max ? MPI_MAX : MPI_SUM, comm);
  if (norm == EimNorm::l2) global = global.cwiseSqrt();
  return global;
}

// The first index of the largest entry (the same on every rank, as v is).
Eigen::Index first_argmax(const Eigen::VectorXd& v) {
  Eigen::Index best = 0;
  for (Eigen::Index j = 1; j < v.size(); ++j)
    if (v(j) > v(best)) best = j;
  return best;
}

// Broadcast `count` doubles that the owner of `point` writes into `buffer` with `fill`.
template <class Fill>
void broadcast_from(MPI_Comm comm, const EimPoint& point, std::vector<double>& buffer, Fill&& fill) {
  if (point.local >= 0) fill(buffer);
  MPI_Bcast(buffer.data(), static_cast<int>(buffer.size()), MPI_DOUBLE, point.owner, comm);
}

void check_options(const EimOptions& options) {
  KOLMO_CHECK(options.max_terms >= 1, "EIM: max_terms must be at least 1, got " << options.max_terms);
  KOLMO_CHECK(options.tolerance >= 0 && std::isfinite(options.tolerance),
              "EIM: the tolerance must be finite and non-negative, got " << options.tolerance);
  KOLMO_CHECK(options.indicator_points >= 0,
              "EIM: indicator_points must be non-negative, got " << options.indicator_points);
}

}  // namespace

const char* to_string(EimNorm norm) { return norm == EimNorm::max ? "max" : "l2"; }

EimNorm parse_eim_norm(const std::string& text) {
  if (text == "max") return EimNorm::max;
  if (text == "l2") return EimNorm::l2;
  throw InputError("unknown EIM norm '" + text + "' (allowed: l2, max)");
}

const char* to_string(EimStop stop) {
  switch (stop) {
    case EimStop::tolerance: return "tolerance";
    case EimStop::max_terms: return "max_terms";
    case EimStop::exhausted: return "exhausted";
  }
  return "?";
}

EimPoint global_argmax(MPI_Comm comm, std::span<const double> values,
                       std::span<const std::int64_t> ids, std::span<const char> excluded) {
  KOLMO_CHECK(values.size() == ids.size(), "global_argmax: " << values.size() << " values for "
                                                              << ids.size() << " ids");
  double best_value = -std::numeric_limits<double>::infinity();
  std::int64_t best_id = std::numeric_limits<std::int64_t>::max();
  std::int64_t best_local = -1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!excluded.empty() && excluded[i]) continue;
    if (values[i] > best_value || (values[i] == best_value && ids[i] < best_id)) {
      best_value = values[i];
      best_id = ids[i];
      best_local = static_cast<std::int64_t>(i);
    }
  }
  double global_value = 0;
  MPI_Allreduce(&best_value, &global_value, 1, MPI_DOUBLE, MPI_MAX, comm);
  const std::int64_t candidate =
      best_local >= 0 && best_value == global_value ? best_id : std::numeric_limits<std::int64_t>::max();
  std::int64_t global_id = 0;
  MPI_Allreduce(&candidate, &global_id, 1, MPI_INT64_T, MPI_MIN, comm);
  EimPoint point;
  if (global_id == std::numeric_limits<std::int64_t>::max()) return point;  // no candidate at all
  const int mine = best_local >= 0 && best_id == global_id ? comm_rank(comm) : -1;
  MPI_Allreduce(&mine, &point.owner, 1, MPI_INT, MPI_MAX, comm);
  point.id = global_id;
  point.local = mine >= 0 ? best_local : -1;
  return point;
}

EmpiricalInterpolation EmpiricalInterpolation::build(MPI_Comm comm, const Eigen::MatrixXd& snapshots,
                                                     std::span<const std::int64_t> ids,
                                                     std::span<const double> weights,
                                                     const EimOptions& options) {
  check_options(options);
  const Eigen::Index n_local = snapshots.rows(), n_train = snapshots.cols();
  // Agree on the checks before any rank throws, so that no rank is left in a collective.
  const bool sizes_ok = static_cast<std::size_t>(n_local) == ids.size() &&
                        (weights.empty() || weights.size() == ids.size());
  const bool finite = snapshots.allFinite();
  long train_range[2] = {static_cast<long>(n_train), -static_cast<long>(n_train)};
  long train_global[2];
  MPI_Allreduce(train_range, train_global, 2, MPI_LONG, MPI_MAX, comm);
  KOLMO_CHECK(all_ranks(comm, sizes_ok),
              "EIM: every rank needs one id (and one weight, if any) per snapshot row; this rank has "
                  << n_local << " rows, " << ids.size() << " ids, " << weights.size() << " weights");
  KOLMO_CHECK(train_global[0] == -train_global[1],
              "EIM: the ranks disagree on the number of training snapshots (" << n_train << " here)");
  KOLMO_CHECK(all_ranks(comm, finite), "EIM: a training snapshot has a non-finite value");
  KOLMO_CHECK(n_train >= 1, "EIM: no training snapshots");

  EmpiricalInterpolation e;
  e.comm_ = comm;
  e.options_ = options;
  // The greedy runs on past the M terms for the indicator points: their basis functions are
  // discarded, only the points (and the first M functions' values there) are kept.
  const int capacity = options.max_terms + options.indicator_points;
  Eigen::MatrixXd residual = snapshots;
  Eigen::MatrixXd basis(n_local, capacity);
  Eigen::MatrixXd matrix = Eigen::MatrixXd::Zero(capacity, capacity);
  Eigen::MatrixXd values(capacity, n_train);
  std::vector<EimPoint> points;
  std::vector<char> used(static_cast<std::size_t>(n_local), 0);
  std::vector<double> buffer;

  Eigen::VectorXd norms = column_norms(comm, residual, weights, options.norm);
  const double scale = norms.maxCoeff();
  int terms = -1;  // M, once the interpolation phase has stopped
  for (int m = 0;; ++m) {
    const double worst = norms.maxCoeff();
    Eigen::Index column = first_argmax(norms);
    if (options.selection == EimSelection::in_order && m < n_train) column = m;
    if (terms < 0) {
      e.errors_.push_back(worst);
      bool stop = true;
      if (options.selection == EimSelection::in_order && m >= n_train)
        e.stop_ = EimStop::exhausted;
      else if (m >= options.max_terms)
        e.stop_ = EimStop::max_terms;
      else if (options.selection == EimSelection::greedy && worst <= options.tolerance * scale)
        e.stop_ = EimStop::tolerance;
      else if (!(norms(column) > round_off_floor * scale))
        e.stop_ = EimStop::exhausted;
      else
        stop = false;
      if (stop) terms = m;
    }
    // The indicator phase ends with its points, or when every residual vanishes.
    if (terms >= 0 && (m >= terms + options.indicator_points || !(norms(column) > 0))) break;
    const Eigen::VectorXd magnitude = residual.col(column).cwiseAbs();
    const EimPoint point =
        global_argmax(comm, std::span(magnitude.data(), static_cast<std::size_t>(n_local)), ids, used);
    if (point.id < 0) {
      if (terms < 0) {
        e.stop_ = EimStop::exhausted;
        terms = m;
      }
      break;
    }
    // The owner sends the residual row (to update every column), the snapshot row and the row of
    // the basis so far (the new row of B) at the new point.
    buffer.assign(static_cast<std::size_t>(2 * n_train + m), 0.0);
    broadcast_from(comm, point, buffer, [&](std::vector<double>& b) {
      const Eigen::Index i = point.local;
      for (Eigen::Index j = 0; j < n_train; ++j) {
        b[static_cast<std::size_t>(j)] = residual(i, j);
        b[static_cast<std::size_t>(n_train + j)] = snapshots(i, j);
      }
      for (int k = 0; k < m; ++k) b[static_cast<std::size_t>(2 * n_train + k)] = basis(i, k);
    });
    const Eigen::Map<const Eigen::VectorXd> residual_row(buffer.data(), n_train);
    const double pivot = residual_row(column);
    basis.col(m) = residual.col(column) / pivot;
    for (int k = 0; k < m; ++k) matrix(m, k) = buffer[static_cast<std::size_t>(2 * n_train + k)];
    matrix(m, m) = 1.0;
    values.row(m) = Eigen::Map<const Eigen::RowVectorXd>(buffer.data() + n_train, n_train);
    // r_j <- r_j - r_j(x_m) q_m: the residual of the interpolation with m + 1 terms (exactly zero
    // at x_m, and still zero at the earlier points since q_m vanishes there).
    residual.noalias() -= basis.col(m) * residual_row.transpose();
    if (point.local >= 0) {
      residual.row(point.local).setZero();
      used[static_cast<std::size_t>(point.local)] = 1;
    }
    points.push_back(point);
    if (terms < 0) e.selected_.push_back(static_cast<std::size_t>(column));
    norms = column_norms(comm, residual, weights, options.norm);
  }
  const int m = terms;
  e.points_.assign(points.begin(), points.begin() + m);
  e.indicator_points_.assign(points.begin() + m, points.end());
  const int extra = static_cast<int>(e.indicator_points_.size());
  e.basis_ = basis.leftCols(m);
  e.matrix_ = matrix.topLeftCorner(m, m);
  e.indicator_rows_ = matrix.block(m, 0, extra, m);
  e.point_values_ = values.topRows(m);
  return e;
}

Eigen::VectorXd EmpiricalInterpolation::coefficients(std::span<const double> values) const {
  KOLMO_CHECK(values.size() == points_.size(),
              "EIM coefficients: expected " << points_.size() << " point values, got " << values.size());
  const Eigen::Map<const Eigen::VectorXd> v(values.data(), static_cast<Eigen::Index>(values.size()));
  if (triangular_) return matrix_.triangularView<Eigen::UnitLower>().solve(v);
  return least_squares_->solve(v);
}

double EmpiricalInterpolation::error_indicator(std::span<const double> values,
                                               std::span<const double> values_at_indicator_points) const {
  KOLMO_CHECK(values_at_indicator_points.size() == indicator_points_.size(),
              "EIM indicator: expected " << indicator_points_.size() << " indicator values, got "
                                         << values_at_indicator_points.size());
  if (indicator_points_.empty()) return 0.0;
  const Eigen::VectorXd beta = coefficients(values);
  const Eigen::Map<const Eigen::VectorXd> v(values_at_indicator_points.data(),
                                            static_cast<Eigen::Index>(values_at_indicator_points.size()));
  return (v - indicator_rows_ * beta).cwiseAbs().maxCoeff();
}

void EmpiricalInterpolation::interpolate(const Eigen::VectorXd& beta, std::span<double> local) const {
  KOLMO_CHECK(beta.size() == size() && static_cast<Eigen::Index>(local.size()) == basis_.rows(),
              "EIM interpolate: " << beta.size() << " coefficients for " << size()
                                  << " functions, " << local.size() << " local values for "
                                  << basis_.rows() << " local points");
  Eigen::Map<Eigen::VectorXd>(local.data(), basis_.rows()).noalias() = basis_ * beta;
}

double EmpiricalInterpolation::lebesgue_constant() const {
  KOLMO_CHECK(triangular_, "EIM: the Lebesgue constant is computed for the greedy's own points only");
  double local = 0.0;
  if (basis_.rows() > 0 && size() > 0) {
    // Rows of Q B^-1 are the Lagrange functions' values: solve B^T X^T = Q^T.
    const Eigen::MatrixXd lagrange =
        matrix_.transpose().triangularView<Eigen::UnitUpper>().solve(basis_.transpose());
    local = lagrange.cwiseAbs().colwise().sum().maxCoeff();
  }
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_MAX, comm_);
  return global;
}

EmpiricalInterpolation EmpiricalInterpolation::truncated(int m) const {
  KOLMO_CHECK(triangular_, "EIM: only the greedy's own interpolation can be truncated");
  KOLMO_CHECK(m >= 1 && m <= size(), "EIM: cannot truncate " << size() << " terms to " << m);
  if (m == size()) return *this;
  EmpiricalInterpolation e;
  e.comm_ = comm_;
  e.options_ = options_;
  e.options_.max_terms = m;
  e.stop_ = EimStop::max_terms;
  e.points_.assign(points_.begin(), points_.begin() + m);
  e.matrix_ = matrix_.topLeftCorner(m, m);
  e.basis_ = basis_.leftCols(m);
  e.point_values_ = point_values_.topRows(m);
  e.selected_.assign(selected_.begin(), selected_.begin() + m);
  e.errors_.assign(errors_.begin(), errors_.begin() + m + 1);
  // The indicator points: the next points in the greedy's order, as many as the full one has.
  const std::size_t wanted = static_cast<std::size_t>(options_.indicator_points);
  std::vector<Eigen::RowVectorXd> rows;
  for (std::size_t k = static_cast<std::size_t>(m); k < points_.size() && e.indicator_points_.size() < wanted; ++k) {
    e.indicator_points_.push_back(points_[k]);
    rows.emplace_back(matrix_.row(static_cast<Eigen::Index>(k)).head(m));
  }
  for (std::size_t k = 0; k < indicator_points_.size() && e.indicator_points_.size() < wanted; ++k) {
    e.indicator_points_.push_back(indicator_points_[k]);
    rows.emplace_back(indicator_rows_.row(static_cast<Eigen::Index>(k)).head(m));
  }
  e.indicator_rows_.resize(static_cast<Eigen::Index>(rows.size()), m);
  for (std::size_t k = 0; k < rows.size(); ++k) e.indicator_rows_.row(static_cast<Eigen::Index>(k)) = rows[k];
  return e;
}

EmpiricalInterpolation EmpiricalInterpolation::with_points(std::span<const std::size_t> dropped,
                                                           int extra,
                                                           const Eigen::MatrixXd& snapshots,
                                                           std::span<const std::int64_t> ids) const {
  const Eigen::Index n_local = basis_.rows(), n_train = snapshots.cols();
  KOLMO_CHECK(extra >= 0, "EIM: the number of extra points must be non-negative, got " << extra);
  KOLMO_CHECK(all_ranks(comm_, snapshots.rows() == n_local &&
                                   ids.size() == static_cast<std::size_t>(n_local) &&
                                   n_train == point_values_.cols()),
              "EIM with_points: the snapshots must be those the interpolation was built from");
  std::vector<char> drop(points_.size(), 0);
  for (std::size_t k : dropped) {
    KOLMO_CHECK(k < points_.size(), "EIM: cannot drop point " << k << " of " << points_.size());
    drop[k] = 1;
  }
  EmpiricalInterpolation e;
  e.comm_ = comm_;
  e.options_ = options_;
  e.stop_ = stop_;
  e.basis_ = basis_;
  e.selected_ = selected_;
  e.errors_ = errors_;
  std::vector<Eigen::RowVectorXd> rows, row_values;
  std::vector<char> used(static_cast<std::size_t>(n_local), 0);
  for (std::size_t k = 0; k < points_.size(); ++k) {
    if (points_[k].local >= 0) used[static_cast<std::size_t>(points_[k].local)] = 1;
    if (drop[k]) continue;
    e.points_.push_back(points_[k]);
    rows.push_back(matrix_.row(static_cast<Eigen::Index>(k)));
    row_values.push_back(point_values_.row(static_cast<Eigen::Index>(k)));
  }
  KOLMO_CHECK(e.points_.size() + static_cast<std::size_t>(extra) >= static_cast<std::size_t>(size()),
              "EIM: " << e.points_.size() << " points plus " << extra << " extra cannot determine "
                      << size() << " coefficients");
  const int m = size();
  std::vector<double> buffer;
  Eigen::VectorXd worst(n_local);
  const int total = extra + options_.indicator_points;
  std::vector<Eigen::RowVectorXd> indicator_rows;
  for (int added = 0; added < total; ++added) {
    const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd b(n, m), v(n, n_train);
    for (Eigen::Index i = 0; i < n; ++i) {
      b.row(i) = rows[static_cast<std::size_t>(i)];
      v.row(i) = row_values[static_cast<std::size_t>(i)];
    }
    // Minimum-norm least squares while there are fewer points than functions.
    const Eigen::MatrixXd beta =
        n > 0 ? Eigen::MatrixXd(b.completeOrthogonalDecomposition().solve(v))
              : Eigen::MatrixXd::Zero(m, n_train);
    for (Eigen::Index i = 0; i < n_local; ++i)
      worst(i) = (snapshots.row(i) - basis_.row(i) * beta).cwiseAbs().maxCoeff();
    const EimPoint point =
        global_argmax(comm_, std::span(worst.data(), static_cast<std::size_t>(n_local)), ids, used);
    if (point.id < 0) {
      KOLMO_CHECK(added >= extra, "EIM: no points left to add (" << added << " of " << extra << ")");
      break;
    }
    buffer.assign(static_cast<std::size_t>(m + n_train), 0.0);
    broadcast_from(comm_, point, buffer, [&](std::vector<double>& out) {
      for (int k = 0; k < m; ++k) out[static_cast<std::size_t>(k)] = basis_(point.local, k);
      for (Eigen::Index j = 0; j < n_train; ++j)
        out[static_cast<std::size_t>(m + j)] = snapshots(point.local, j);
    });
    const Eigen::Map<const Eigen::RowVectorXd> row(buffer.data(), m);
    if (point.local >= 0) used[static_cast<std::size_t>(point.local)] = 1;
    if (added >= extra) {  // an indicator point: not part of the fit
      e.indicator_points_.push_back(point);
      indicator_rows.emplace_back(row);
      continue;
    }
    e.points_.push_back(point);
    rows.emplace_back(row);
    row_values.emplace_back(Eigen::Map<const Eigen::RowVectorXd>(buffer.data() + m, n_train));
  }
  e.indicator_rows_.resize(static_cast<Eigen::Index>(indicator_rows.size()), m);
  for (std::size_t k = 0; k < indicator_rows.size(); ++k)
    e.indicator_rows_.row(static_cast<Eigen::Index>(k)) = indicator_rows[k];
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  e.matrix_.resize(n, m);
  e.point_values_.resize(n, n_train);
  for (Eigen::Index i = 0; i < n; ++i) {
    e.matrix_.row(i) = rows[static_cast<std::size_t>(i)];
    e.point_values_.row(i) = row_values[static_cast<std::size_t>(i)];
  }
  auto least_squares =
      std::make_shared<Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>>(e.matrix_);
  KOLMO_CHECK(least_squares->rank() == m,
              "EIM: the " << n << " points do not determine the " << m
                          << " coefficients (the interpolation matrix has rank "
                          << least_squares->rank() << ")");
  e.least_squares_ = std::move(least_squares);
  e.triangular_ = false;
  return e;
}

}  // namespace kolmo::operators

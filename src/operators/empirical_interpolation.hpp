#pragma once
/// @file
/// The greedy kernel of the empirical interpolation method (EIM), shared by the EIM of functions
/// g(x; mu) (eim_function.hpp), DEIM of vectors (rom/deim.hpp) and the nonintrusive matrix EIM
/// (rom/matrix_eim.hpp). Its input is a set of training snapshots distributed by rows over the
/// ranks of a communicator: a row is a "point" (a quadrature point, a vector entry, a matrix
/// nonzero), a column one training function. It selects basis functions q_1..q_M (combinations
/// of the snapshots) and interpolation ("magic") points x_1..x_M such that the interpolant
///   I_M g = sum_m beta_m q_m,   B beta = g(x_1..x_M),   B_ij = q_j(x_i),
/// matches g at the magic points. In the classical normalisation used here B is lower triangular
/// with a unit diagonal, so beta costs M evaluations of g and one triangular solve.
///
/// It lives in the operators layer (not rom/) because problems with non-affine data, such as the
/// `gaussian` problem, build their affine decomposition with it while being assembled.
#include <mpi.h>

#include <Eigen/Dense>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kolmo::operators {

/// The norm in which the greedy measures the interpolation error of each training function
/// ("choice of norms", Casenave, Ern, Lelievre): `max` is the classical EIM (L-infinity over the
/// points), `l2` the weighted Euclidean norm sqrt(sum_i w_i r_i^2) (with quadrature weights it is
/// the L2 norm of the function). The magic point is always where the selected residual is largest
/// in absolute value.
enum class EimNorm { max, l2 };

/// "max" or "l2".
const char* to_string(EimNorm norm);
/// The norm called `text` ("max" or "l2"). @throws InputError otherwise.
EimNorm parse_eim_norm(const std::string& text);

/// Which training function enters the basis at each step.
enum class EimSelection {
  greedy,    ///< the one worst approximated so far (EIM)
  in_order,  ///< the columns in their given order (DEIM on an already computed POD basis)
};

/// Options of the greedy.
struct EimOptions {
  EimNorm norm = EimNorm::max;
  EimSelection selection = EimSelection::greedy;
  /// Stop when the largest training error, in `norm`, is at most tolerance times the largest norm
  /// of a training function (greedy selection only).
  double tolerance = 1e-10;
  /// Stop at this many terms in any case.
  int max_terms = 50;
  /// Points of the error indicator, selected after the M interpolation points (1: the classical
  /// M + 1 estimate; more points make it more reliable at the cost of one evaluation each).
  int indicator_points = 1;
};

/// Why the greedy stopped.
enum class EimStop {
  tolerance,  ///< the training error reached the tolerance
  max_terms,  ///< max_terms functions were selected
  exhausted,  ///< the training functions are interpolated to round-off (their span is used up)
};

/// "tolerance", "max_terms" or "exhausted".
const char* to_string(EimStop stop);

/// A point of the distributed point set: its global id (rank-independent, chosen by the caller),
/// the rank that holds it, and its row in that rank's local data (-1 on every other rank).
struct EimPoint {
  std::int64_t id = -1;
  int owner = -1;
  std::int64_t local = -1;
};

/// The result of the greedy: replicated small data (points, interpolation matrix, errors) plus the
/// local rows of the basis functions. A value type; the communicator is not owned and must
/// outlive the object for the collective calls. Collective calls are marked as such; everything
/// else works on replicated data and needs no communication.
class EmpiricalInterpolation {
 public:
  EmpiricalInterpolation() = default;

  /// Run the greedy on the training snapshots (local rows `snapshots`, n_local x n_train, the same
  /// n_train on every rank), whose rows have the global ids `ids` (unique over all ranks; ties in
  /// the point selection go to the smallest id, so the result does not depend on how the points
  /// are distributed) and, for the l2 norm, the weights `weights` (empty: all 1).
  /// Cost O(M n_local n_train) flops and O(M) small collectives; memory two copies of the local
  /// snapshots. Collective on comm.
  /// @throws kolmo::Exception (on every rank) on inconsistent sizes, non-finite snapshots,
  /// max_terms < 1 or a negative tolerance.
  static EmpiricalInterpolation build(MPI_Comm comm, const Eigen::MatrixXd& snapshots,
                                      std::span<const std::int64_t> ids,
                                      std::span<const double> weights, const EimOptions& options);

  MPI_Comm comm() const noexcept { return comm_; }
  const EimOptions& options() const noexcept { return options_; }
  /// Number of basis functions M.
  int size() const noexcept { return static_cast<int>(basis_.cols()); }
  /// Number of interpolation points N (M, or more for a rectangular interpolation).
  int num_points() const noexcept { return static_cast<int>(points_.size()); }
  bool rectangular() const noexcept { return num_points() != size(); }
  EimStop stop_reason() const noexcept { return stop_; }

  /// The interpolation points, in the order of selection.
  const std::vector<EimPoint>& points() const noexcept { return points_; }
  /// B (N x M): B_ij = q_j(x_i); unit lower triangular when square.
  const Eigen::MatrixXd& interpolation_matrix() const noexcept { return matrix_; }
  /// The local rows of the basis functions (n_local x M).
  const Eigen::MatrixXd& local_basis() const noexcept { return basis_; }
  /// The training snapshots' values at the points (N x n_train, replicated): what the greedy saw
  /// there, for callers that re-express the interpolant in the snapshots themselves.
  const Eigen::MatrixXd& point_values() const noexcept { return point_values_; }
  /// The training columns that entered the basis, in order (column m built q_m).
  const std::vector<std::size_t>& selected() const noexcept { return selected_; }
  /// errors()[m] = the largest training error with m terms, in the greedy's norm (M + 1 values;
  /// errors()[0] is the largest training norm).
  const std::vector<double>& errors() const noexcept { return errors_; }

  /// The points of the error indicator: the next points the greedy would select after the M
  /// interpolation points (options().indicator_points of them, fewer when the training data are
  /// exhausted).
  const std::vector<EimPoint>& indicator_points() const noexcept { return indicator_points_; }
  /// q_1..q_M at the indicator points (one row per point).
  const Eigen::MatrixXd& indicator_basis() const noexcept { return indicator_rows_; }

  /// beta from the values of g at the points (N values): the triangular solve B beta = g(x) for the
  /// greedy's own points, the least-squares solution min |B beta - g(x)| after with_points().
  /// Not collective.
  Eigen::VectorXd coefficients(std::span<const double> values) const;
  /// The error indicator max_e |g(x_e) - (I_M g)(x_e)| over the indicator points x_e, from g's
  /// values at the interpolation points and at the indicator points (0 without indicator points).
  /// It never exceeds the max-norm error over the points (a lower estimate of it); with one point
  /// it is the classical "M + 1" estimate. Not collective.
  double error_indicator(std::span<const double> values,
                         std::span<const double> values_at_indicator_points) const;
  /// local = sum_m beta_m q_m on this rank's points. Not collective.
  void interpolate(const Eigen::VectorXd& beta, std::span<double> local) const;
  /// The Lebesgue constant max_i sum_j |(Q B^-1)_ij| of the greedy's interpolation in the max
  /// norm: ||g - I_M g||_inf <= (1 + Lebesgue) min_{v in span q} ||g - v||_inf. Collective.
  double lebesgue_constant() const;

  /// The nested interpolation with the first m functions and points (1 <= m <= size(); square
  /// interpolations from build() only); its indicator points are the next points in the greedy's
  /// order (points m+1, m+2, ...). Not collective.
  EmpiricalInterpolation truncated(int m) const;

  /// The rectangular extension: drop the points with indices `dropped` (e.g. broken sensors) and
  /// add `extra` points chosen greedily where the least-squares interpolation of the training
  /// snapshots is worst (max over the training functions of the absolute error); the functions
  /// are kept. The coefficients then solve a least-squares problem. `snapshots`, `ids` must be
  /// the data of build(). The new indicator points are the next points this greedy would add.
  /// Collective on comm.
  /// @throws kolmo::Exception when fewer than size() points remain or the point values do not
  /// determine the coefficients (rank-deficient B). Dropping k points and adding k gives a square
  /// but no longer triangular B, solved by the same least-squares factorisation.
  EmpiricalInterpolation with_points(std::span<const std::size_t> dropped, int extra,
                                     const Eigen::MatrixXd& snapshots,
                                     std::span<const std::int64_t> ids) const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  EimOptions options_;
  EimStop stop_ = EimStop::max_terms;
  std::vector<EimPoint> points_;
  Eigen::MatrixXd matrix_;
  Eigen::MatrixXd basis_;
  Eigen::MatrixXd point_values_;
  std::vector<std::size_t> selected_;
  std::vector<double> errors_;
  std::vector<EimPoint> indicator_points_;
  Eigen::MatrixXd indicator_rows_;
  bool triangular_ = true;  // B from the greedy (unit lower triangular); else least squares
  // Shared and immutable once computed (a default-constructed decomposition trips GCC's
  // -Wmaybe-uninitialized when copied).
  std::shared_ptr<const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>> least_squares_;
};

/// The point with the largest `values[i]` over all ranks (ties: the smallest id), skipping local
/// points with `excluded[i]` true (`excluded` empty: none). Returns id -1 when no rank has a
/// candidate. Collective on comm.
EimPoint global_argmax(MPI_Comm comm, std::span<const double> values,
                       std::span<const std::int64_t> ids, std::span<const char> excluded = {});

}  // namespace kolmo::operators

#pragma once
/// @file
/// Chebyshev interpolation: 1-D Chebyshev-Lobatto nodes, the values <-> coefficients transforms
/// (a DCT-I, FFTW's REDFT00), Clenshaw evaluation, basis matrices at many points, integration;
/// and the product (tensor) interpolation of a function on a box whose number of nodes per
/// dimension is chosen from the decay of the coefficients.
///
/// Conventions: m nodes per dimension means degree m - 1. The nodes of [a, b] are ascending,
/// x_j = (a + b)/2 - (b - a)/2 cos(pi j / (m - 1)), j = 0..m-1, both ends included (m == 1 is the
/// midpoint, a constant interpolant). A function is f(x) = sum_k c_k T_k(t(x)) with
/// t(x) = (2x - a - b) / (b - a) in [-1, 1].
#include <Eigen/Dense>

#include <span>
#include <vector>

#include "tensor/box.hpp"
#include "tensor/dense_tensor.hpp"

namespace kolmo::tensor {

/// The m Chebyshev-Lobatto nodes of [a, b] (ascending, ends exact). @pre m >= 1, a < b.
Eigen::VectorXd chebyshev_points(Index m, double a = -1.0, double b = 1.0);

/// Chebyshev coefficients (m x k) of the k columns of `values` (m x k), each the values of a
/// polynomial of degree < m at the m Lobatto nodes. One batched DCT-I.
Eigen::MatrixXd chebyshev_coefficients(const Eigen::MatrixXd& values);
/// The inverse of chebyshev_coefficients: values at the m Lobatto nodes of each column of
/// coefficients (m x k).
Eigen::MatrixXd chebyshev_values(const Eigen::MatrixXd& coefficients);
/// The m x m matrix D with chebyshev_coefficients(v) == D v.
Eigen::MatrixXd chebyshev_transform_matrix(Index m);

/// Transform mode `n` of `t` in place between values at the Lobatto nodes and Chebyshev
/// coefficients (inverse == false: values -> coefficients). One FFTW guru plan for all fibers.
void chebyshev_transform_mode(DenseTensor& t, int n, bool inverse);
/// The coefficient tensor of values given at a tensor Lobatto grid (all modes transformed).
DenseTensor chebyshev_coefficients(const DenseTensor& values);
/// The values at the tensor Lobatto grid of a coefficient tensor.
DenseTensor chebyshev_values(const DenseTensor& coefficients);

/// sum_k c_k T_k(t) by Clenshaw's recurrence, t in reference coordinates [-1, 1].
double chebyshev_clenshaw(std::span<const double> c, double t);
/// The P x m matrix B(p, k) = T_k(t(x_p)) of the first m Chebyshev polynomials of [a, b] at the
/// points x (three-term recurrence, column by column). Points outside [a, b] extrapolate.
Eigen::MatrixXd chebyshev_basis(Index m, const Eigen::VectorXd& x, double a = -1.0,
                                double b = 1.0);
/// The integrals int_a^b T_k(t(x)) dx, k = 0..m-1 (zero for odd k).
Eigen::VectorXd chebyshev_integrals(Index m, double a = -1.0, double b = 1.0);
/// Chebyshev coefficients of the derivative d/dx of each column of `coefficients` (m x k) on
/// [a, b]; the result has max(m - 1, 1) rows (the derivative lowers the degree by one).
Eigen::MatrixXd chebyshev_derivative(const Eigen::MatrixXd& coefficients, double a = -1.0,
                                     double b = 1.0);
/// Clenshaw-Curtis weights w at the m Lobatto nodes of [a, b]: sum_j w_j f(x_j) integrates the
/// interpolant of f exactly (exact for polynomials of degree < m).
Eigen::VectorXd clenshaw_curtis_weights(Index m, double a = -1.0, double b = 1.0);

/// How a function is interpolated on a box.
struct ChebyshevOptions {
  /// Trailing-coefficient tolerance: the nodes per dimension are doubled (m -> 2m - 1) until the
  /// last coefficients along that dimension are <= tol * (largest coefficient). Must be > 0.
  double tol = 1e-10;
  /// Nodes per dimension to start from (>= 2; 2^k + 1 keeps the grids nested).
  Index min_points = 17;
  /// Cap on the nodes per dimension.
  Index max_points = 1025;
  /// Cap on the nodes of the whole grid (memory: 8 bytes each, twice).
  Index max_total_points = Index(1) << 26;
  /// Fixed nodes per dimension (one entry: the same for all); disables the adaptivity.
  std::vector<Index> points;
  /// After convergence, drop trailing coefficients per dimension while the sum of the absolute
  /// values dropped stays <= tol * (largest coefficient) / d (so the interpolant changes by at most
  /// tol * largest coefficient anywhere).
  bool chop = true;
};

/// What interpolate() did.
struct ChebyshevReport {
  std::vector<Index> sampled_points;  ///< nodes per dimension of the last sampled grid
  std::vector<Index> points;          ///< nodes per dimension kept (after chopping)
  std::vector<double> tail;           ///< trailing coefficients / largest, per dimension
  bool converged = false;             ///< every dimension met tol within the caps
  Index evaluations = 0;              ///< function values computed, all grids and probes
  double max_abs_value = 0;           ///< largest |f| on the last sampled grid
};

/// A function on a box as its full tensor of Chebyshev coefficients (sizes m_0 x ... x m_{d-1}).
/// Copyable; immutable after construction; evaluation is thread-safe.
class ChebyshevInterpolant {
 public:
  /// An empty interpolant, to be assigned.
  ChebyshevInterpolant() = default;
  /// Take a coefficient tensor for `box` (its order must be box.dims()).
  ChebyshevInterpolant(Box box, DenseTensor coefficients);
  /// The interpolant of values given at the tensor Lobatto grid of `box` (sizes = nodes).
  static ChebyshevInterpolant from_values(Box box, const DenseTensor& values);
  /// Interpolate `f` on `box`, choosing the nodes per dimension adaptively (see
  /// ChebyshevOptions); `report`, if given, is filled (not owned).
  /// @throws kolmo::InputError for a non-finite function value or invalid options (tol <= 0).
  static ChebyshevInterpolant interpolate(const BatchFunction& f, const Box& box,
                                          const ChebyshevOptions& options = {},
                                          ChebyshevReport* report = nullptr);

  /// The box, its dimension, and the coefficient tensor (owned by the interpolant).
  const Box& box() const noexcept { return box_; }
  int dims() const noexcept { return box_.dims(); }
  const DenseTensor& coefficients() const noexcept { return coefficients_; }
  /// Nodes per dimension (the sizes of the coefficient tensor).
  const Dims& points() const noexcept { return coefficients_.dims(); }

  /// The interpolant at x (length dims()).
  double operator()(std::span<const double> x) const;
  /// The interpolant at the columns of `points` (d x P).
  Eigen::VectorXd evaluate(const Eigen::MatrixXd& points) const;
  /// The integral over the box.
  double integral() const;
  /// Values at the tensor Lobatto grid.
  DenseTensor values() const { return chebyshev_values(coefficients_); }

 private:
  Box box_;
  DenseTensor coefficients_;
};

/// The Lobatto grid of `box` with m[l] nodes in dimension l.
std::vector<Eigen::VectorXd> chebyshev_grid(const Box& box, const Dims& m);

/// Per dimension l, the largest |c| over all coefficients with index k in mode l (a vector of
/// length dim(l)): the decay profile the adaptivity and chopping look at.
Eigen::VectorXd coefficient_profile(const DenseTensor& coefficients, int l);

/// The leading sub-tensor of `t` with sizes `dims` (each <= t's).
DenseTensor leading_subtensor(const DenseTensor& t, const Dims& dims);

}  // namespace kolmo::tensor

#pragma once
/// @file
/// What a problem whose right-hand side is an EIM approximation f_M(mu) of a non-affine load
/// f(mu) hands to the offline stage so that the online stage can account for ||f - f_M||_X'
/// without PETSc: the interpolated function g as an expression, the EIM's interpolation data and
/// the constant that turns a max-norm EIM error into an X'-norm bound. Plain data (Eigen and the
/// standard library only).
#include <Eigen/Dense>

#include <string>
#include <vector>

namespace kolmo::operators {

/// The EIM error term of a right-hand side f_M(mu) = sum_m beta_m(mu) f_m, f_m the load of the
/// m-th EIM basis function q_m of g(x; mu):
///   ||f(mu) - f_M(mu)||_X' <= dual_norm_factor * max_x |g(x; mu) - (I_M g)(x; mu)|,
/// the max over the points the load integrates g on (the quadrature points), estimated by the max
/// over the indicator points x_e:  |g(x_e; mu) - sum_m beta_m(mu) q_m(x_e)|, with
/// beta(mu) = B^-1 g(x_magic; mu). See rom::NonaffineRhsTerm for what is rigorous.
struct NonaffineRhsError {
  /// The names of the coordinates in `function` (one per column of the point matrices), chosen
  /// so that none is a parameter name.
  std::vector<std::string> coordinates;
  /// g(x; mu) as a muparser expression of the coordinates and the parameters.
  std::string function;
  Eigen::MatrixXd magic_points;          ///< M x d: the interpolation points x_1..x_M
  Eigen::MatrixXd interpolation_matrix;  ///< M x M: B_ij = q_j(x_i), unit lower triangular
  Eigen::MatrixXd indicator_points;      ///< K x d: the error indicator's points
  Eigen::MatrixXd indicator_basis;       ///< K x M: q_j at the indicator points
  /// C with ||f - f_M||_X' <= C max |g - I_M g| (rigorous for the max over all points).
  double dual_norm_factor = 0.0;
  /// rhs() term m has the coefficient beta_m(mu) (so the online stage may compute the rhs
  /// coefficients from the EIM solve instead of their expressions).
  bool rhs_is_beta = false;
};

}  // namespace kolmo::operators

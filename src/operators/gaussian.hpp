#pragma once
/// @file
/// The `gaussian` problem, Kolmo's non-affine example: -Lap u = g(x; mu) on the unit square,
/// u = 0 on the boundary, Q1 elements, with the Gaussian source
///   g(x, y; mu) = exp(-((x - c_x)^2 + (y - c_y)^2) / s),
/// whose centre (c_x, c_y) is a pair of parameters. The source is not affine in mu; the problem
/// builds an affine approximation of its load vector by EIM of g on the quadrature points:
///   f(mu) ~ f_M(mu) = sum_m beta_m(mu) f_m,
/// f_m the load vector of the m-th EIM basis function, beta(mu) = B^-1 g(x_magic; mu).
/// Keys in docs/case-files.md, "### gaussian".
#include <mpi.h>

#include <array>
#include <memory>
#include <string>

#include "core/case_file.hpp"
#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "operators/eim_function.hpp"
#include "operators/grid_problem.hpp"

namespace kolmo::operators {

/// The `eim:` keys of a gaussian problem: how the source is interpolated.
struct GaussianEimSettings {
  double tolerance = 1e-6;        ///< relative max-norm (or l2) training error at which to stop
  int max_terms = 100;            ///< at most this many terms
  EimNorm norm = EimNorm::max;    ///< the greedy's norm
  std::size_t training = 20;      ///< training grid points per centre parameter (bounds included)
  int indicator_points = 8;       ///< points of the error indicator (1: the classical M + 1)
};

/// The `problem:` keys of type gaussian.
struct GaussianSettings {
  std::array<PetscInt, 2> cells{64, 64};
  /// The parameters that are the centre's x and y coordinates; empty: the first two parameters.
  std::array<std::string, 2> center;
  double width = 0.05;            ///< s in exp(-r^2 / s)
  GaussianEimSettings eim;
};

/// Read and check the `problem:` map of a gaussian case (rejects unknown keys, here and in `eim`).
/// @throws InputError with the key's location. Not collective.
GaussianSettings read_gaussian_settings(const ConfigNode& problem, const ParameterSpace& space);

/// The gaussian problem. Truth: A = K (stiffness, theta 1), f(mu) the load of g by the grid's
/// 2x2 Gauss rule (assemble_rhs), output "mean" = int u, X = K (reference coefficient 1),
/// parametrically coercive with alpha = 1, symmetric, not compliant.
///
/// rhs() is the EIM approximation f_M(mu): term m is the load vector of q_m, named "eim_beta_<m>",
/// with a Coefficient that evaluates beta_m(mu) from g at the magic points and whose text is the
/// same function as a parameter expression (sum_j (B^-1)_mj exp(...)), so that files and the
/// online stage can evaluate it without this object. A reduced model built from rhs() approximates
/// the EIM problem; its error against the truth is at most its own bound plus
///   ||u - u_M||_X <= ||f - f_M||_X' / alpha <= rhs_dual_norm_factor() * max_q |g - I_M g|(x_q)
/// (alpha = 1 in X = K), which rhs_error_estimate(mu) estimates with the EIM's indicator points.
/// Collective on comm for construction and every PETSc call.
class GaussianProblem : public GridProblem {
 public:
  /// Runs the EIM of g over a tensor grid of eim.training^2 centres (the other parameters at the
  /// middle of their ranges). @throws InputError on inconsistent settings (cells, centre names,
  /// width, EIM keys).
  GaussianProblem(MPI_Comm comm, const ParameterSpace& space, GaussianSettings settings);

  std::string type() const override { return "gaussian"; }
  const GaussianSettings& settings() const noexcept { return settings_; }

  /// g(x, y; mu). Not collective.
  double source(double x, double y, const Mu& mu) const;
  /// The EIM of g on the quadrature points (shared with the rhs coefficients).
  const EimFunction& eim() const noexcept { return *eim_; }

  /// The truth load f(mu) (not the EIM approximation). Collective.
  void assemble_rhs(const Mu& mu, Vec out) const override;
  /// The EIM load f_M(mu) = rhs().assemble(mu). Collective.
  void assemble_eim_rhs(const Mu& mu, Vec out) const { rhs_.assemble(mu, out); }
  /// The load vector of a function given at this rank's quadrature points (in the order of
  /// eim().points()). Collective.
  VecHandle load_of(std::span<const double> local_values) const;

  /// C = sqrt(|Omega| / lambda_1), lambda_1 = pi^2 (1/a^2 + 1/b^2) the first Dirichlet eigenvalue
  /// of the a x b rectangle: ||f - f_M||_X' <= C max_q |g - I_M g|(x_q), rigorously (the Q1
  /// eigenvalue is above lambda_1 and the 2x2 Gauss rule integrates v^2 exactly). Not collective.
  double rhs_dual_norm_factor() const;
  /// rhs_dual_norm_factor() times the EIM error indicator at mu: an estimate (not a bound) of
  /// ||f(mu) - f_M(mu)||_X' from M + 1 evaluations of g. Not collective.
  double rhs_error_estimate(const Mu& mu) const;
  /// The data of rhs_error_estimate() for the online stage: g as the expression
  /// exp(-((x - cx)^2 + (y - cy)^2) / s) of the coordinates (named x, y, or with trailing
  /// underscores when a parameter has that name) and the parameters, the EIM's magic points, B,
  /// indicator points and basis values there, and rhs_dual_norm_factor(). Evaluating it gives
  /// rhs_error_estimate(mu) to round-off. Not collective.
  std::optional<NonaffineRhsError> rhs_eim_error() const override;

 private:
  GaussianSettings settings_;
  std::size_t center_x_ = 0, center_y_ = 1;  // parameter indices of the centre
  std::vector<std::int64_t> element_offset_;  // first local quadrature point of each element, or -1
  std::shared_ptr<const EimFunction> eim_;
};

/// Read the settings from `c.problem.settings` and build the problem on `comm`. Collective.
std::unique_ptr<ParametrizedProblem> make_gaussian(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

#pragma once
/// @file
/// Lower bounds of the stability constant of A(mu) in the norm of X, stored in a model's
/// StabilityBound (see reduced_model.hpp for how the online stage evaluates each kind):
/// - parametrically coercive problems (every A_q SPSD, X = sum_q theta_bar_q A_q, theta_q > 0):
///   the min-theta bound alpha(mu) >= min_q theta_q(mu) / theta_bar_q, rigorous and free;
/// - two-term symmetric problems A(mu) = K - t(mu) M with X = K + M (Helmholtz): the exact inf-sup
///   constant beta(mu) = min_i |sigma_i - t(mu)| / (sigma_i + 1) over the generalized eigenvalues
///   K v = sigma M v. Every sigma in [0, sigma_tail] is computed by SLEPc's spectrum slicing, whose
///   count is checked against the Sylvester inertia of K - sigma_tail M, so none is missed; every
///   other eigenvalue is above sigma_tail = 1.5 max t + 1 (max over the box corners and the
///   sample given);
/// - other coercive problems (advection-diffusion): the rigorous method is the successive
///   constraint method (SCM), the next step, not implemented yet. Until then, and only when asked
///   for explicitly (rom.stability: sampled / --stability sampled), a "constant" bound is stored:
///   0.9 times the minimum over a sample of alpha(mu), the smallest eigenvalue of the symmetric
///   part of A(mu) with respect to X (SLEPc, shift-and-invert at 0). That is NOT rigorous: alpha
///   may dip below it between sample points.
/// Anything else fails with a message that says which bound is missing.
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// What compute_stability_bound may do.
struct StabilityOptions {
  /// Allow the non-rigorous sampled bound for coercive problems that are not parametrically
  /// coercive.
  bool allow_sampled = false;
  /// The points where theta > 0 is checked (min-theta), where t(mu) is evaluated to size the
  /// eigenvalue interval (inf-sup), and where alpha(mu) is sampled (sampled). Usually the training
  /// sample.
  std::vector<Mu> sample;
  double sampled_factor = 0.9;  ///< the sampled bound is this times the sampled minimum
};

/// The stability bound of `problem` (see the file comment). Collective on the problem's comm.
/// @throws InputError when no bound is available for the problem, saying what is missing.
StabilityBound compute_stability_bound(const operators::ParametrizedProblem& problem,
                                       const StabilityOptions& options);

/// The coercivity constant alpha(mu) = min_v (v^T A(mu) v) / (v^T X v), the smallest eigenvalue
/// of the symmetric part of A(mu) with respect to X (SLEPc GHEP, shift-and-invert at 0 with a
/// MUMPS factorisation). Assumes A(mu) coercive. Collective.
double coercivity_constant(const operators::ParametrizedProblem& problem, const Mu& mu);

/// Every generalized eigenvalue sigma of K v = sigma M v in [lower, upper] (K, M symmetric, M SPD,
/// lower and upper not eigenvalues), ascending, by SLEPc spectrum slicing; the number found is
/// checked against the inertia of K - upper M and K - lower M. Collective.
/// @throws Exception when the count does not match.
std::vector<double> generalized_eigenvalues(Mat k, Mat m, double lower, double upper);

/// min_q theta_q(mu) / theta_bar_q, the min-theta bound. Not collective.
double min_theta_bound(const std::vector<double>& theta, const std::vector<double>& theta_bar);

}  // namespace kolmo::rom

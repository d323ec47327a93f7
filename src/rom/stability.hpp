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
/// - other coercive problems (advection-diffusion): the successive constraint method (SCM; Huynh,
///   Rozza, Sen, Patera 2007), rigorous. Offline: the box of y_q = v^T A_q v / v^T X v (extreme
///   generalized eigenvalues of the symmetric parts (A_q^s, X), estimated by SLEPc and certified
///   by the Sylvester inertia of A_q^s - s X), then a greedy over the training sample (plus the
///   box corners) that adds the point of largest (alpha_UB - alpha_LB) / alpha_UB to C_K, with
///   alpha(mu_k) and the y-vector of its eigenvector from one SLEPc solve. Online: alpha_LB(mu)
///   is a small linear program (rom/online/scm_bound.hpp). Stored as kind "scm".
///   Only when asked for explicitly (rom.stability.method: sampled / --stability sampled), a "constant"
///   bound is stored instead: 0.9 times the minimum over a sample of alpha(mu). That is NOT
///   rigorous: alpha may dip below it between sample points.
/// Anything else fails with a message that says which bound is missing.
#include <string>
#include <utility>
#include <vector>

#include "core/case_file.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"
#include "rom/online/scm_bound.hpp"

namespace kolmo::rom {

/// What compute_stability_bound may do.
struct StabilityOptions {
  /// Allow the non-rigorous sampled bound for coercive problems that are not parametrically
  /// coercive.
  bool allow_sampled = false;
  /// Use the SCM for a parametrically coercive problem too (instead of the min-theta bound).
  bool force_scm = false;
  /// The points where theta > 0 is checked (min-theta), where t(mu) is evaluated to size the
  /// eigenvalue interval (inf-sup), and where alpha(mu) is sampled (sampled). Usually the training
  /// sample.
  std::vector<Mu> sample;
  double sampled_factor = 0.9;  ///< the sampled bound is this times the sampled minimum
  /// SCM: the greedy stops when max over the training points of (alpha_UB - alpha_LB) / alpha_UB
  /// is at most this (0.75 in Huynh et al. 2007)...
  double scm_tolerance = 0.75;
  int scm_max_points = 30;  ///< ... or when C_K has this many points
  int scm_m_alpha = 20;     ///< SCM points (nearest to mu) constraining the online LP
  int scm_m_plus = 20;      ///< positivity constraints (nearest training points) in the LP
};

/// The options of the case file's `rom.stability:` section (sample left empty: the caller sets
/// it, to the training sample or to `section.scm_training` random points). Not collective.
StabilityOptions stability_options(const StabilitySection& section);

/// What the SCM offline stage did (for reports and tests).
struct ScmDiagnostics {
  int points = 0;                     ///< K, the size of C_K
  double max_gap = 0.0;               ///< final max (alpha_UB - alpha_LB) / alpha_UB on the sample
  std::vector<double> gaps;           ///< that maximum after each added point
  std::vector<Mu> chosen;             ///< C_K in the order chosen
  std::vector<double> y_min, y_max;   ///< the certified box
  double seconds = 0.0;               ///< wall time
};

/// The SCM bound (kind "scm", data packed in `sigma`, see scm_bound.hpp) of a problem whose
/// A(mu) = sum_q theta_q(mu) A_q is coercive over the parameter box, whatever its stability kind
/// (compute_stability_bound uses it for Stability::coercive). The training points are the box
/// corners (up to 8 parameters) and options.sample; all of them are also the positivity points. `diagnostics`, when given, is filled (borrowed). Collective.
/// @throws InputError when alpha(mu) <= 0 at a training point chosen by the greedy.
StabilityBound scm_stability_bound(const operators::ParametrizedProblem& problem,
                                   const StabilityOptions& options,
                                   ScmDiagnostics* diagnostics = nullptr);

/// A certified interval [lower, upper] containing every generalized eigenvalue of (a, x), i.e.
/// every Rayleigh quotient v^T a v / v^T x v (a symmetric, possibly indefinite; x SPD): SLEPc
/// estimates of the extremes, widened until the inertia of a - s x (MUMPS LDL^T) proves that no
/// eigenvalue lies beyond, then tightened by bisection to about `relative` times the interval's
/// width and finally widened by that much again (so that no end lies within round-off of an
/// eigenvalue). Collective on the matrices' comm.
std::pair<double, double> certified_eigenvalue_range(Mat a, Mat x, double relative = 1e-3);

/// The number of negative and of positive eigenvalues of a - s x (a, x symmetric), from the
/// inertia of a MUMPS LDL^T factorisation. Collective.
std::pair<PetscInt, PetscInt> shifted_inertia(Mat a, Mat x, double s);

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

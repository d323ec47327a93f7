#pragma once
/// @file
/// The online stage of the successive constraint method (SCM; Huynh, Rozza, Sen, Patera 2007):
/// the coercivity lower bound alpha_LB(mu) of A(mu) = sum_q theta_q(mu) A_q as the value of a
/// small linear program in the Q variables y_q = v^T A_q v / v^T X v,
///
///   alpha_LB(mu) = min theta(mu) . y  subject to  y_min <= y <= y_max,
///                  theta(mu_k) . y >= alpha(mu_k)  for the M_alpha SCM points nearest to mu,
///                  theta(mu_p) . y >= 0            for the M_plus positivity points nearest to mu.
///
/// Every constraint holds for the y-vector of the minimising eigenvector at mu (the box contains
/// the range of each Rayleigh quotient, alpha(mu') is a minimum, and A(mu') is coercive), so the
/// LP's minimum is a rigorous lower bound of alpha(mu). "Nearest" is measured in the coefficient
/// space, (theta_q - theta'_q) / theta_scale_q, so the evaluation needs theta(mu) only: which
/// constraints are kept changes the bound's sharpness, never its rigor.
///
/// The data is stored in a model's StabilityBound as kind "scm" with the flat vector `sigma`
/// holding ScmData::pack() (layout documented there). Eigen and the standard library only.
#include <Eigen/Dense>

#include <string>
#include <vector>

namespace kolmo::rom {

/// The outcome of a linear program.
enum class LpStatus { optimal, infeasible, unbounded };

/// A linear program's solution: the status, and when optimal the minimum and a minimiser.
struct LpSolution {
  LpStatus status = LpStatus::infeasible;
  double value = 0.0;
  Eigen::VectorXd x;
};

/// min c . x subject to lower <= x <= upper (entries may be -/+infinity) and g x >= h, by a dense
/// two-phase tableau simplex with Bland's rule (so it terminates on degenerate problems). Rows of
/// g are scaled to unit maximum norm; feasibility is judged with a relative tolerance 1e-9.
/// Sizes: c, lower, upper of length n; g is m x n; h of length m (m may be 0). Not collective.
/// @throws kolmo::Exception when the sizes do not match or lower > upper somewhere.
LpSolution solve_linear_program(const Eigen::VectorXd& c, const Eigen::VectorXd& lower,
                                const Eigen::VectorXd& upper, const Eigen::MatrixXd& g,
                                const Eigen::VectorXd& h);

/// The same linear program by enumerating every vertex (every choice of n active constraints
/// among the rows of g and the finite bounds): exact up to round-off but exponential, meant for
/// n <= 3 and as the reference the simplex is tested against. Needs finite bounds (so that the
/// feasible set is a polytope). Not collective.
LpSolution solve_linear_program_by_vertices(const Eigen::VectorXd& c, const Eigen::VectorXd& lower,
                                            const Eigen::VectorXd& upper, const Eigen::MatrixXd& g,
                                            const Eigen::VectorXd& h);

/// The SCM data of a model. A value type.
struct ScmData {
  int m_alpha = 0;                   ///< constraints kept from the SCM points (nearest first)
  int m_plus = 0;                    ///< positivity constraints kept (nearest first)
  Eigen::VectorXd y_min, y_max;      ///< the bounding box of y (length Q)
  Eigen::VectorXd theta_scale;       ///< positive length scales of the coefficient space (Q)
  Eigen::MatrixXd point_theta;       ///< K x Q: theta(mu_k) at the SCM points C_K
  Eigen::VectorXd point_alpha;       ///< K: alpha(mu_k) (already reduced by the eigensolver's
                                     ///< tolerance, see stability.cpp)
  Eigen::MatrixXd positivity_theta;  ///< P x Q: theta at the positivity points

  /// Q, the number of affine terms.
  int terms() const { return static_cast<int>(y_min.size()); }

  /// The flat vector stored in StabilityBound::sigma: [1 (format), Q, K, P, M_alpha, M_plus,
  /// y_min (Q), y_max (Q), theta_scale (Q), K rows (theta (Q), alpha), P rows (theta (Q))].
  std::vector<double> pack() const;
  /// The inverse of pack(). @throws kolmo::InputError when `packed` is not valid SCM data
  /// (check_scm_data's message).
  static ScmData unpack(const std::vector<double>& packed);
};

/// "" when `packed` is valid SCM data for `terms` affine terms (sizes, finite values, y_min <=
/// y_max, positive scales and alphas), otherwise what is wrong. Not collective.
std::string check_scm_data(const std::vector<double>& packed, std::size_t terms);

/// alpha_LB(mu) from the coefficients theta = theta(mu) (length Q): the LP above. Returns 0 when
/// the LP is infeasible (possible only through round-off), so that the error bound becomes
/// infinite rather than wrong; the value may be <= 0 when the constraints are too few, which
/// callers must treat as "no bound". Reentrant; not collective.
double scm_lower_bound(const ScmData& data, const std::vector<double>& theta);

/// The same on the packed vector (StabilityBound::sigma of kind "scm"), without unpacking it:
/// the evaluator's call. `packed` must have passed check_scm_data.
double scm_lower_bound(const std::vector<double>& packed, const std::vector<double>& theta);

/// alpha_UB(mu) = min over the rows y_k of `y_vectors` (K x Q) of theta . y_k: the upper bound
/// the offline greedy compares alpha_LB against. Not collective.
double scm_upper_bound(const Eigen::MatrixXd& y_vectors, const std::vector<double>& theta);

}  // namespace kolmo::rom

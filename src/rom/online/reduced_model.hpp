#pragma once
/// @file
/// A reduced model as the online stage sees it: the Galerkin-projected affine terms, the outputs,
/// and the data of the a posteriori error bound. Depends on Eigen and the standard library only
/// (no PETSc, no MPI), so a model can be evaluated anywhere; it is written and read as one HDF5
/// file (reduced_model_io.hpp) whose content does not depend on the ranks used offline.
#include <Eigen/Dense>

#include <optional>
#include <string>
#include <vector>

namespace kolmo::rom {

/// A parametrized quantity sum_q theta_q(mu) X_q in reduced form: the coefficient expressions
/// (muparser syntax over the parameter names) and one reduced term per q.
template <class Term>
struct ReducedAffine {
  std::vector<std::string> theta;  ///< theta_q(mu) as expressions of the parameter names
  std::vector<Term> terms;         ///< the projected terms, at the maximal basis size
};

/// How the stability constant alpha(mu) (coercivity) or beta(mu) (inf-sup) is bounded below,
/// in the norm of the inner product X.
struct StabilityBound {
  /// "min_theta": alpha_LB(mu) = min_q theta_q(mu) / theta_bar_q (parametrically coercive
  /// problems with X = sum_q theta_bar_q A_q);
  /// "constant": alpha_LB(mu) = constant (a lower bound valid over the whole parameter box);
  /// "eigen_interval": beta_LB(mu) = min_i |sigma_i - t(mu)| / (sigma_i + 1) over stored
  /// generalized eigenvalues, for two-term problems A = K - t(mu) M with X = K + M (exact
  /// inf-sup constant of Helmholtz-type operators);
  /// "scm": alpha_LB(mu) = scm_lower_bound(sigma, theta_a(mu)), the successive constraint
  /// method's linear program (rom/online/scm_bound.hpp), for coercive problems that are not
  /// parametrically coercive.
  std::string kind = "min_theta";
  std::vector<double> theta_bar;   ///< min_theta
  double constant = 0.0;           ///< constant
  std::vector<double> sigma;       ///< eigen_interval: all eigenvalues below sigma_tail;
                                   ///< scm: ScmData::pack()
  double sigma_tail = 0.0;         ///< eigen_interval: every other eigenvalue is >= sigma_tail
  std::string t_expression;        ///< eigen_interval: t(mu)
};

/// Data to evaluate the dual norm of the residual r(mu) = f(mu) - A(mu) V u_N in X'.
///
/// Representers: the X-Riesz representers of f_q (q < Qf) and of A_q v_n (q < Qa, n < N_max),
/// ordered f first, then q-major / n-minor: index Qf + q * N_max + n. With c(mu, u_N) = [theta_f;
/// -(theta_a_q * u_N(n))], ||r||_{X'}^2 = c^T G c (classical), or ||r||_{X'} = ||R c||_2 (stable),
/// where R holds the coefficients of the representers in an X-orthonormal basis of their span
/// (computed offline by Gram-Schmidt with reorthogonalisation on the vectors themselves, so no
/// squared quantity is ever formed). Columns for n >= N are simply dropped for smaller N.
struct ResidualNormData {
  Eigen::MatrixXd gram;            ///< G (classical); empty when not computed
  Eigen::MatrixXd orthonormal;     ///< R (stable), rows = dimension of the span; empty if absent
};

/// One output functional s(mu) = l(mu) . u.
struct ReducedOutput {
  std::string name;
  ReducedAffine<Eigen::VectorXd> functional;  ///< V^T l_q
  /// Dual-norm data of l(mu) (representers of l_q only), for the bound |s - s_N| <= ||l||_X' Delta.
  ResidualNormData dual_norm;
  bool compliant = false;          ///< s = f . u with A symmetric: |s - s_N| <= ||r||^2 / alpha_LB
};

/// The error of a non-affine right-hand side made affine by EIM: the reduced model is the Galerkin
/// projection of A(mu) u = f_M(mu), f_M(mu) = sum_m beta_m(mu) f_m (the model's rhs terms), while
/// the truth solves A(mu) u = f(mu), f the load of g(x; mu). With r_N = f_M - A V u_N (what
/// ResidualNormData measures) the residual of the truth is f - A V u_N = (f - f_M) + r_N, so
///   ||u - V u_N||_X <= (||r_N||_X' + ||f - f_M||_X') / alpha_LB(mu),
///   ||f - f_M||_X'  <= dual_norm_factor * max_{x in P} |g(x; mu) - (I_M g)(x; mu)|,
/// P the points the load integrates g on (for `gaussian`: every quadrature point). The online
/// stage cannot visit P (its size is the truth's), so it evaluates
///   eta(mu) = dual_norm_factor * max_e |g(x_e; mu) - sum_m beta_m(mu) q_m(x_e)|,
///   beta(mu) = B^-1 g(x_magic; mu)   (B unit lower triangular, M evaluations of g),
/// over the K indicator points x_e (the points the EIM greedy would have selected next; K + M
/// evaluations of g, O(M^2 + K M) flops).
///
/// What is rigorous and what is not:
/// - the splitting above and the constant dual_norm_factor are rigorous (for `gaussian`, C =
///   sqrt(|Omega| / lambda_1) from the Poincare inequality, see operators/gaussian.hpp);
/// - the max over the K indicator points is an ESTIMATE of the max over P, from below (the
///   indicator points are a subset of P): eta(mu) is not a certified bound of ||f - f_M||_X'.
///   In practice it is far above it, because the max norm also overestimates the L2 norm that
///   the dual norm really needs (by sqrt(|Omega|) max|e| >= ||e||_L2) for a localised error,
///   which is what `kolmo validate` measures against true truth solves; but no theorem says so.
/// So Delta_N(mu) = (||r_N||_X' + eta(mu)) / alpha_LB is a rigorous bound of the error with
/// respect to the EIM truth u_M plus an estimate of ||u - u_M||_X, and OnlineResult reports the
/// two parts separately (residual_dual_norm and rhs_error).
struct NonaffineRhsTerm {
  /// Names of the coordinates in `function`, one per column of the point matrices (none of them
  /// a parameter name).
  std::vector<std::string> coordinates;
  /// g(x; mu), a muparser expression of the coordinates and the parameter names.
  std::string function;
  Eigen::MatrixXd magic_points;          ///< M x d: interpolation points x_1..x_M
  Eigen::MatrixXd interpolation_matrix;  ///< M x M: B_ij = q_j(x_i), unit lower triangular
  Eigen::MatrixXd indicator_points;      ///< K x d (K >= 1)
  Eigen::MatrixXd indicator_basis;       ///< K x M: q_j(x_e)
  double dual_norm_factor = 0.0;         ///< C: ||f - f_M||_X' <= C max_P |g - I_M g|
  /// The model's rhs coefficients are theta_f(mu) = beta(mu) (rhs term m is the load of q_m; M
  /// terms): the online stage then takes them from the EIM solve it does anyway (M evaluations of
  /// g and a triangular solve) instead of evaluating the M expressions /rhs/theta, each a sum of
  /// up to M exponentials, which stay in the file for readers that do not know this term.
  bool rhs_is_beta = false;
};

/// The error of an operator known only at samples and made affine by matrix EIM (sample-mode
/// external problems, rom/eim_affine_problem.hpp): the reduced model is the Galerkin projection of
/// A_M(mu) u_M = f_M(mu), the truth solves A(mu) u = f(mu). With r_N = f_M - A_M V u_N (what
/// ResidualNormData measures), the truth's residual is
///   f - A V u_N = r_N + (f - f_M) + (A_M - A) V u_N,
/// and the inf-sup (or coercivity) constant of A is at least alpha_LB(mu) - ||A - A_M||_{X->X'}
/// (the smallest singular value of X^-1/2 A X^-1/2 moves by at most the norm of the perturbation),
/// alpha_LB(mu) the model's bound for A_M. Hence, with eps_A >= ||A(mu) - A_M(mu)||_{X->X'} and
/// eps_f >= ||f(mu) - f_M(mu)||_X',
///   ||u - V u_N||_X <= (||r_N||_X' + eps_f + eps_A ||u_N||_X) / (alpha_LB(mu) - eps_A)
/// when alpha_LB > eps_A (+infinity otherwise). ||V u_N||_X = |u_N|_2 because the basis is
/// X-orthonormal, so the term costs O(N) online. (The same as splitting u - u_N = (u - u_M) +
/// (u_M - u_N), ||u_M - u_N|| <= r / alpha_LB, ||u - u_M|| <= eps_A ||u_M|| / (alpha_LB - eps_A)
/// and ||u_M|| <= ||u_N|| + r / alpha_LB.)
///
/// What is rigorous and what is not: the inequality above is; eps_A and eps_f are NOT certified.
/// They cannot be computed online (that needs A(mu)), so the offline stage measures the dual norms
/// at the samples the EIM did not interpolate (the training samples it did not select, whose
/// entries the RBF reproduces, so they see the EIM truncation error, and the held-out samples,
/// which also see the RBF error of beta(mu)) and stores safety_factor times their maximum: an
/// a-posteriori estimate of the sup over the parameter box, like the gaussian EIM term.
struct OperatorEimError {
  double operator_error = 0.0;  ///< eps_A, estimate of max_mu ||A(mu) - A_M(mu)||_{X->X'}
  double rhs_error = 0.0;       ///< eps_f, estimate of max_mu ||f(mu) - f_M(mu)||_X' (0: f exact)
  double safety_factor = 1.0;   ///< eps = safety_factor * the measured maximum
  /// The measured ||A(mu_i) - A_M(mu_i)||_{X->X'} and ||f(mu_i) - f_M(mu_i)||_X' (empty when f is
  /// not interpolated) at the calibration samples, in the order of `points`.
  std::vector<double> measured_operator, measured_rhs;
  /// The calibration samples, one row of parameter values each.
  std::vector<std::vector<double>> points;
  /// How the norms were computed (e.g. "spectral: largest generalized eigenvalue ...").
  std::string method;
};

/// A reduced model. A value type, PETSc- and MPI-free. Basis size N <= max_size() can be chosen
/// per query (the basis is hierarchical: the first N vectors are the size-N basis).
struct ReducedModel {
  std::string problem_type;
  std::vector<std::string> parameter_names;
  std::vector<double> parameter_min, parameter_max;
  std::vector<std::string> parameter_scale;   ///< "linear" | "log"
  std::string case_text;
  std::string method;                         ///< "pod" | "greedy"
  std::string estimator = "stable";           ///< default evaluation: "classical" | "stable"

  ReducedAffine<Eigen::MatrixXd> lhs;         ///< V^T A_q V
  ReducedAffine<Eigen::VectorXd> rhs;         ///< V^T f_q
  std::vector<ReducedOutput> outputs;
  StabilityBound stability;
  ResidualNormData residual;                  ///< with the ordering documented above
  std::vector<double> singular_values;        ///< POD singular values, or greedy bounds per size
  /// The EIM error of a non-affine right-hand side, added to the error bound (absent: the rhs
  /// terms are the truth's load and the bound is ||r_N||_X' / alpha_LB as before).
  std::optional<NonaffineRhsTerm> nonaffine_rhs;
  /// The matrix-EIM error of a sampled operator, added to the error bound (absent: A(mu) is the
  /// truth's operator, or a model written before this term existed).
  std::optional<OperatorEimError> operator_eim;

  int max_size() const { return lhs.terms.empty() ? 0 : static_cast<int>(lhs.terms[0].rows()); }
};

}  // namespace kolmo::rom

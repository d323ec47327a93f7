#pragma once
/// @file
/// The online stage of a reduced model: for a parameter point, the reduced solution, the outputs,
/// the a posteriori error bound and the output bounds, at a cost that depends only on the basis
/// size N and the numbers of affine terms Q (never on the truth size). Eigen and muparser only: no
/// PETSc, no MPI.
#include <Eigen/Dense>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expression.hpp"
#include "core/parameter_space.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// What one online query returns.
struct OnlineResult {
  int size = 0;                       ///< the basis size N used
  Eigen::VectorXd coefficients;       ///< u_N(mu), the coefficients in the first N basis vectors
  std::vector<double> outputs;        ///< s_N(mu), one per model output
  /// |s(mu) - s_N(mu)| <= output_bounds[k]: ||r||^2 / alpha_LB for a compliant output, else
  /// ||l(mu)||_X' * Delta; NaN when the model holds no dual-norm data for the output, and for a
  /// compliant output of a model with a non-affine rhs term (s = f.u then differs from f_M.u).
  /// A compliant output of a model with an operator EIM error gets ||l||_X' Delta (the compliant
  /// bound assumes the reduced model is the Galerkin projection of the truth).
  std::vector<double> output_bounds;
  double residual_dual_norm = 0.0;    ///< ||r_N(mu)||_X', r_N = f_M - A V u_N
  /// eta(mu), the estimate of ||f(mu) - f_M(mu)||_X' of the model's non-affine rhs term
  /// (reduced_model.hpp, NonaffineRhsTerm: an estimate, not a certified bound); 0 without one.
  double rhs_error = 0.0;
  /// eps_f + eps_A ||u_N||_X, the part of the truth's residual that the matrix EIM of a sampled
  /// operator adds (reduced_model.hpp, OperatorEimError: eps_A, eps_f are estimates); 0 without.
  double operator_error = 0.0;
  /// alpha_LB(mu) (or beta_LB(mu)) of the model's operator (for a sampled operator: of A_M; the
  /// truth's is at least alpha_LB - eps_A).
  double stability_lower_bound = 0.0;
  /// Delta_N(mu) = (||r_N||_X' + rhs_error + operator_error) / (alpha_LB - eps_A) >= ||u(mu) -
  /// V u_N(mu)||_X (eps_A = 0 without an operator EIM error); +infinity when the denominator is
  /// not positive (the point is not certified). Without EIM terms it is rigorous; with them, see
  /// NonaffineRhsTerm and OperatorEimError.
  double error_bound = 0.0;
};

/// Evaluates a reduced model at parameter points. The constructor copies the model (its size
/// depends on N and Q only) and compiles every coefficient expression once.
///
/// Not thread-safe: evaluate() uses workspace held by the object and muparser parsers, which are
/// not reentrant. Copies are independent (each gets its own compiled expressions and workspace,
/// and shares the immutable model), so give each thread its own copy, as evaluate_batch does.
class OnlineEvaluator {
 public:
  /// @throws InputError when the model is inconsistent (check_reduced_model) or an expression does
  /// not parse.
  explicit OnlineEvaluator(const ReducedModel& model);
  OnlineEvaluator(const OnlineEvaluator& other);
  OnlineEvaluator& operator=(const OnlineEvaluator& other);
  OnlineEvaluator(OnlineEvaluator&&) noexcept;
  OnlineEvaluator& operator=(OnlineEvaluator&&) noexcept;
  ~OnlineEvaluator();

  const ReducedModel& model() const noexcept;
  /// The parameter box of the model.
  const ParameterSpace& parameter_space() const noexcept;
  int max_size() const noexcept;

  /// Evaluate at `mu` with the first `size` basis vectors (-1: all) and the residual estimator
  /// `estimator` ("" = the model's default, "classical" or "stable").
  ///
  /// The reduced system sum_q theta_q(mu) A_N,q (leading size x size blocks) is solved by
  /// Cholesky when the terms are symmetric and the stability bound is a coercivity bound
  /// (min_theta, scm), else (or when Cholesky fails) by LU with partial pivoting; the residual
  /// dual norm is sqrt(max(0, c^T G c)) (classical) or ||R c||_2 (stable), with the columns of
  /// the representers of v_n, n < size (on x86-64 processors with AVX2 and FMA, checked at run
  /// time, the Cholesky factorisation and both residual products use kernels compiled for them:
  /// same operations, reassociated sums, so equal to round-off); the stability lower bound
  /// follows model().stability (reduced_model.hpp); Delta = (||r|| + eta + eps_f + eps_A |u_N|) /
  /// (alpha_LB - eps_A), eta the non-affine rhs term's estimate and eps_A, eps_f the operator EIM
  /// error's (0 without them; O(N) more flops). Cost O(Q N^2 + N^3 + (Qf + Qa N)^2) flops
  /// (classical) or O(r (Qf + Qa N)) (stable, r = rows of R), plus M + K evaluations of g and
  /// O(M^2 + K M) flops for eta; the only memory allocated is the result.
  /// @throws InputError when mu has the wrong dimension or a value outside the parameter box
  /// ("mu: parameter 'mu2' = 1.5 is outside its range [0.1, 1]"), size is out of [1, max_size],
  /// the estimator is unknown, or the model holds no data for it.
  OnlineResult evaluate(const Mu& mu, int size = -1, const std::string& estimator = "");
  /// As evaluate(mu, size, estimator), into `result`, reusing its storage (no allocation once
  /// `result` has been used for a query of the same size). `where` prefixes messages about mu
  /// (e.g. "--mu", "points.csv:3").
  void evaluate(const Mu& mu, int size, std::string_view estimator, OnlineResult& result,
                std::string_view where = "mu");

  /// Evaluate at every point of `points` on up to `threads` std::thread workers (0: the hardware
  /// concurrency; see batch_workers), each with its own copy of this evaluator. Results are in the order of `points` and equal to sequential evaluate() calls.
  /// Every point is checked before any work starts.
  /// @throws InputError as evaluate(), naming the point ("point 3: parameter ...").
  std::vector<OnlineResult> evaluate_batch(const std::vector<Mu>& points, int size = -1,
                                           int threads = 0,
                                           const std::string& estimator = "") const;

  /// The number of workers evaluate_batch uses for `points` points and `threads` requested (0:
  /// the hardware concurrency): at most one per 32 points, since starting a thread and compiling
  /// its expressions costs about as much as a few dozen queries.
  static int batch_workers(std::size_t points, int threads);

 private:
  struct Compiled;
  struct Workspace;
  struct Prepared;
  std::shared_ptr<const ReducedModel> model_;
  std::shared_ptr<const ParameterSpace> space_;
  std::unique_ptr<Compiled> compiled_;
  std::shared_ptr<const Prepared> prepared_;
  std::unique_ptr<Workspace> work_;
};

}  // namespace kolmo::rom

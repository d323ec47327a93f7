#pragma once
/// @file
/// An external problem known only at sample points (`samples:`), made affine by matrix EIM so
/// that the reduction machinery (POD, greedy, ReducedModelBuilder, the online stage) treats it
/// like any other problem:
///   A(mu) ~ A_M(mu) = sum_m beta_m(mu) Q_m,   f(mu) ~ f_M(mu) (EIM'ed too when it varies),
/// with beta_m(mu) the RBF interpolation of the magic entries (an explicit parameter expression
/// the online stage evaluates with muparser). Samples whose points are "held out" (the test
/// points of the case) do not enter the EIM; they measure its true operator error and serve as
/// truth solves for `kolmo validate`.
///
/// When the EIM finds exactly two terms whose coefficients are affine in the one parameter p
/// that varies (for the Helmholtz operator K - k^2 M sampled at values of p = k^2), A_M is
/// rewritten exactly as K_M - p M_M (K_M = A_M at p = 0, M_M = -dA_M/dp). If the problem is
/// symmetric and X = K_M + M_M, it is then inf-sup stable with the exact eigenvalue bound of
/// rom/stability.hpp (reference coefficients (1, 1)); otherwise the stability is the external
/// problem's (coercive: SCM on the EIM terms, or the sampled bound on request; inf_sup: none
/// available). Every stability bound is one of the EIM problem, A_M. The EIM error enters the
/// model's error bound through operator_error_estimate() (reduced_model.hpp, OperatorEimError):
/// eps_A, an estimate of max_mu ||A(mu) - A_M(mu)||_{X->X'} measured at the samples the EIM did
/// not interpolate, times a safety factor (an a-posteriori estimate, not a certified bound).
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "operators/external_problem.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/matrix_eim.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// The matrix EIM options of the `matrix_eim:` keys of an external problem (max norm greedy).
MatrixEimOptions matrix_eim_options(const operators::ExternalEimSettings& settings);

/// Relative errors of an approximation over a set of points.
struct ApproximationError {
  std::size_t points = 0;  ///< number of points measured (0: none held out)
  double max = 0.0;        ///< max over the points of ||exact - approximation|| / ||exact||
  double mean = 0.0;       ///< mean of the same
};

/// ||a||_{X->X'} = max_{v, w} (w^T a v) / (||v||_X ||w||_X), the largest singular value of
/// X^-1/2 a X^-1/2 (a square, any symmetry; x SPD), the spectral norm itself (not a Frobenius-type
/// bound): the square root of the largest eigenvalue of X^-1 a^T X^-1 a, by SLEPc Krylov-Schur
/// (relative tolerance 1e-8) on a shell operator, with MUMPS Cholesky solves with X. 0 when a is
/// zero.
/// Collective on the matrices' comm. @throws Exception when the eigensolver does not converge.
double operator_dual_norm(Mat a, Mat x);

/// ||f||_X' = sqrt(f^T X^-1 f) (MUMPS Cholesky solve with X). Collective.
double vector_dual_norm(Vec f, Mat x);

/// The affine (EIM) form of a sample-mode external problem. The source problem is borrowed and
/// must outlive this object; matrices and vectors are shared with it by reference count.
/// Collective on the source's communicator for construction and every PETSc call.
class EimAffineProblem : public operators::ParametrizedProblem {
 public:
  /// Run the matrix EIM on the samples of `source` whose points are not in `held_out` (points of
  /// `held_out` that are not sample points are ignored), and the EIM of the right-hand side when
  /// it is given per sample and varies. Collective.
  /// @throws InputError when `source` is not in sample mode, fewer than two samples remain for
  /// the EIM, or the coefficients cannot be interpolated over the parameters.
  EimAffineProblem(const operators::ExternalProblem& source, const MatrixEimOptions& options,
                   std::span<const Mu> held_out = {});
  ~EimAffineProblem() override;

  /// The source's type ("external"): models and validation refer to the case's problem.
  std::string type() const override { return source_.type(); }
  VecHandle create_vector() const override { return source_.create_vector(); }

  const operators::ExternalProblem& source() const noexcept { return source_; }
  /// The operator's matrix EIM (its terms are lhs() unless recast()).
  const MatrixEim& operator_eim() const noexcept { return *operator_eim_; }
  /// The right-hand side's EIM, or nullptr when the right-hand side is affine or constant.
  const MatrixEim* rhs_eim() const noexcept { return rhs_eim_.get(); }
  /// Indices (into source().sample_points()) of the samples the EIM was trained on.
  const std::vector<std::size_t>& training_samples() const noexcept { return training_; }
  /// Indices of the held-out samples.
  const std::vector<std::size_t>& held_out_samples() const noexcept { return held_out_; }
  /// True when lhs() is the two-term rewrite K_M - p M_M (see the file comment).
  bool recast() const noexcept { return recast_; }
  /// Why the operator was or was not recast as K_M - p M_M (for messages).
  const std::string& recast_note() const noexcept { return recast_note_; }

  /// max / mean over the held-out samples of ||A(mu_i) - A_M(mu_i)||_F / ||A(mu_i)||_F.
  /// Collective.
  ApproximationError operator_error() const;
  /// The same for the right-hand side (2-norm), when it is given per sample. Collective.
  ApproximationError rhs_error() const;

  /// Indices (into source().sample_points()) of the samples the operator EIM did not select:
  /// the unselected training samples (at which the RBF reproduces the magic entries, so A_M
  /// there carries the EIM truncation error) followed by the held-out ones (which also carry the
  /// RBF error of beta(mu)). Not collective.
  std::vector<std::size_t> calibration_samples() const;
  /// The operator EIM error term of the reduced model (reduced_model.hpp, OperatorEimError):
  /// ||A(mu_i) - A_M(mu_i)||_{X->X'} (operator_dual_norm) and, with a right-hand side given per
  /// sample, ||f(mu_i) - f_M(mu_i)||_X' at `samples` (default: calibration_samples()), and
  /// eps = safety_factor * their maxima. One eigensolve per sample. Collective.
  /// @throws InputError when safety_factor < 1 or there is no sample to measure.
  OperatorEimError operator_error_estimate(double safety_factor = 2.0,
                                           std::span<const std::size_t> samples = {}) const;

 private:
  void recast_two_terms();

  const operators::ExternalProblem& source_;
  std::unique_ptr<MatrixEim> operator_eim_;
  std::unique_ptr<MatrixEim> rhs_eim_;
  std::vector<std::size_t> training_, held_out_;
  bool recast_ = false;
  std::string recast_note_;
};

}  // namespace kolmo::rom

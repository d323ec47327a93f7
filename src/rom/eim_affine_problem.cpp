#include "rom/eim_affine_problem.hpp"

#include <slepceps.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/mpi.hpp"

namespace kolmo::rom {
namespace {

// A vector as an n x 1 AIJ matrix with the vector's row layout, so that the matrix EIM (which
// treats any matrices with one row layout) interpolates right-hand sides too.
MatHandle column_matrix(Vec v) {
  PetscInt n = 0, local = 0, lo = 0, hi = 0;
  KOLMO_PETSC_CALL(VecGetSize(v, &n));
  KOLMO_PETSC_CALL(VecGetLocalSize(v, &local));
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &lo, &hi));
  MPI_Comm comm = MPI_COMM_NULL;
  KOLMO_PETSC_CALL(PetscObjectGetComm(reinterpret_cast<PetscObject>(v), &comm));
  MatHandle m;
  KOLMO_PETSC_CALL(MatCreate(comm, m.out()));
  KOLMO_PETSC_CALL(MatSetSizes(m, local, PETSC_DECIDE, n, 1));
  KOLMO_PETSC_CALL(MatSetType(m, MATAIJ));
  KOLMO_PETSC_CALL(MatSeqAIJSetPreallocation(m, 1, nullptr));
  KOLMO_PETSC_CALL(MatMPIAIJSetPreallocation(m, 1, nullptr, 1, nullptr));
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(v, &values));
  const PetscInt column = 0;
  for (PetscInt i = lo; i < hi; ++i)
    KOLMO_PETSC_CALL(MatSetValues(m, 1, &i, 1, &column, &values[i - lo], INSERT_VALUES));
  KOLMO_PETSC_CALL(VecRestoreArrayRead(v, &values));
  KOLMO_PETSC_CALL(MatAssemblyBegin(m, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(m, MAT_FINAL_ASSEMBLY));
  return m;
}

double frobenius(Mat a) {
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(MatNorm(a, NORM_FROBENIUS, &norm));
  return norm;
}

// The EIM terms of symmetric samples are symmetric (combinations of them); say so, for the solvers
// (MUMPS Cholesky, the inertia of spectrum slicing) that rely on it.
void mark_symmetric(Mat a) {
  KOLMO_PETSC_CALL(MatSetOption(a, MAT_SYMMETRIC, PETSC_TRUE));
  KOLMO_PETSC_CALL(MatSetOption(a, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
}

// A KSP that solves with the SPD matrix x by a MUMPS Cholesky factorisation.
void setup_cholesky(KSP ksp) {
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPPREONLY));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, PCCHOLESKY));
  KOLMO_PETSC_CALL(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
}

// y = X^-1 a^T X^-1 a v: X-self-adjoint, its eigenvalues are the squared singular values of
// X^-1/2 a X^-1/2. As a standard (non-Hermitian) eigenproblem it needs no solve with X in the
// spectral transformation, so one factorisation of X serves every matrix measured.
struct NormalOperator {
  Mat a = nullptr;
  KSP x_solver = nullptr;
  VecHandle av, xav, atxav;
};

PetscErrorCode normal_operator_mult(Mat shell, Vec v, Vec y) {
  return petsc_callback([&] {
    NormalOperator* op = nullptr;
    KOLMO_PETSC_CALL(MatShellGetContext(shell, &op));
    KOLMO_PETSC_CALL(MatMult(op->a, v, op->av));
    KOLMO_PETSC_CALL(KSPSolve(op->x_solver, op->av, op->xav));
    KOLMO_PETSC_CALL(MatMultTranspose(op->a, op->xav, op->atxav));
    KOLMO_PETSC_CALL(KSPSolve(op->x_solver, op->atxav, y));
  });
}

KSPHandle cholesky_solver(Mat x) {
  KSPHandle solver;
  KOLMO_PETSC_CALL(KSPCreate(object_comm(x), solver.out()));
  KOLMO_PETSC_CALL(KSPSetOperators(solver, x, x));
  KOLMO_PETSC_CALL(KSPSetOptionsPrefix(solver, "kolmo_eim_norm_x_"));
  setup_cholesky(solver);
  KOLMO_PETSC_CALL(KSPSetFromOptions(solver));
  KOLMO_PETSC_CALL(KSPSetUp(solver));
  return solver;
}

// ||a||_{X->X'} with `x_solver` solving with X (factorised).
double operator_dual_norm(Mat a, KSP x_solver) {
  if (frobenius(a) == 0) return 0.0;
  const MPI_Comm comm = object_comm(a);
  NormalOperator op;
  op.a = a;
  op.x_solver = x_solver;
  KOLMO_PETSC_CALL(MatCreateVecs(a, nullptr, op.av.out()));
  KOLMO_PETSC_CALL(VecDuplicate(op.av, op.xav.out()));
  KOLMO_PETSC_CALL(VecDuplicate(op.av, op.atxav.out()));
  PetscInt rows = 0, cols = 0, local_rows = 0, local_cols = 0;
  KOLMO_PETSC_CALL(MatGetSize(a, &rows, &cols));
  KOLMO_PETSC_CALL(MatGetLocalSize(a, &local_rows, &local_cols));
  KOLMO_CHECK(rows == cols, "operator_dual_norm: the matrix is " << rows << " x " << cols
                                                                 << ", not square");
  MatHandle normal;
  KOLMO_PETSC_CALL(MatCreateShell(comm, local_cols, local_cols, cols, cols, &op, normal.out()));
  KOLMO_PETSC_CALL(MatShellSetOperation(
      normal, MATOP_MULT, reinterpret_cast<void (*)(void)>(normal_operator_mult)));

  EPSHandle eps;
  KOLMO_PETSC_CALL(EPSCreate(comm, eps.out()));
  KOLMO_PETSC_CALL(EPSSetOperators(eps, normal, nullptr));
  KOLMO_PETSC_CALL(EPSSetProblemType(eps, EPS_NHEP));
  KOLMO_PETSC_CALL(EPSSetType(eps, EPSKRYLOVSCHUR));
  KOLMO_PETSC_CALL(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
  // A small subspace: Krylov-Schur checks convergence once per restart, and the largest singular
  // value of an EIM error (a smooth, fast-decaying spectrum) converges within a restart or two.
  KOLMO_PETSC_CALL(EPSSetDimensions(eps, 1, std::min<PetscInt>(cols, 10), PETSC_DEFAULT));
  KOLMO_PETSC_CALL(EPSSetTolerances(eps, 1e-8, 1000));
  KOLMO_PETSC_CALL(EPSSetOptionsPrefix(eps, "kolmo_eim_norm_"));
  KOLMO_PETSC_CALL(EPSSetFromOptions(eps));
  KOLMO_PETSC_CALL(EPSSolve(eps));
  PetscInt converged = 0;
  KOLMO_PETSC_CALL(EPSGetConverged(eps, &converged));
  KOLMO_CHECK(converged >= 1,
              "operator_dual_norm: the eigensolver found no converged eigenvalue of X^-1 A^T X^-1 A");
  double largest = 0.0;
  for (PetscInt i = 0; i < converged; ++i) {
    PetscScalar re = 0, im = 0;
    KOLMO_PETSC_CALL(EPSGetEigenvalue(eps, i, &re, &im));
    largest = std::max(largest, static_cast<double>(re));
  }
  return std::sqrt(largest);
}

double vector_dual_norm(Vec f, KSP x_solver) {
  VecHandle riesz;
  KOLMO_PETSC_CALL(VecDuplicate(f, riesz.out()));
  KOLMO_PETSC_CALL(KSPSolve(x_solver, f, riesz));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(f, riesz, &dot));
  return std::sqrt(std::max(0.0, static_cast<double>(dot)));
}

void accumulate(ApproximationError& e, double relative) {
  e.max = std::max(e.max, relative);
  e.mean += relative;
  ++e.points;
}

}  // namespace

double operator_dual_norm(Mat a, Mat x) {
  if (frobenius(a) == 0) return 0.0;
  const KSPHandle solver = cholesky_solver(x);
  return operator_dual_norm(a, solver.get());
}

double vector_dual_norm(Vec f, Mat x) {
  const KSPHandle solver = cholesky_solver(x);
  return vector_dual_norm(f, solver.get());
}

MatrixEimOptions matrix_eim_options(const operators::ExternalEimSettings& settings) {
  MatrixEimOptions options;
  options.eim.norm = operators::EimNorm::max;
  options.eim.tolerance = settings.tolerance;
  options.eim.max_terms = settings.max_terms;
  options.eim.indicator_points = settings.indicator_points;
  options.kernel = parse_rbf_kernel(settings.kernel);
  return options;
}

EimAffineProblem::EimAffineProblem(const operators::ExternalProblem& source,
                                   const MatrixEimOptions& options, std::span<const Mu> held_out)
    : ParametrizedProblem(source.comm(), source.parameter_space()), source_(source) {
  KOLMO_INPUT_CHECK(source.sample_mode(),
                    "matrix EIM needs an external problem in sample mode ('samples:'), this one "
                    "has an affine operator");
  std::vector<bool> out(source.sample_points().size(), false);
  for (const Mu& mu : held_out)
    if (const auto index = source.find_sample(mu)) out[*index] = true;
  std::vector<Mu> points;
  std::vector<Mat> matrices;
  for (std::size_t i = 0; i < out.size(); ++i) {
    (out[i] ? held_out_ : training_).push_back(i);
    if (out[i]) continue;
    points.push_back(source.sample_points()[i]);
    matrices.push_back(source.sample_matrix(i));
  }
  KOLMO_INPUT_CHECK(training_.size() >= 2,
                    "matrix EIM: " << training_.size() << " of the " << out.size()
                                   << " samples are left for the EIM after holding out the test "
                                      "points; it needs at least 2 (and more for the RBF of beta)");
  operator_eim_ = std::make_unique<MatrixEim>(comm_, space_, points, matrices, options);
  try {
    operator_eim_->coefficient_expression(0);
  } catch (const Exception& e) {
    throw InputError(std::string("matrix EIM: beta(mu) cannot be interpolated over the parameters "
                                 "from the training samples (") + e.what() + "); give more samples");
  }
  lhs_ = operator_eim_->affine_operator();

  if (!source.rhs_per_sample()) {
    for (std::size_t q = 0; q < source.rhs().num_terms(); ++q)
      rhs_.add_term(VecHandle::borrow(source.rhs().vector(q)), source.rhs().coefficient(q),
                    source.rhs().name(q));
  } else {
    // A right-hand side that does not vary (to round-off) is one constant term; one that does is
    // interpolated like the operator, as n x 1 matrices.
    Vec first = source.sample_rhs(training_.front());
    PetscReal first_norm = 0;
    KOLMO_PETSC_CALL(VecNorm(first, NORM_2, &first_norm));
    VecHandle difference;
    KOLMO_PETSC_CALL(VecDuplicate(first, difference.out()));
    double largest = 0;
    for (std::size_t i : training_) {
      KOLMO_PETSC_CALL(VecWAXPY(difference, -1.0, first, source.sample_rhs(i)));
      PetscReal norm = 0;
      KOLMO_PETSC_CALL(VecNorm(difference, NORM_2, &norm));
      largest = std::max(largest, static_cast<double>(norm));
    }
    if (largest <= 1e-14 * first_norm) {
      rhs_.add_term(VecHandle::borrow(first), operators::Coefficient::constant(1.0), "f");
    } else {
      std::vector<MatHandle> columns;
      std::vector<Mat> raw;
      for (std::size_t i : training_) {
        columns.push_back(column_matrix(source.sample_rhs(i)));
        raw.push_back(columns.back());
      }
      rhs_eim_ = std::make_unique<MatrixEim>(comm_, space_, points, raw, options);
      const operators::AffineOperator terms = rhs_eim_->affine_operator();
      for (std::size_t q = 0; q < terms.num_terms(); ++q) {
        VecHandle v = source.create_vector();
        KOLMO_PETSC_CALL(MatGetColumnVector(terms.matrix(q), v, 0));
        rhs_.add_term(std::move(v), terms.coefficient(q), "f_" + terms.name(q));
      }
    }
  }

  for (const auto& output : source.outputs()) {
    outputs_.push_back(operators::OutputFunctional{output.name, operators::AffineVector(comm_)});
    for (std::size_t q = 0; q < output.functional.num_terms(); ++q)
      outputs_.back().functional.add_term(VecHandle::borrow(output.functional.vector(q)),
                                          output.functional.coefficient(q),
                                          output.functional.name(q));
  }
  inner_product_ = MatHandle::borrow(source.inner_product());
  symmetric_ = source.symmetric();
  compliant_ = source.compliant();
  stability_ = source.stability();
  if (symmetric_)
    for (std::size_t q = 0; q < lhs_.num_terms(); ++q) mark_symmetric(lhs_.matrix(q));
  recast_two_terms();
}

EimAffineProblem::~EimAffineProblem() = default;

void EimAffineProblem::recast_two_terms() {
  if (lhs_.num_terms() != 2) {
    recast_note_ = "the EIM has " + std::to_string(lhs_.num_terms()) + " terms, not 2";
    return;
  }
  // The one parameter that varies among the training samples.
  const auto& points = operator_eim_->sample_points();
  std::vector<std::size_t> varying;
  for (std::size_t k = 0; k < space_.dimension(); ++k)
    for (const Mu& mu : points)
      if (mu[k] != points.front()[k]) {
        varying.push_back(k);
        break;
      }
  if (varying.size() != 1) {
    recast_note_ = std::to_string(varying.size()) + " parameters vary among the samples, not 1";
    return;
  }
  const std::size_t p = varying.front();
  const Parameter& parameter = space_.parameter(p);
  // beta(mu) along p, the other parameters at their (common) sample values.
  auto beta_at = [&](double value) {
    Mu mu = points.front();
    mu[p] = value;
    return lhs_.coefficients(mu);
  };
  const auto low = beta_at(parameter.min), high = beta_at(parameter.max);
  double scale = 0, deviation = 0;
  for (int q = 0; q < 2; ++q) scale = std::max({scale, std::abs(low[q]), std::abs(high[q])});
  for (int j = 1; j < 8; ++j) {
    const double s = j / 8.0;
    const auto mid = beta_at(parameter.min + s * (parameter.max - parameter.min));
    for (int q = 0; q < 2; ++q)
      deviation = std::max(deviation, std::abs(mid[q] - ((1 - s) * low[q] + s * high[q])));
  }
  if (deviation > 1e-9 * scale) {
    std::ostringstream note;
    note << "its coefficients are not affine in " << parameter.name << " (deviation "
         << deviation / scale << " relative)";
    recast_note_ = note.str();
    return;
  }
  // A_M = sum_q (a_q + b_q p) Q_q = K_M - p M_M.
  double a[2], b[2];
  for (int q = 0; q < 2; ++q) {
    b[q] = (high[q] - low[q]) / (parameter.max - parameter.min);
    a[q] = low[q] - b[q] * parameter.min;
  }
  MatHandle k, m;
  KOLMO_PETSC_CALL(MatDuplicate(lhs_.matrix(0), MAT_COPY_VALUES, k.out()));
  KOLMO_PETSC_CALL(MatScale(k, a[0]));
  KOLMO_PETSC_CALL(MatAXPY(k, a[1], lhs_.matrix(1), DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatDuplicate(lhs_.matrix(0), MAT_COPY_VALUES, m.out()));
  KOLMO_PETSC_CALL(MatScale(m, -b[0]));
  KOLMO_PETSC_CALL(MatAXPY(m, -b[1], lhs_.matrix(1), DIFFERENT_NONZERO_PATTERN));
  if (!symmetric_) {
    recast_note_ = "the problem is not declared symmetric";
    return;
  }
  MatHandle difference;
  KOLMO_PETSC_CALL(MatDuplicate(inner_product_, MAT_COPY_VALUES, difference.out()));
  KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, k, DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, m, DIFFERENT_NONZERO_PATTERN));
  const double mismatch = frobenius(difference) / frobenius(inner_product_);
  if (mismatch > 1e-12) {
    std::ostringstream note;
    note << "A_M = K_M - " << parameter.name << " M_M, but X is not K_M + M_M (||X - K_M - M_M||_F "
         << "/ ||X||_F = " << mismatch << ")";
    recast_note_ = note.str();
    return;
  }
  mark_symmetric(k);
  mark_symmetric(m);
  operators::AffineOperator op(comm_);
  op.add_term(std::move(k), operators::Coefficient::constant(1.0), "K_M");
  op.add_term(std::move(m), operators::Coefficient::expression("-(" + parameter.name + ")", space_),
              "M_M");
  lhs_ = std::move(op);
  reference_theta_ = {1.0, 1.0};
  stability_ = operators::Stability::inf_sup;
  recast_ = true;
  std::ostringstream note;
  note << "two terms affine in " << parameter.name << ": A_M = K_M - " << parameter.name
       << " M_M with X = K_M + M_M (||X - K_M - M_M||_F / ||X||_F = " << mismatch << ")";
  recast_note_ = note.str();
}

ApproximationError EimAffineProblem::operator_error() const {
  ApproximationError e;
  MatHandle approximation, difference;
  for (std::size_t i : held_out_) {
    const Mu& mu = source_.sample_points()[i];
    lhs_.assemble(mu, approximation);
    Mat exact = source_.sample_matrix(i);
    difference.reset();
    KOLMO_PETSC_CALL(MatDuplicate(exact, MAT_COPY_VALUES, difference.out()));
    KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, approximation, DIFFERENT_NONZERO_PATTERN));
    accumulate(e, frobenius(difference) / frobenius(exact));
  }
  if (e.points > 0) e.mean /= static_cast<double>(e.points);
  return e;
}

ApproximationError EimAffineProblem::rhs_error() const {
  ApproximationError e;
  if (!source_.rhs_per_sample()) return e;
  VecHandle approximation = create_vector();
  for (std::size_t i : held_out_) {
    rhs_.assemble(source_.sample_points()[i], approximation);
    Vec exact = source_.sample_rhs(i);
    PetscReal norm = 0, error = 0;
    KOLMO_PETSC_CALL(VecNorm(exact, NORM_2, &norm));
    KOLMO_PETSC_CALL(VecAXPY(approximation, -1.0, exact));
    KOLMO_PETSC_CALL(VecNorm(approximation, NORM_2, &error));
    accumulate(e, norm > 0 ? error / norm : error);
  }
  if (e.points > 0) e.mean /= static_cast<double>(e.points);
  return e;
}

}  // namespace kolmo::rom

namespace kolmo::rom {

std::vector<std::size_t> EimAffineProblem::calibration_samples() const {
  std::vector<bool> selected(training_.size(), false);
  for (std::size_t k : operator_eim_->selected()) selected[k] = true;
  std::vector<std::size_t> samples;
  for (std::size_t k = 0; k < training_.size(); ++k)
    if (!selected[k]) samples.push_back(training_[k]);
  samples.insert(samples.end(), held_out_.begin(), held_out_.end());
  return samples;
}

OperatorEimError EimAffineProblem::operator_error_estimate(double safety_factor,
                                                           std::span<const std::size_t> samples) const {
  KOLMO_INPUT_CHECK(safety_factor >= 1, "matrix EIM error estimate: the safety factor "
                                            << safety_factor << " is below 1");
  const std::vector<std::size_t> fallback = samples.empty() ? calibration_samples()
                                                            : std::vector<std::size_t>();
  const std::span<const std::size_t> chosen = samples.empty() ? std::span(fallback) : samples;
  KOLMO_INPUT_CHECK(!chosen.empty(),
                    "matrix EIM error estimate: every sample is an EIM interpolation point, so "
                    "none measures the EIM error; hold some out (test points that are sample "
                    "points) or give more samples");
  OperatorEimError e;
  e.safety_factor = safety_factor;
  e.method = "spectral: sqrt of the largest eigenvalue of X^-1 (A - A_M)^T X^-1 (A - A_M) at "
             "samples the EIM did not interpolate, times the safety factor (estimate)";
  MatHandle approximation, difference;
  VecHandle f_m = source_.rhs_per_sample() ? create_vector() : VecHandle();
  const KSPHandle x_solver = cholesky_solver(inner_product_);
  for (std::size_t i : chosen) {
    KOLMO_CHECK(i < source_.sample_points().size(),
                "operator_error_estimate: sample " << i << " does not exist");
    const Mu& mu = source_.sample_points()[i];
    lhs_.assemble(mu, approximation);
    difference.reset();
    KOLMO_PETSC_CALL(MatDuplicate(source_.sample_matrix(i), MAT_COPY_VALUES, difference.out()));
    KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, approximation, DIFFERENT_NONZERO_PATTERN));
    e.points.emplace_back(mu.begin(), mu.end());
    e.measured_operator.push_back(operator_dual_norm(difference, x_solver.get()));
    if (source_.rhs_per_sample()) {
      rhs_.assemble(mu, f_m);
      KOLMO_PETSC_CALL(VecAXPY(f_m, -1.0, source_.sample_rhs(i)));
      e.measured_rhs.push_back(vector_dual_norm(f_m, x_solver.get()));
    }
  }
  e.operator_error = safety_factor * *std::max_element(e.measured_operator.begin(),
                                                       e.measured_operator.end());
  if (!e.measured_rhs.empty())
    e.rhs_error = safety_factor * *std::max_element(e.measured_rhs.begin(), e.measured_rhs.end());
  return e;
}

}  // namespace kolmo::rom

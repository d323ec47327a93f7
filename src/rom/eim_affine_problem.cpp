#include "rom/eim_affine_problem.hpp"

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

void accumulate(ApproximationError& e, double relative) {
  e.max = std::max(e.max, relative);
  e.mean += relative;
  ++e.points;
}

}  // namespace

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

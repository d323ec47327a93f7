#include "operators/affine_operator.hpp"

#include <cstdio>

namespace kolmo::operators {
namespace {
std::string default_term_name(char prefix, std::size_t index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%c%zu", prefix, index);
  return buffer;
}
}  // namespace

void AffineOperator::add_term(MatHandle matrix, Coefficient theta, std::string name) {
  KOLMO_CHECK(matrix, "AffineOperator::add_term: null matrix");
  if (!terms_.empty()) {
    PetscInt m0, n0, m, n;
    KOLMO_PETSC_CALL(MatGetSize(terms_.front().matrix, &m0, &n0));
    KOLMO_PETSC_CALL(MatGetSize(matrix, &m, &n));
    KOLMO_CHECK(m == m0 && n == n0, "affine term '" << name << "' is " << m << "x" << n
                                                    << ", the first term is " << m0 << "x" << n0);
  }
  if (name.empty()) name = default_term_name('A', terms_.size());
  terms_.push_back({std::move(matrix), std::move(theta), std::move(name)});
}

std::vector<double> AffineOperator::coefficients(const Mu& mu) const {
  std::vector<double> theta;
  theta.reserve(terms_.size());
  for (const auto& t : terms_) theta.push_back(t.theta(mu));
  return theta;
}

void AffineOperator::assemble(const Mu& mu, MatHandle& out) const {
  KOLMO_CHECK(!terms_.empty(), "AffineOperator::assemble: the operator has no terms");
  const auto theta = coefficients(mu);
  if (!out) {
    KOLMO_PETSC_CALL(MatDuplicate(terms_[0].matrix, MAT_DO_NOT_COPY_VALUES, out.out()));
    // Widen the pattern to the union of all terms once (MatAXPY skips a zero factor, hence 1;
    // the values are cleared below); later assemblies reuse it.
    for (std::size_t q = 1; q < terms_.size(); ++q)
      KOLMO_PETSC_CALL(MatAXPY(out, 1.0, terms_[q].matrix, DIFFERENT_NONZERO_PATTERN));
    // MatDuplicate does not carry the near-null space (e.g. rigid-body modes for GAMG) over.
    MatNullSpace near_null_space = nullptr;
    KOLMO_PETSC_CALL(MatGetNearNullSpace(terms_[0].matrix, &near_null_space));
    if (near_null_space) KOLMO_PETSC_CALL(MatSetNearNullSpace(out, near_null_space));
  }
  KOLMO_PETSC_CALL(MatZeroEntries(out));
  for (std::size_t q = 0; q < terms_.size(); ++q)
    KOLMO_PETSC_CALL(MatAXPY(out, theta[q], terms_[q].matrix, SUBSET_NONZERO_PATTERN));
}

void AffineVector::add_term(VecHandle vector, Coefficient theta, std::string name) {
  KOLMO_CHECK(vector, "AffineVector::add_term: null vector");
  if (name.empty()) name = default_term_name('f', terms_.size());
  terms_.push_back({std::move(vector), std::move(theta), std::move(name)});
}

std::vector<double> AffineVector::coefficients(const Mu& mu) const {
  std::vector<double> theta;
  theta.reserve(terms_.size());
  for (const auto& t : terms_) theta.push_back(t.theta(mu));
  return theta;
}

void AffineVector::assemble(const Mu& mu, Vec out) const {
  KOLMO_PETSC_CALL(VecSet(out, 0.0));
  const auto theta = coefficients(mu);
  for (std::size_t q = 0; q < terms_.size(); ++q)
    KOLMO_PETSC_CALL(VecAXPY(out, theta[q], terms_[q].vector));
}

double AffineVector::apply(const Mu& mu, Vec u) const {
  const auto theta = coefficients(mu);
  double value = 0.0;
  for (std::size_t q = 0; q < terms_.size(); ++q) {
    PetscScalar dot = 0;
    KOLMO_PETSC_CALL(VecDot(u, terms_[q].vector, &dot));
    value += theta[q] * dot;
  }
  return value;
}

}  // namespace kolmo::operators

#include "operators/affine_operator.hpp"

#include <algorithm>
#include <cstdio>

#include <petsc/private/petscimpl.h>

#include "core/mpi.hpp"

namespace kolmo::operators {
namespace {
std::string default_term_name(char prefix, std::size_t index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%c%zu", prefix, index);
  return buffer;
}

/// The sequential AIJ blocks of an AIJ matrix: the matrix itself on one process; for MPIAIJ the
/// diagonal block, the off-diagonal block and its global column numbers. False for other types.
struct AijBlocks {
  Mat diagonal = nullptr, off_diagonal = nullptr;
  const PetscInt* off_diagonal_columns = nullptr;
};
bool aij_blocks(Mat m, AijBlocks& b) {
  PetscBool seq = PETSC_FALSE, mpi = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(m), MATSEQAIJ, &seq));
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(m), MATMPIAIJ, &mpi));
  if (seq) b.diagonal = m;
  if (mpi)
    KOLMO_PETSC_CALL(MatMPIAIJGetSeqAIJ(m, &b.diagonal, &b.off_diagonal, &b.off_diagonal_columns));
  return seq || mpi;
}

/// Compressed rows of a sequential AIJ block (PETSc's own arrays, not copies).
struct Rows {
  Mat block;
  PetscInt n = 0;
  const PetscInt *ia = nullptr, *ja = nullptr;
  explicit Rows(Mat b) : block(b) {
    PetscBool done = PETSC_FALSE;
    KOLMO_PETSC_CALL(MatGetRowIJ(block, 0, PETSC_FALSE, PETSC_FALSE, &n, &ia, &ja, &done));
    KOLMO_CHECK(done, "MatGetRowIJ is not available for an AIJ block");
  }
  ~Rows() {
    PetscBool done = PETSC_FALSE;
    MatRestoreRowIJ(block, 0, PETSC_FALSE, PETSC_FALSE, &n, &ia, &ja, &done);
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
};

/// For every stored entry of `term`, its position in the value array of `sum` (columns within a
/// row are sorted in both, in global numbering when `*_columns` translates them). False when an
/// entry of the term is not in the sum's pattern.
bool map_block(Mat term, const PetscInt* term_columns, Mat sum, const PetscInt* sum_columns,
               std::vector<PetscInt>& map) {
  const Rows t(term), s(sum);
  if (t.n != s.n) return false;
  auto global = [](const PetscInt* columns, PetscInt j) { return columns ? columns[j] : j; };
  map.assign(static_cast<std::size_t>(t.ia[t.n]), 0);
  for (PetscInt i = 0; i < t.n; ++i) {
    PetscInt p = s.ia[i];
    for (PetscInt k = t.ia[i]; k < t.ia[i + 1]; ++k) {
      const PetscInt column = global(term_columns, t.ja[k]);
      while (p < s.ia[i + 1] && global(sum_columns, s.ja[p]) < column) ++p;
      if (p == s.ia[i + 1] || global(sum_columns, s.ja[p]) != column) return false;
      map[static_cast<std::size_t>(k)] = p;
    }
  }
  return true;
}

/// sum = sum_q theta[q] term_q on one sequential block, through the maps.
void scatter_add(Mat sum, const std::vector<Mat>& terms, const std::vector<double>& theta,
                 const std::vector<std::vector<PetscInt>>& maps) {
  PetscInt nnz = 0;
  {
    const Rows s(sum);
    nnz = s.ia[s.n];
  }
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(MatSeqAIJGetArray(sum, &values));
  std::fill(values, values + nnz, 0.0);
  for (std::size_t q = 0; q < terms.size(); ++q) {
    const PetscScalar* term_values = nullptr;
    KOLMO_PETSC_CALL(MatSeqAIJGetArrayRead(terms[q], &term_values));
    const double f = theta[q];
    const std::vector<PetscInt>& map = maps[q];
    for (std::size_t k = 0; k < map.size(); ++k) values[map[k]] += f * term_values[k];
    KOLMO_PETSC_CALL(MatSeqAIJRestoreArrayRead(terms[q], &term_values));
  }
  KOLMO_PETSC_CALL(MatSeqAIJRestoreArray(sum, &values));
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
  update_plan(out);
  if (plan_.usable) {
    AijBlocks sum;
    aij_blocks(out, sum);
    std::vector<Mat> diagonal, off_diagonal;
    for (const auto& term : terms_) {
      AijBlocks b;
      aij_blocks(term.matrix, b);
      diagonal.push_back(b.diagonal);
      off_diagonal.push_back(b.off_diagonal);
    }
    scatter_add(sum.diagonal, diagonal, theta, plan_.diagonal);
    if (sum.off_diagonal) scatter_add(sum.off_diagonal, off_diagonal, theta, plan_.off_diagonal);
    // The blocks' states moved; the parallel matrix's must too, so that a PC sees new values.
    if (sum.off_diagonal) {
      Mat parallel = out;
      KOLMO_PETSC_CALL(PetscObjectStateIncrease(reinterpret_cast<PetscObject>(parallel)));
    }
    return;
  }
  KOLMO_PETSC_CALL(MatZeroEntries(out));
  for (std::size_t q = 0; q < terms_.size(); ++q)
    KOLMO_PETSC_CALL(MatAXPY(out, theta[q], terms_[q].matrix, SUBSET_NONZERO_PATTERN));
}

void AffineOperator::update_plan(Mat out) const {
  PetscObjectId id = 0;
  PetscObjectState nonzero_state = 0;
  KOLMO_PETSC_CALL(PetscObjectGetId(reinterpret_cast<PetscObject>(out), &id));
  KOLMO_PETSC_CALL(MatGetNonzeroState(out, &nonzero_state));
  if (plan_.id == id && plan_.nonzero_state == nonzero_state) return;
  plan_ = ScatterPlan{};
  plan_.id = id;
  plan_.nonzero_state = nonzero_state;
  AijBlocks sum;
  bool ok = aij_blocks(out, sum);
  plan_.diagonal.resize(terms_.size());
  plan_.off_diagonal.resize(terms_.size());
  for (std::size_t q = 0; q < terms_.size() && ok; ++q) {
    AijBlocks b;
    ok = aij_blocks(terms_[q].matrix, b) &&
         (b.off_diagonal == nullptr) == (sum.off_diagonal == nullptr) &&
         map_block(b.diagonal, nullptr, sum.diagonal, nullptr, plan_.diagonal[q]) &&
         (!b.off_diagonal || map_block(b.off_diagonal, b.off_diagonal_columns, sum.off_diagonal,
                                       sum.off_diagonal_columns, plan_.off_diagonal[q]));
  }
  // Every rank takes the same path: the fallback (MatAXPY) is collective.
  plan_.usable = all_ranks(comm_, ok);
  if (!plan_.usable) {
    plan_.diagonal.clear();
    plan_.off_diagonal.clear();
  }
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

#include "rom/basis_vectors.hpp"

#include <algorithm>
#include <cmath>

namespace kolmo::rom {

BVHandle create_basis_vectors(Vec layout, PetscInt columns, Mat inner_product) {
  KOLMO_CHECK(columns >= 1, "create_basis_vectors: at least one column is needed, got " << columns);
  BVHandle bv;
  KOLMO_PETSC_CALL(BVCreate(object_comm(layout), bv.out()));
  KOLMO_PETSC_CALL(BVSetSizesFromVec(bv, layout, columns));
  KOLMO_PETSC_CALL(BVSetType(bv, BVSVEC));
  KOLMO_PETSC_CALL(BVSetOrthogonalization(bv, BV_ORTHOG_CGS, BV_ORTHOG_REFINE_ALWAYS, PETSC_DEFAULT,
                                          BV_ORTHOG_BLOCK_GS));
  if (inner_product) KOLMO_PETSC_CALL(BVSetMatrix(bv, inner_product, PETSC_FALSE));
  KOLMO_PETSC_CALL(BVSetActiveColumns(bv, 0, columns));
  return bv;
}

namespace {

// The X-norm of column j, from an explicit product on a copy of the column.
double column_norm(BV bv, PetscInt j) {
  Mat x = nullptr;
  PetscBool indefinite = PETSC_FALSE;
  KOLMO_PETSC_CALL(BVGetMatrix(bv, &x, &indefinite));
  VecHandle v, w;
  KOLMO_PETSC_CALL(BVCreateVec(bv, v.out()));
  KOLMO_PETSC_CALL(BVCopyVec(bv, j, v));
  PetscScalar dot = 0;
  if (x) {
    KOLMO_PETSC_CALL(VecDuplicate(v, w.out()));
    KOLMO_PETSC_CALL(MatMult(x, v, w));
    KOLMO_PETSC_CALL(VecDot(v, w, &dot));
  } else {
    KOLMO_PETSC_CALL(VecDot(v, v, &dot));
  }
  return std::sqrt(std::max(0.0, static_cast<double>(dot)));
}

}  // namespace

ColumnOrthonormalization orthonormalize_column(BV bv, PetscInt j, double relative_tolerance) {
  ColumnOrthonormalization result;
  KOLMO_PETSC_CALL(BVSetActiveColumns(bv, 0, j + 1));
  result.original_norm = column_norm(bv, j);
  std::vector<PetscScalar> h(static_cast<std::size_t>(j) + 1, 0.0);
  if (j > 0) KOLMO_PETSC_CALL(BVOrthogonalizeColumn(bv, j, h.data(), nullptr, nullptr));
  result.coefficients.assign(h.begin(), h.begin() + j);
  // BVOrthogonalizeColumn estimates the final norm from the norm before the last pass, which is
  // inaccurate for nearly dependent columns; the norm is a stored coefficient here, so compute it.
  result.norm = column_norm(bv, j);
  bool unstable = false;
  if (j > 0 && result.norm < 1e-8 * result.original_norm) {
    // "Twice is enough" fails when what is left is near round-off: then it need not be orthogonal
    // to the other columns at all. Check with two more passes; if they still remove a sizeable
    // part, the column is numerically dependent whatever its norm.
    KOLMO_PETSC_CALL(BVOrthogonalizeColumn(bv, j, h.data(), nullptr, nullptr));
    for (PetscInt i = 0; i < j; ++i) result.coefficients[static_cast<std::size_t>(i)] += h[static_cast<std::size_t>(i)];
    const double again = column_norm(bv, j);
    unstable = again < 0.5 * result.norm;
    result.norm = again;
  }
  result.dependent = unstable || !(result.norm > 0.0) ||
                     result.norm <= relative_tolerance * result.original_norm;
  if (!result.dependent) KOLMO_PETSC_CALL(BVScaleColumn(bv, j, 1.0 / result.norm));
  return result;
}

namespace {

double vector_norm(Mat x, Vec v, Vec product) {
  PetscScalar dot = 0;
  if (x) {
    KOLMO_PETSC_CALL(MatMult(x, v, product));
    KOLMO_PETSC_CALL(VecDot(v, product, &dot));
  } else {
    KOLMO_PETSC_CALL(VecDot(v, v, &dot));
  }
  return std::sqrt(std::max(0.0, static_cast<double>(dot)));
}

// One classical Gram-Schmidt pass of v against the columns [first, end) of bv, adding the
// coefficients to h[first ...].
void project_out(BV bv, PetscInt first, PetscInt end, Vec v, std::vector<double>& h) {
  if (end <= first) return;
  std::vector<PetscScalar> m(static_cast<std::size_t>(end - first));
  KOLMO_PETSC_CALL(BVSetActiveColumns(bv, first, end));
  KOLMO_PETSC_CALL(BVDotVec(bv, v, m.data()));
  KOLMO_PETSC_CALL(BVMultVec(bv, -1.0, 1.0, v, m.data()));
  for (std::size_t i = 0; i < m.size(); ++i) h[static_cast<std::size_t>(first) + i] += m[i];
}

}  // namespace

std::vector<ColumnOrthonormalization> orthonormalize_block(BV bv, PetscInt first, PetscInt count,
                                                           double relative_tolerance) {
  std::vector<ColumnOrthonormalization> results(static_cast<std::size_t>(count));
  if (count <= 0) return results;
  Mat x = nullptr;
  PetscBool indefinite = PETSC_FALSE;
  KOLMO_PETSC_CALL(BVGetMatrix(bv, &x, &indefinite));
  VecHandle work, product;
  KOLMO_PETSC_CALL(BVCreateVec(bv, work.out()));
  KOLMO_PETSC_CALL(BVCreateVec(bv, product.out()));
  for (PetscInt i = 0; i < count; ++i) {
    KOLMO_PETSC_CALL(BVCopyVec(bv, first + i, work));
    results[static_cast<std::size_t>(i)].original_norm = vector_norm(x, work, product);
  }
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(first, count);
  if (first > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      KOLMO_PETSC_CALL(BVSetActiveColumns(bv, first, first + count));
      BV left = nullptr, right = nullptr;
      KOLMO_PETSC_CALL(BVGetSplit(bv, &left, &right));
      MatHandle m;
      KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, first, count, nullptr, m.out()));
      KOLMO_PETSC_CALL(BVDot(right, left, m));               // L^T X B
      KOLMO_PETSC_CALL(BVMult(right, -1.0, 1.0, left, m));   // B -= L (L^T X B)
      KOLMO_PETSC_CALL(BVRestoreSplit(bv, &left, &right));
      h += from_seqdense(m, first, count);
    }
  }
  for (PetscInt i = 0; i < count; ++i) {
    auto& r = results[static_cast<std::size_t>(i)];
    const PetscInt j = first + i;
    std::vector<double> g(static_cast<std::size_t>(j), 0.0);
    for (PetscInt l = 0; l < first; ++l) g[static_cast<std::size_t>(l)] = h(l, i);
    KOLMO_PETSC_CALL(BVCopyVec(bv, j, work));
    project_out(bv, first, j, work, g);
    project_out(bv, first, j, work, g);
    r.norm = vector_norm(x, work, product);
    bool unstable = false;
    if (j > 0 && r.norm < 1e-8 * r.original_norm) {
      project_out(bv, 0, j, work, g);
      project_out(bv, 0, j, work, g);
      const double again = vector_norm(x, work, product);
      unstable = again < 0.5 * r.norm;
      r.norm = again;
    }
    r.coefficients = std::move(g);
    r.dependent = unstable || !(r.norm > 0.0) || r.norm <= relative_tolerance * r.original_norm;
    if (r.dependent) {
      replace_with_random_column(bv, j);
    } else {
      KOLMO_PETSC_CALL(VecScale(work, 1.0 / r.norm));
      KOLMO_PETSC_CALL(BVInsertVec(bv, j, work));
    }
  }
  KOLMO_PETSC_CALL(BVSetActiveColumns(bv, 0, first + count));
  return results;
}

void replace_with_random_column(BV bv, PetscInt j) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    KOLMO_PETSC_CALL(BVSetRandomColumn(bv, j));
    const auto r = orthonormalize_column(bv, j, 1e-8);
    if (!r.dependent) return;
  }
  KOLMO_CHECK(false, "could not complete an orthonormal basis with a random vector at column " << j
                         << " (the space is exhausted: more columns than its dimension?)");
}

PetscInt column_count(BV bv) {
  PetscInt local = 0, global = 0, columns = 0;
  KOLMO_PETSC_CALL(BVGetSizes(bv, &local, &global, &columns));
  return columns;
}

void ensure_columns(BVHandle& bv, PetscInt columns, bool exact) {
  const PetscInt current = column_count(bv);
  if (columns > current) {
    Mat x = nullptr;
    PetscBool indefinite = PETSC_FALSE;
    KOLMO_PETSC_CALL(BVGetMatrix(bv, &x, &indefinite));
    VecHandle layout;
    KOLMO_PETSC_CALL(BVCreateVec(bv, layout.out()));
    BVHandle grown = create_basis_vectors(layout, exact ? columns : std::max(columns, 2 * current), x);
    KOLMO_PETSC_CALL(BVSetActiveColumns(bv, 0, current));
    KOLMO_PETSC_CALL(BVSetActiveColumns(grown, 0, current));
    KOLMO_PETSC_CALL(BVCopy(bv, grown));
    bv = std::move(grown);
  }
  KOLMO_PETSC_CALL(BVSetActiveColumns(bv, 0, current));
}

MatHandle to_seqdense(const Eigen::MatrixXd& m) {
  MatHandle dense;
  KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, static_cast<PetscInt>(m.rows()),
                                     static_cast<PetscInt>(m.cols()), nullptr, dense.out()));
  PetscScalar* data = nullptr;
  KOLMO_PETSC_CALL(MatDenseGetArrayWrite(dense, &data));
  PetscInt lda = 0;
  KOLMO_PETSC_CALL(MatDenseGetLDA(dense, &lda));
  for (Eigen::Index c = 0; c < m.cols(); ++c)
    for (Eigen::Index r = 0; r < m.rows(); ++r) data[r + c * lda] = m(r, c);
  KOLMO_PETSC_CALL(MatDenseRestoreArrayWrite(dense, &data));
  KOLMO_PETSC_CALL(MatAssemblyBegin(dense, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(dense, MAT_FINAL_ASSEMBLY));
  return dense;
}

Eigen::MatrixXd from_seqdense(Mat dense, PetscInt rows, PetscInt cols) {
  Eigen::MatrixXd m(rows, cols);
  const PetscScalar* data = nullptr;
  PetscInt lda = 0;
  KOLMO_PETSC_CALL(MatDenseGetLDA(dense, &lda));
  KOLMO_PETSC_CALL(MatDenseGetArrayRead(dense, &data));
  for (PetscInt c = 0; c < cols; ++c)
    for (PetscInt r = 0; r < rows; ++r) m(r, c) = data[r + c * lda];
  KOLMO_PETSC_CALL(MatDenseRestoreArrayRead(dense, &data));
  return m;
}

}  // namespace kolmo::rom

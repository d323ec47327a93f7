#include "rom/representer_set.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "rom/basis_vectors.hpp"

namespace kolmo::rom {
namespace {

// Grow a square or rectangular Eigen matrix to at least rows x cols, keeping its content.
void grow(Eigen::MatrixXd& m, Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() >= rows && m.cols() >= cols) return;
  Eigen::MatrixXd bigger = Eigen::MatrixXd::Zero(std::max(rows, 2 * m.rows()), std::max(cols, 2 * m.cols()));
  bigger.topLeftCorner(m.rows(), m.cols()) = m;
  m.swap(bigger);
}

}  // namespace

RepresenterSet::RepresenterSet(Mat inner_product, Vec layout, std::size_t capacity,
                               double drop_tolerance)
    : drop_tolerance_(drop_tolerance), inner_product_(inner_product) {
  const auto columns = static_cast<PetscInt>(std::max<std::size_t>(capacity, 1));
  orthonormal_ = create_basis_vectors(layout, columns, inner_product);
  coefficients_ = Eigen::MatrixXd::Zero(columns, columns);
  KOLMO_PETSC_CALL(VecDuplicate(layout, work_.out()));
  KOLMO_PETSC_CALL(VecDuplicate(layout, product_.out()));
}

void RepresenterSet::append(Vec xi) { append(std::vector<Vec>{xi}); }

double RepresenterSet::x_norm(Vec v) {
  KOLMO_PETSC_CALL(MatMult(inner_product_, v, product_));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(v, product_, &dot));
  return std::sqrt(std::max(0.0, static_cast<double>(dot)));
}

// One classical Gram-Schmidt pass of work_ against the columns [first, end) of the basis, adding
// the coefficients to h (indexed from `first`).
void RepresenterSet::project_out(PetscInt first, PetscInt end, std::vector<double>& h) {
  if (end <= first) return;
  std::vector<PetscScalar> m(static_cast<std::size_t>(end - first));
  KOLMO_PETSC_CALL(BVSetActiveColumns(orthonormal_, first, end));
  KOLMO_PETSC_CALL(BVDotVec(orthonormal_, work_, m.data()));
  KOLMO_PETSC_CALL(BVMultVec(orthonormal_, -1.0, 1.0, work_, m.data()));
  for (std::size_t i = 0; i < m.size(); ++i) h[static_cast<std::size_t>(first) + i] += m[i];
}

void RepresenterSet::append(const std::vector<Vec>& block) {
  const auto r = static_cast<PetscInt>(rank_);
  const auto b = static_cast<PetscInt>(block.size());
  if (b == 0) return;
  ensure_columns(orthonormal_, r + b);
  std::vector<double> original(block.size());
  for (PetscInt i = 0; i < b; ++i) {
    KOLMO_PETSC_CALL(BVInsertVec(orthonormal_, r + i, block[static_cast<std::size_t>(i)]));
    original[static_cast<std::size_t>(i)] = x_norm(block[static_cast<std::size_t>(i)]);
  }
  // Two block passes against the existing basis: H += L^T X B, B -= L H.
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(r, b);
  if (r > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      KOLMO_PETSC_CALL(BVSetActiveColumns(orthonormal_, r, r + b));
      BV left = nullptr, right = nullptr;
      KOLMO_PETSC_CALL(BVGetSplit(orthonormal_, &left, &right));
      MatHandle m;
      KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, r, b, nullptr, m.out()));
      KOLMO_PETSC_CALL(BVDot(right, left, m));
      KOLMO_PETSC_CALL(BVMult(right, -1.0, 1.0, left, m));
      KOLMO_PETSC_CALL(BVRestoreSplit(orthonormal_, &left, &right));
      h += from_seqdense(m, r, b);
    }
  }
  // Then within the block, column by column (CGS2 against the block's accepted columns), packing
  // the accepted ones to the front.
  PetscInt accepted = 0;
  for (PetscInt i = 0; i < b; ++i) {
    const PetscInt j = r + accepted;
    const auto k = static_cast<Eigen::Index>(size_) + i;
    KOLMO_PETSC_CALL(BVCopyVec(orthonormal_, r + i, work_));
    std::vector<double> g(static_cast<std::size_t>(j), 0.0);
    for (PetscInt l = 0; l < r; ++l) g[static_cast<std::size_t>(l)] = h(l, i);
    project_out(r, j, g);
    project_out(r, j, g);
    double norm = x_norm(work_);
    bool unstable = false;
    const double start = original[static_cast<std::size_t>(i)];
    if (norm < 1e-8 * start) {
      // Heavy cancellation: what is left may be round-off that is not orthogonal to the basis.
      // Two more passes against every column; if they remove a sizeable part, it is dependent.
      project_out(0, j, g);
      project_out(0, j, g);
      const double again = x_norm(work_);
      unstable = again < 0.5 * norm;
      norm = again;
    }
    const bool dependent = unstable || !(norm > 0.0) || norm <= drop_tolerance_ * start;
    grow(coefficients_, j + 1, k + 1);
    for (PetscInt l = 0; l < j; ++l) coefficients_(l, k) = g[static_cast<std::size_t>(l)];
    if (!dependent) {
      coefficients_(j, k) = norm;
      KOLMO_PETSC_CALL(VecScale(work_, 1.0 / norm));
      KOLMO_PETSC_CALL(BVInsertVec(orthonormal_, j, work_));
      ++accepted;
    }
  }
  rank_ += static_cast<std::size_t>(accepted);
  size_ += block.size();
}

Eigen::MatrixXd RepresenterSet::gram() const {
  const Eigen::MatrixXd r = orthonormal_coefficients();
  Eigen::MatrixXd g = r.transpose() * r;
  return 0.5 * (g + g.transpose());
}

Eigen::MatrixXd RepresenterSet::orthonormal_coefficients() const {
  return coefficients_.topLeftCorner(static_cast<Eigen::Index>(rank_), static_cast<Eigen::Index>(size_));
}

}  // namespace kolmo::rom

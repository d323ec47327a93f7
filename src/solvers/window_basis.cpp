#include "solvers/window_basis.hpp"

#include <mpi.h>

#include <Eigen/Jacobi>

#include <cmath>
#include <type_traits>

#include "core/error.hpp"

namespace kolmo::solvers {

static_assert(std::is_same_v<PetscScalar, double>, "the window is stored as real doubles");

WindowBasis::WindowBasis(std::size_t capacity) : capacity_(capacity) {
  KOLMO_CHECK(capacity >= 1, "window basis: the number of vectors kept must be at least 1");
  r_ = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(capacity), static_cast<Eigen::Index>(capacity));
}

Eigen::Map<Eigen::MatrixXd> WindowBasis::columns(std::size_t count) {
  return {w_.get(), static_cast<Eigen::Index>(rows_), static_cast<Eigen::Index>(count)};
}

Eigen::Map<const Eigen::MatrixXd> WindowBasis::local() const {
  return {w_.get(), static_cast<Eigen::Index>(rows_), static_cast<Eigen::Index>(size_)};
}

bool WindowBasis::add(Vec u) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(u));
  PetscInt rows = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(u, &rows));
  if (!w_) {
    rows_ = rows;
    w_ = std::make_unique<double[]>(static_cast<std::size_t>(rows_) * capacity_);
  }
  KOLMO_CHECK(rows == rows_, "window basis: a vector of " << rows << " local rows added to a window of "
                                                          << rows_);
  if (size_ == capacity_) drop_oldest();

  const auto k = static_cast<Eigen::Index>(size_);
  auto w = columns(size_ + 1);
  auto x = w.col(k);
  {
    const PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(u, &values));
    x = Eigen::Map<const Eigen::VectorXd>(values, static_cast<Eigen::Index>(rows_));
    KOLMO_PETSC_CALL(VecRestoreArrayRead(u, &values));
  }
  // Two passes of classical Gram-Schmidt; h collects R's new column. The squared norm before the
  // passes travels with the first one.
  Eigen::VectorXd h = Eigen::VectorXd::Zero(k + 1);
  Eigen::VectorXd part(k + 1);
  double before = 0;
  for (int pass = 0; pass < 2; ++pass) {
    part.head(k).noalias() = w.leftCols(k).transpose() * x;
    part(k) = pass == 0 ? x.squaredNorm() : 0.0;
    MPI_Allreduce(MPI_IN_PLACE, part.data(), static_cast<int>(k + 1), MPI_DOUBLE, MPI_SUM, comm);
    if (pass == 0) before = std::sqrt(part(k));
    x.noalias() -= w.leftCols(k) * part.head(k);
    h.head(k) += part.head(k);
  }
  double after = x.squaredNorm();
  MPI_Allreduce(MPI_IN_PLACE, &after, 1, MPI_DOUBLE, MPI_SUM, comm);
  after = std::sqrt(after);
  if (!(before > 0) || !(after > relative_dependence_tolerance * before)) return false;
  x /= after;
  h(k) = after;
  r_.col(k).head(k + 1) = h;
  ++size_;
  return true;
}

void WindowBasis::drop_oldest() {
  const auto k = static_cast<Eigen::Index>(size_);
  auto w = columns(size_);
  // H = R without its first column: k x (k - 1), upper Hessenberg. W H = S without its oldest.
  Eigen::MatrixXd h = r_.block(0, 1, k, k - 1);
  for (Eigen::Index j = 0; j + 1 < k; ++j) {
    Eigen::JacobiRotation<double> g;
    g.makeGivens(h(j, j), h(j + 1, j));
    // H <- G^T H zeroes H(j+1, j); W <- W G keeps W H.
    h.applyOnTheLeft(j, j + 1, g.adjoint());
    w.applyOnTheRight(j, j + 1, g);
  }
  // The last row of H is now zero, so the last column of W leaves.
  r_.setZero();
  r_.topLeftCorner(k - 1, k - 1) = h.topRows(k - 1).triangularView<Eigen::Upper>();
  --size_;
}

}  // namespace kolmo::solvers

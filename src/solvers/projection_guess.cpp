#include "solvers/projection_guess.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <type_traits>

#include "core/error.hpp"

namespace kolmo::solvers {
namespace {

using DenseMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using DenseVector = Eigen::VectorXd;

// Orthonormalises x against the orthonormal w: in l2, or, with images, in (A x)^T (A y), where
// ax = A x and aw = A w and the same combination is applied to ax. Two passes of classical
// Gram-Schmidt, then normalisation. False (x unusable) when x is zero or depends on w: its measured
// norm fell below relative_dependence_tolerance of what it was. Collective.
// (Non-const vectors: PETSc 3.18's VecMAXPY takes Vec*.)
bool orthonormalise_against(Vec x, std::vector<Vec>& w, Vec ax = nullptr, std::vector<Vec>* aw = nullptr) {
  KOLMO_CHECK(!ax || (aw && aw->size() == w.size()), "internal error: orthonormalise_against without images");
  const Vec measured = ax ? ax : x;
  std::vector<Vec>& against = ax ? *aw : w;
  const auto k = static_cast<PetscInt>(w.size());
  PetscReal before = 0, after = 0;
  KOLMO_PETSC_CALL(VecNorm(measured, NORM_2, &before));
  if (!(before > 0)) return false;
  std::vector<PetscScalar> c(w.size());
  for (int pass = 0; pass < 2 && k > 0; ++pass) {
    KOLMO_PETSC_CALL(VecMDot(measured, k, against.data(), c.data()));
    for (auto& value : c) value = -value;
    KOLMO_PETSC_CALL(VecMAXPY(x, k, c.data(), w.data()));
    if (ax) KOLMO_PETSC_CALL(VecMAXPY(ax, k, c.data(), against.data()));
  }
  KOLMO_PETSC_CALL(VecNorm(measured, NORM_2, &after));
  if (!(after > relative_dependence_tolerance * before)) return false;
  KOLMO_PETSC_CALL(VecScale(x, 1.0 / after));
  if (ax) KOLMO_PETSC_CALL(VecScale(ax, 1.0 / after));
  return true;
}

// The column-major local block `data` as a rows x columns matrix (rows may be 0 on a rank).
static_assert(std::is_same_v<PetscScalar, double>, "the image block is multiplied as real doubles");
Eigen::Map<Eigen::MatrixXd> as_matrix(PetscScalar* data, PetscInt rows, std::size_t columns) {
  return {data, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(columns)};
}

}  // namespace

ProjectionGuess::ProjectionGuess(const operators::AffineOperator& lhs, std::size_t size, bool affine, bool galerkin)
    : lhs_(lhs), size_(size), affine_(affine), galerkin_(galerkin) {
  KOLMO_CHECK(size >= 1, "projection guess: the number of solutions kept must be at least 1");
  if (!affine_) window_.emplace(size_);
}

bool ProjectionGuess::form(Vec rhs, Mat op, const std::vector<double>& theta, Vec u) {
  if (affine_) return form_affine(rhs, theta, u);
  if (window_->empty()) return false;
  return galerkin_ ? form_window_galerkin(rhs, op, u) : form_window(rhs, op, u);
}

void ProjectionGuess::remember(Vec u, bool extend_basis) {
  if (!affine_) {
    window_->add(u);
    return;
  }
  const std::size_t keep = std::max<std::size_t>(1, size_ / 2);
  VecHandle copy;
  if (solutions_.size() >= keep) {
    copy = std::move(solutions_.front());  // reuse the oldest vector's storage
    solutions_.pop_front();
  } else {
    KOLMO_PETSC_CALL(VecDuplicate(u, copy.out()));
  }
  KOLMO_PETSC_CALL(VecCopy(u, copy));
  solutions_.push_back(std::move(copy));
  if (!extend_basis) return;
  if (basis_.size() == size_) {
    // Full: restart from the latest half of the solutions (u among them).
    basis_.clear();
    reduced_.clear();
    for (const auto& solution : solutions_) add_to_basis(solution);
  } else {
    add_to_basis(u);
  }
}

bool ProjectionGuess::form_window(Vec rhs, Mat op, Vec u) {
  // Minimal residual: orthonormalise the columns of W in (A x)^T (A y) (two passes of classical
  // Gram-Schmidt, carrying A W along); then u = sum_i w_i (A w_i)^T f.
  const auto window = window_->local();
  while (residual_basis_.size() < size_) {
    residual_basis_.emplace_back();
    residual_image_.emplace_back();
    KOLMO_PETSC_CALL(VecDuplicate(rhs, residual_basis_.back().out()));
    KOLMO_PETSC_CALL(VecDuplicate(rhs, residual_image_.back().out()));
  }
  std::vector<Vec> w, aw;
  std::vector<PetscScalar> c(static_cast<std::size_t>(window.cols()));
  for (Eigen::Index j = 0; j < window.cols(); ++j) {
    const std::size_t k = w.size();
    Vec x = residual_basis_[k], ax = residual_image_[k];
    PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayWrite(x, &values));
    Eigen::Map<Eigen::VectorXd>(values, window.rows()) = window.col(j);
    KOLMO_PETSC_CALL(VecRestoreArrayWrite(x, &values));
    KOLMO_PETSC_CALL(MatMult(op, x, ax));
    if (!orthonormalise_against(x, w, ax, &aw)) continue;
    w.push_back(x);
    aw.push_back(ax);
  }
  if (w.empty()) return false;
  const auto k = static_cast<PetscInt>(w.size());
  KOLMO_PETSC_CALL(VecMDot(rhs, k, aw.data(), c.data()));
  KOLMO_PETSC_CALL(VecSet(u, 0.0));
  KOLMO_PETSC_CALL(VecMAXPY(u, k, c.data(), w.data()));
  return true;
}

bool ProjectionGuess::form_window_galerkin(Vec rhs, Mat op, Vec u) {
  // W is orthonormal in l2, not in the energy inner product: the last solutions of a slowly
  // varying sequence are nearly parallel, and orthonormalising them in the energy inner product
  // loses A-orthogonality in the small directions that matter (measured on a Darcy path: guess
  // residuals scattered over 1e-9 .. 1e-5 once the window was full). So the Galerkin system
  // (W^T A W) y = W^T f is solved as it is.
  const auto w = window_->local();
  const Eigen::Index k = w.cols(), rows = w.rows();
  if (!window_images_) {
    window_images_ = std::make_unique_for_overwrite<PetscScalar[]>(static_cast<std::size_t>(rows) * size_);
    KOLMO_PETSC_CALL(VecDuplicate(rhs, window_column_.out()));
    KOLMO_PETSC_CALL(VecDuplicate(rhs, window_image_column_.out()));
  }
  const auto images = as_matrix(window_images_.get(), static_cast<PetscInt>(rows), static_cast<std::size_t>(k));
  for (Eigen::Index j = 0; j < k; ++j) {
    KOLMO_PETSC_CALL(VecPlaceArray(window_column_, w.col(j).data()));
    KOLMO_PETSC_CALL(VecPlaceArray(window_image_column_, images.col(j).data()));
    KOLMO_PETSC_CALL(MatMult(op, window_column_, window_image_column_));
    KOLMO_PETSC_CALL(VecResetArray(window_image_column_));
    KOLMO_PETSC_CALL(VecResetArray(window_column_));
  }
  // W^T A W and W^T f in one reduction.
  Eigen::MatrixXd reduced(k, k + 1);
  reduced.leftCols(k).noalias() = w.transpose() * images;
  {
    const PetscScalar* f = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(rhs, &f));
    reduced.col(k).noalias() = w.transpose() * Eigen::Map<const Eigen::VectorXd>(f, rows);
    KOLMO_PETSC_CALL(VecRestoreArrayRead(rhs, &f));
  }
  MPI_Allreduce(MPI_IN_PLACE, reduced.data(), static_cast<int>(reduced.size()), MPI_DOUBLE, MPI_SUM,
                PetscObjectComm(reinterpret_cast<PetscObject>(u)));
  const Eigen::MatrixXd symmetric = 0.5 * (reduced.leftCols(k) + reduced.leftCols(k).transpose());
  const Eigen::VectorXd y = symmetric.colPivHouseholderQr().solve(reduced.col(k));
  if (!y.allFinite()) return false;
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayWrite(u, &values));
  Eigen::Map<Eigen::VectorXd>(values, rows).noalias() = w * y;
  KOLMO_PETSC_CALL(VecRestoreArrayWrite(u, &values));
  return true;
}

void ProjectionGuess::add_to_basis(Vec u) {
  const std::size_t terms = lhs_.num_terms();
  const std::size_t p = size_;
  const std::size_t k = basis_.size();
  KOLMO_CHECK(k < p, "internal error: the projection basis is full");
  if (reduced_.empty()) reduced_.assign(galerkin_ ? terms : terms * terms, std::vector<double>(p * p, 0.0));
  std::vector<Vec> v;
  for (const auto& b : basis_) v.push_back(b);
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(u, x.out()));
  KOLMO_PETSC_CALL(VecCopy(u, x));
  if (!orthonormalise_against(x, v)) return;
  std::vector<PetscScalar> c(k + 1);
  v.push_back(x);
  const auto count = static_cast<PetscInt>(k + 1);
  auto entry = [&](std::size_t m, std::size_t i, std::size_t j) -> double& { return reduced_[m][i * p + j]; };
  if (galerkin_) {
    // Column k: v_i^T (A_q v_k); row k: v_k^T A_q v_i = (A_q^T v_k)^T v_i, the column again when
    // A_q is symmetric (diffusion terms: half the products with A_q). Nothing per term is kept, so
    // the basis costs one vector per solution whatever the number of terms.
    if (symmetric_terms_.empty()) {
      for (std::size_t q = 0; q < terms; ++q) {
        PetscBool symmetric = PETSC_FALSE;
        KOLMO_PETSC_CALL(MatIsSymmetric(lhs_.matrix(q), 0.0, &symmetric));
        symmetric_terms_.push_back(symmetric == PETSC_TRUE);
      }
    }
    VecHandle image;
    KOLMO_PETSC_CALL(VecDuplicate(u, image.out()));
    for (std::size_t q = 0; q < terms; ++q) {
      KOLMO_PETSC_CALL(MatMult(lhs_.matrix(q), x, image));
      KOLMO_PETSC_CALL(VecMDot(image, count, v.data(), c.data()));
      for (std::size_t i = 0; i <= k; ++i) entry(q, i, k) = PetscRealPart(c[i]);
      if (k == 0) continue;
      if (symmetric_terms_[q]) {
        for (std::size_t i = 0; i < k; ++i) entry(q, k, i) = PetscRealPart(c[i]);
        continue;
      }
      KOLMO_PETSC_CALL(MatMultTranspose(lhs_.matrix(q), x, image));
      KOLMO_PETSC_CALL(VecMDot(image, static_cast<PetscInt>(k), v.data(), c.data()));
      for (std::size_t i = 0; i < k; ++i) entry(q, k, i) = PetscRealPart(c[i]);
    }
  } else {
    // (A_q v_i)^T (A_r v_k) for all q, r and i <= k: block (q, r) at q * terms + r, symmetric in the
    // swap. Eigen multiplies the local rows, one transposed matrix-vector product per new image:
    // one block product would read each kept image once, but Eigen's GEMM first packs the
    // transposed block, which costs more than it saves (measured at 16129 rows and Q = 3: 2.9 ms
    // against 1.7 ms for 64 solutions, 2.1 against 1.2 for 48). The reference BLAS that PETSc and
    // SLEPc link on Debian (VecMDot, BVDot) is slower still.
    const auto q_count = static_cast<Eigen::Index>(terms);
    if (!image_column_) {
      KOLMO_PETSC_CALL(VecGetLocalSize(u, &image_rows_));
      images_ = std::make_unique_for_overwrite<PetscScalar[]>(static_cast<std::size_t>(image_rows_) * terms * p);
      KOLMO_PETSC_CALL(VecDuplicate(u, image_column_.out()));
    }
    const auto images = as_matrix(images_.get(), image_rows_, terms * p);
    const auto first = static_cast<Eigen::Index>(k) * q_count;
    for (Eigen::Index q = 0; q < q_count; ++q) {
      KOLMO_PETSC_CALL(VecPlaceArray(image_column_, images.col(first + q).data()));
      KOLMO_PETSC_CALL(MatMult(lhs_.matrix(static_cast<std::size_t>(q)), x, image_column_));
      KOLMO_PETSC_CALL(VecResetArray(image_column_));
    }
    // Row i Q + q, column r: (A_q v_i)^T A_r v_k.
    Eigen::MatrixXd products(first + q_count, q_count);
    for (Eigen::Index r = 0; r < q_count; ++r)
      products.col(r).noalias() = images.leftCols(first + q_count).transpose() * images.col(first + r);
    MPI_Allreduce(MPI_IN_PLACE, products.data(), static_cast<int>(products.size()), MPI_DOUBLE, MPI_SUM,
                  PetscObjectComm(reinterpret_cast<PetscObject>(u)));
    for (std::size_t i = 0; i <= k; ++i)
      for (std::size_t q = 0; q < terms; ++q)
        for (std::size_t r = 0; r < terms; ++r) {
          const double value = products(static_cast<Eigen::Index>(i * terms + q), static_cast<Eigen::Index>(r));
          entry(q * terms + r, i, k) = value;
          entry(r * terms + q, k, i) = value;
        }
  }
  basis_.push_back(std::move(x));
}

bool ProjectionGuess::form_affine(Vec rhs, const std::vector<double>& theta, Vec u) {
  const std::size_t k = basis_.size();
  if (k == 0) return false;
  const std::size_t terms = theta.size();
  const std::size_t p = size_;
  DenseMatrix g = DenseMatrix::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
  DenseVector b(static_cast<Eigen::Index>(k));
  std::vector<PetscScalar> c(k);
  auto block = [&](std::size_t m) {
    return Eigen::Map<const DenseMatrix, 0, Eigen::OuterStride<>>(reduced_[m].data(), static_cast<Eigen::Index>(k),
                                                                   static_cast<Eigen::Index>(k),
                                                                   Eigen::OuterStride<>(static_cast<Eigen::Index>(p)));
  };
  if (galerkin_) {
    for (std::size_t q = 0; q < terms; ++q) g += theta[q] * block(q);
    std::vector<Vec> v;
    for (const auto& x : basis_) v.push_back(x);
    KOLMO_PETSC_CALL(VecMDot(rhs, static_cast<PetscInt>(k), v.data(), c.data()));
    for (std::size_t i = 0; i < k; ++i) b(static_cast<Eigen::Index>(i)) = PetscRealPart(c[i]);
  } else {
    // Normal equations of min ||f - sum_q thetaq A_q V y||.
    for (std::size_t q = 0; q < terms; ++q)
      for (std::size_t r = 0; r < terms; ++r) g += theta[q] * theta[r] * block(q * terms + r);
    const PetscScalar* f = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(rhs, &f));
    const auto columns = static_cast<Eigen::Index>(k * terms);
    const auto images = as_matrix(images_.get(), image_rows_, terms * p);
    Eigen::VectorXd dots = images.leftCols(columns).transpose() * Eigen::Map<const Eigen::VectorXd>(f, images.rows());
    KOLMO_PETSC_CALL(VecRestoreArrayRead(rhs, &f));
    MPI_Allreduce(MPI_IN_PLACE, dots.data(), static_cast<int>(dots.size()), MPI_DOUBLE, MPI_SUM, PetscObjectComm(reinterpret_cast<PetscObject>(u)));
    b.setZero();
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t q = 0; q < terms; ++q)
        b(static_cast<Eigen::Index>(i)) += theta[q] * dots(static_cast<Eigen::Index>(i * terms + q));
  }
  const DenseVector y = g.colPivHouseholderQr().solve(b);
  if (!y.allFinite()) return false;
  std::vector<Vec> v;
  for (const auto& x : basis_) v.push_back(x);
  std::vector<PetscScalar> coefficients(y.data(), y.data() + y.size());
  KOLMO_PETSC_CALL(VecSet(u, 0.0));
  KOLMO_PETSC_CALL(VecMAXPY(u, static_cast<PetscInt>(k), coefficients.data(), v.data()));
  return true;
}

}  // namespace kolmo::solvers

#pragma once
/// @file
/// The projection initial guess of a sequence of systems A(mu_i) u_i = f(mu_i): the best
/// combination of earlier solutions for the new system. Galerkin in the energy norm for symmetric
/// coercive problems (what CG minimises), minimal residual otherwise.
///
/// - On an affine problem (A(mu) = sum_q theta_q(mu) A_q) it keeps an orthonormal basis V of up to
///   `size` solutions with the reduced matrices V^T A_q V (Galerkin) or (A_q V)^T (A_r V) (minimal
///   residual), as a reduced-basis method does: a guess costs `size` inner products and a small
///   dense solve, whatever the matrix. When V is full it restarts from the latest half of the
///   solutions.
/// - On other problems it projects onto the last `size` solutions, with `size` matrix-vector
///   products per guess. Their span is kept as an l2-orthonormal basis W, updated as solutions come
///   and go (solvers/window_basis.hpp). Galerkin: the small system W^T A W y = W^T f is solved as
///   it is; minimal residual: A W is orthonormalised for each guess.
///
/// It holds no policy: SequenceSolver decides which systems use the guess and which solutions
/// enter the basis (solvers/sequence_solver.hpp).
#include <petscmat.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "core/petsc_handle.hpp"
#include "operators/affine_operator.hpp"
#include "solvers/window_basis.hpp"

namespace kolmo::solvers {

/// The basis and reduced matrices of a projection guess. Collective on the communicator of the
/// vectors and matrices passed in, wherever it touches them.
class ProjectionGuess {
 public:
  /// affine: a reduced basis over the terms of `lhs` (which must outlive this object); otherwise a
  /// window of the last `size` solutions, projected with the operator passed to form(). `galerkin`:
  /// the energy-norm projection (symmetric coercive problems), else minimal residual.
  /// @throws kolmo::Exception when size is 0. Not collective.
  ProjectionGuess(const operators::AffineOperator& lhs, std::size_t size, bool affine, bool galerkin);

  /// The vectors projected onto: the affine basis (solutions depending on it are dropped), or the
  /// solutions in the window.
  std::size_t dimension() const noexcept { return affine_ ? basis_.size() : window_->size(); }
  /// Whether there is nothing to project onto yet.
  bool empty() const noexcept { return dimension() == 0; }

  /// u = the guess for A u = rhs, where A = sum_q theta_q A_q (affine: `theta`) or `op` (window).
  /// Returns false, leaving u unspecified, when there is no guess: nothing kept, or every solution
  /// kept depends on the others, or the reduced system has no finite solution. Collective.
  bool form(Vec rhs, Mat op, const std::vector<double>& theta, Vec u);

  /// Keep the solution u (copied) for later guesses. `extend_basis`: also add it to an affine
  /// basis (a window keeps it whatever `extend_basis`, unless it depends on the solutions in the
  /// window; an affine basis otherwise only keeps it for a restart). Collective.
  void remember(Vec u, bool extend_basis);

 private:
  bool form_window(Vec rhs, Mat op, Vec u);
  bool form_window_galerkin(Vec rhs, Mat op, Vec u);
  bool form_affine(Vec rhs, const std::vector<double>& theta, Vec u);
  /// Append the component of u orthogonal to V, with its reduced rows and columns. Collective.
  void add_to_basis(Vec u);

  const operators::AffineOperator& lhs_;
  std::size_t size_;
  bool affine_;
  bool galerkin_;
  // Window: the span of the last size_ solutions, and this rank's rows of A W (column-major,
  // reused storage) with a Vec to place on a column of W and one on a column of A W.
  std::optional<WindowBasis> window_;
  std::unique_ptr<PetscScalar[]> window_images_;
  VecHandle window_column_, window_image_column_;
  // Window, minimal residual: W and A W as Vecs, orthonormalised in (A x)^T (A y) for each guess.
  std::vector<VecHandle> residual_basis_, residual_image_;
  // Affine: the latest solutions, oldest first (size_ / 2 of them, the restart of a full basis).
  std::deque<VecHandle> solutions_;
  std::vector<VecHandle> basis_;                        // affine: V, orthonormal
  // Affine minimal residual: this rank's rows of A_q v_i, column i Q + q. Left uninitialised, so
  // that the pages of columns never used (size_ is an upper bound) are never touched.
  std::unique_ptr<PetscScalar[]> images_;
  PetscInt image_rows_ = 0;                             // of images_ (column-major), the local size
  VecHandle image_column_;                              // a Vec placed on one column of images_
  std::vector<bool> symmetric_terms_;                   // affine Galerkin: A_q == A_q^T (empty: not checked)
  std::vector<std::vector<double>> reduced_;            // size_ x size_, row-major: V^T A_q V, or
                                                        // (A_q V)^T (A_r V) at q * Q + r
};

}  // namespace kolmo::solvers

#pragma once
/// @file
/// A growing set of X-Riesz representers xi_0, xi_1, ... (vectors of the truth space) and the two
/// forms of data from which the online stage evaluates the X-norm of any combination
/// sum_k c_k xi_k without the truth space:
/// - classical: the Gram matrix G_kl = xi_k^T X xi_l, so that ||sum c_k xi_k||_X^2 = c^T G c.
///   Round-off in that sum is about eps * |c|^T |G| |c|, so the norm of a combination that cancels
///   to below about sqrt(eps) (1e-8) of its terms is lost;
/// - stable: an X-orthonormal basis w_1..w_r of their span, computed by Gram-Schmidt with
///   reorthogonalisation on the vectors themselves, and R (r x K) with xi_k = sum_i R_ik w_i, so
///   that ||sum c_k xi_k||_X = ||R c||_2, which is accurate to about eps * |R| |c| (no squares).
///   A representer whose component outside the span of the previous ones is at most
///   `drop_tolerance` times its norm adds no direction (its column of R stays exact on the
///   existing ones and the neglected part is below drop_tolerance * ||xi_k||_X).
/// The Gram matrix is formed from the same orthonormalisation, G = R^T R: since the w_i are
/// X-orthonormal to machine precision, every entry is xi_k^T X xi_l to round-off (plus the
/// products of neglected parts, below drop_tolerance^2), as accurate as direct products, and the
/// representers need not be kept (K vectors of the truth size less in memory). The loss of
/// accuracy of the classical evaluation is in its online formula, not in G.
#include <Eigen/Dense>

#include <cstddef>
#include <vector>

#include "core/petsc_handle.hpp"

namespace kolmo::rom {

/// The representers of a growing list of functionals, with the coefficients R of their
/// X-orthonormal basis and their Gram matrix, built incrementally (appending one representer
/// costs O(r n) for r basis vectors so far). Stores the r <= K orthonormal vectors only. X is
/// borrowed and must outlive the set. Collective on the communicator of X for construction and
/// append().
class RepresenterSet {
 public:
  /// An empty set in the inner product X, with room for `capacity` representers (it grows beyond
  /// if needed). Collective.
  RepresenterSet(Mat inner_product, Vec layout, std::size_t capacity, double drop_tolerance = 1e-14);

  /// Append the representer `xi` (its content is copied, not kept). Collective.
  void append(Vec xi);
  /// Append several representers at once, in order. The block is first orthogonalised against
  /// the existing basis with two block Gram-Schmidt passes (matrix-matrix products: the basis is
  /// read 4 times per block instead of 4 times per vector), then within itself; a column that
  /// loses more than 8 digits is checked with a further full pass (see orthonormalize_column).
  /// Collective.
  void append(const std::vector<Vec>& block);

  /// Number of representers K.
  std::size_t size() const noexcept { return size_; }
  /// Dimension r of their span as kept (directions below the drop tolerance are not).
  std::size_t rank() const noexcept { return rank_; }

  /// The Gram matrix G = R^T R (K x K), identical on every rank. Not collective.
  Eigen::MatrixXd gram() const;
  /// The coefficients R (r x K), identical on every rank. Not collective.
  Eigen::MatrixXd orthonormal_coefficients() const;

 private:
  double x_norm(Vec v);
  void project_out(PetscInt first, PetscInt end, std::vector<double>& h);

  double drop_tolerance_;
  Mat inner_product_;
  BVHandle orthonormal_;
  VecHandle work_, product_;          // the w_i (column rank_ is scratch)
  Eigen::MatrixXd coefficients_;  // the leading rank_ x size_ block is valid
  std::size_t size_ = 0, rank_ = 0;
};

}  // namespace kolmo::rom

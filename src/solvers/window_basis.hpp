#pragma once
/// @file
/// An l2-orthonormal basis of the last few vectors of a sequence, kept up to date by QR updates
/// instead of being orthonormalised again for every use.
///
/// With S the vectors kept (oldest first) and S = W R (W orthonormal, R upper triangular): a vector
/// added is orthogonalised against W (two passes of classical Gram-Schmidt) and becomes a new
/// column; when the window is full the oldest leaves by Givens rotations of W that make R without
/// its first column triangular again. Either costs a few passes over W, where orthonormalising the
/// window anew costs `size` times that. Each rank stores its rows of W, column-major.
#include <petscvec.h>

#include <Eigen/Dense>

#include <cstddef>
#include <memory>

namespace kolmo::solvers {

/// A vector whose component orthogonal to a basis falls below this fraction of its norm depends on
/// the basis: neither a WindowBasis nor the affine basis of a ProjectionGuess takes it.
inline constexpr double relative_dependence_tolerance = 1e-10;

class WindowBasis {
 public:
  /// A window of at most `capacity` vectors. @throws kolmo::Exception when capacity is 0.
  /// Not collective.
  explicit WindowBasis(std::size_t capacity);

  /// The number of columns of W: the vectors kept.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Keep u (copied): the oldest vector leaves first if the window is full. A u that depends on
  /// the vectors still kept (its component orthogonal to them below relative_dependence_tolerance
  /// of its norm, or u zero) is not kept; returns whether u was. All vectors added must have the
  /// same layout. Collective on u's communicator.
  bool add(Vec u);

  /// This rank's rows of W (local size x size()). Valid until the next add().
  Eigen::Map<const Eigen::MatrixXd> local() const;

 private:
  Eigen::Map<Eigen::MatrixXd> columns(std::size_t count);
  /// W loses the component of the oldest vector: Givens rotations make R without its first column
  /// triangular, and the last column of the rotated W leaves. Not collective.
  void drop_oldest();

  std::size_t capacity_;
  std::size_t size_ = 0;
  PetscInt rows_ = 0;
  std::unique_ptr<double[]> w_;  // rows_ x capacity_, column-major
  Eigen::MatrixXd r_;            // capacity_ x capacity_; the leading size_ x size_ block is R
};

}  // namespace kolmo::solvers

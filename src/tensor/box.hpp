#pragma once
/// @file
/// The domain of tensor-format functions, an axis-aligned box in R^d (d = 1..6), the function
/// types they are built from, and sampling of a function on a tensor grid.
#include <Eigen/Dense>

#include <functional>
#include <span>
#include <vector>

#include "tensor/dense_tensor.hpp"

namespace kolmo::tensor {

/// An axis-aligned box [lower_0, upper_0] x ... x [lower_{d-1}, upper_{d-1}].
class Box {
 public:
  /// An empty box (dimension 0), to be assigned.
  Box() = default;
  /// @throws kolmo::InputError when the bounds differ in length, the dimension is not 1..6, a
  /// bound is not finite, or a side has zero (or negative) width.
  Box(std::vector<double> lower, std::vector<double> upper);
  /// The cube [a, b]^d.
  static Box cube(int d, double a, double b);

  /// The dimension d (0 for a default-constructed box).
  int dims() const noexcept { return static_cast<int>(lower_.size()); }
  /// All lower / upper bounds.
  const std::vector<double>& lower() const noexcept { return lower_; }
  const std::vector<double>& upper() const noexcept { return upper_; }
  /// The bounds and the width of side l (throws std::out_of_range for a bad l).
  double lower(int l) const { return lower_.at(static_cast<std::size_t>(l)); }
  double upper(int l) const { return upper_.at(static_cast<std::size_t>(l)); }
  double width(int l) const { return upper(l) - lower(l); }
  /// The product of the widths.
  double volume() const;
  /// True iff x (length dims()) lies in the box, each side widened by `slack` times its width.
  bool contains(std::span<const double> x, double slack = 1e-12) const;
  /// Exact equality of all bounds.
  bool operator==(const Box& other) const = default;

 private:
  std::vector<double> lower_, upper_;
};

/// A real function of d variables evaluated at many points per call: `points` is d x P (one
/// column per point) and `values` arrives sized P; the function writes f(points.col(p)) into
/// values[p]. Batching lets the function vectorise and keeps the call overhead per point small.
using BatchFunction = std::function<void(const Eigen::MatrixXd& points, Eigen::VectorXd& values)>;
/// A real function of d variables evaluated at one point.
using PointFunction = std::function<double(std::span<const double> x)>;

/// Wrap a pointwise function as a BatchFunction (the copy of `f` is owned by the result).
BatchFunction batched(PointFunction f);

/// `n` equispaced points on [a, b], both ends included (n == 1: the midpoint).
Eigen::VectorXd uniform_points(Index n, double a, double b);

/// Sample `f` at every point of the tensor grid grid[0] x ... x grid[d-1] (d = grid.size()); the
/// result has sizes (grid[l].size()) with the first coordinate fastest. Calls `f` on batches of
/// at most `batch_size` points.
/// @throws kolmo::InputError naming the point when a value is not finite.
DenseTensor sample_grid(const BatchFunction& f, const std::vector<Eigen::VectorXd>& grid,
                        Index batch_size = 4096);

/// Sample `f` on the grid points whose last coordinate index lies in [last_begin, last_begin +
/// last_count) (a slab of the grid along the last mode, as a distributed tensor holds it).
DenseTensor sample_grid_slab(const BatchFunction& f, const std::vector<Eigen::VectorXd>& grid,
                             Index last_begin, Index last_count, Index batch_size = 4096);

}  // namespace kolmo::tensor

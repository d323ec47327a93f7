#pragma once
/// @file
/// A dense d-way tensor of doubles (order 1..6) stored with the first index fastest (Eigen's
/// column-major order generalised), and the mode-n operations that Tucker algorithms are made of:
/// unfolding, folding, mode-n products and mode-n Gram matrices. Every mode-n operation sees the
/// tensor as a (left x I_n x right) array whose (left x I_n) slices are contiguous column-major
/// matrices, so the work is done by block copies and Eigen matrix products, never by per-element
/// multi-index arithmetic.
#include <Eigen/Dense>

#include <array>
#include <span>
#include <vector>

namespace kolmo::tensor {

using Index = Eigen::Index;
/// The size of each mode of a tensor.
using Dims = std::vector<Index>;

/// A tensor seen from mode n: left = product of the sizes before n, mid = I_n, right = product of
/// the sizes after n. Entry (l, i, r) is at linear position l + left * (i + mid * r).
struct ModeSplit {
  Index left = 1;
  Index mid = 1;
  Index right = 1;
};

/// The ModeSplit of `dims` at mode `n`.
ModeSplit mode_split(const Dims& dims, int n);
/// Product of the sizes (1 for an empty list).
Index product(const Dims& dims);

/// A dense tensor of order 1..6 that owns its entries (first index fastest). Copyable and movable;
/// a default-constructed tensor has order 0 and no entries. Not thread-safe for concurrent writes.
class DenseTensor {
 public:
  /// The largest supported order.
  static constexpr int max_order = 6;

  /// An empty tensor of order 0, to be assigned.
  DenseTensor() = default;
  /// A tensor of the given sizes (each >= 0), filled with zeros.
  /// @throws kolmo::Exception when the order is not 1..6 or a size is negative.
  explicit DenseTensor(Dims dims);
  /// A tensor of the given sizes taking `data` (first index fastest) as its entries.
  /// @throws kolmo::Exception when data.size() is not the product of the sizes.
  DenseTensor(Dims dims, Eigen::VectorXd data);

  /// A tensor whose entry at multi-index i is f(i) (i is a std::span<const Index> of length
  /// order). Visits the entries in storage order.
  template <class F>
  static DenseTensor generate(const Dims& dims, F&& f);

  /// The order d, the sizes, the size of mode n, and the number of entries.
  int order() const noexcept { return static_cast<int>(dims_.size()); }
  const Dims& dims() const noexcept { return dims_; }
  Index dim(int n) const { return dims_.at(static_cast<std::size_t>(n)); }
  Index size() const noexcept { return data_.size(); }
  /// The entries (owned by the tensor; valid until it is resized or destroyed).
  double* data() noexcept { return data_.data(); }
  const double* data() const noexcept { return data_.data(); }
  /// The entries as one vector (first index fastest).
  Eigen::VectorXd& vector() noexcept { return data_; }
  const Eigen::VectorXd& vector() const noexcept { return data_; }

  /// Entry at a multi-index (no bounds check in release builds).
  double& operator()(std::span<const Index> index) { return data_[linear_index(index)]; }
  double operator()(std::span<const Index> index) const { return data_[linear_index(index)]; }
  /// Entry at a multi-index given as separate indices (as many as the order).
  template <class... I>
  double& at(I... i) {
    const std::array<Index, sizeof...(I)> index{static_cast<Index>(i)...};
    return data_[linear_index(index)];
  }
  template <class... I>
  double at(I... i) const {
    const std::array<Index, sizeof...(I)> index{static_cast<Index>(i)...};
    return data_[linear_index(index)];
  }
  /// Storage position of a multi-index.
  Index linear_index(std::span<const Index> index) const;

  /// Frobenius norm.
  double norm() const { return data_.norm(); }
  /// Largest absolute entry (0 for an empty tensor).
  double max_abs() const { return data_.size() ? data_.cwiseAbs().maxCoeff() : 0.0; }

  /// The mode-n unfolding X_(n), an I_n x (size / I_n) matrix whose column index runs over the
  /// other indices in their natural order, first fastest (Kolda and Bader's convention).
  Eigen::MatrixXd unfold(int n) const;
  /// The transpose of unfold(n), built directly (the input of a QR-based mode-n SVD).
  Eigen::MatrixXd unfold_transposed(int n) const;
  /// The inverse of unfold: the tensor of sizes `dims` whose mode-n unfolding is `unfolding`.
  static DenseTensor fold(const Eigen::MatrixXd& unfolding, int n, const Dims& dims);
  /// X_(n) X_(n)^T (I_n x I_n), by one symmetric rank update of the unfolding.
  Eigen::MatrixXd gram(int n) const;

  /// The mode-n product X x_n M, whose mode-n unfolding is M X_(n); M is p x I_n and the result
  /// has size p in mode n. One GEMM (n first or last) or one per right index.
  DenseTensor mode_product(int n, const Eigen::MatrixXd& m) const;
  /// X x_n M^T for M of size I_n x p (projection onto the columns of a factor matrix), without
  /// forming the transpose.
  DenseTensor mode_product_transposed(int n, const Eigen::MatrixXd& m) const;

  /// The same entries seen with other sizes of the same product.
  DenseTensor reshaped(Dims dims) const;
  /// The sub-tensor of indices [begin, begin + count) in the last mode (a contiguous block).
  DenseTensor last_mode_slab(Index begin, Index count) const;

  /// Entrywise sums and differences (sizes must agree) and scaling.
  DenseTensor& operator+=(const DenseTensor& other);
  DenseTensor& operator-=(const DenseTensor& other);
  DenseTensor& operator*=(double alpha) {
    data_ *= alpha;
    return *this;
  }

 private:
  template <bool Transposed>
  DenseTensor mode_product_impl(int n, const Eigen::MatrixXd& m) const;

  Dims dims_;
  Eigen::VectorXd data_;
};

/// Entrywise a + b and a - b (sizes must agree).
DenseTensor operator+(DenseTensor a, const DenseTensor& b);
DenseTensor operator-(DenseTensor a, const DenseTensor& b);

/// Contract every mode of `t` with one row per point: for P points and rows[l] of size P x I_l,
/// value[p] = sum_i t(i_0, ..., i_{d-1}) prod_l rows[l](p, i_l). This is how a Tucker or
/// Chebyshev tensor is evaluated at scattered points (rows = basis values times factors).
/// Cost P * size(t) * 2 flops, mostly in one GEMM per chunk of points.
Eigen::VectorXd contract_rows(const DenseTensor& t, const std::vector<Eigen::MatrixXd>& rows);

template <class F>
DenseTensor DenseTensor::generate(const Dims& dims, F&& f) {
  DenseTensor t(dims);
  std::vector<Index> index(dims.size(), 0);
  for (Index k = 0; k < t.size(); ++k) {
    t.data_[k] = f(std::span<const Index>(index));
    for (std::size_t n = 0; n < index.size(); ++n) {
      if (++index[n] < dims[n]) break;
      index[n] = 0;
    }
  }
  return t;
}

}  // namespace kolmo::tensor

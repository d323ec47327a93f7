#include "tensor/dense_tensor.hpp"

#include <algorithm>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

namespace {

using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXd>;
using MatrixMap = Eigen::Map<Eigen::MatrixXd>;

void check_dims(const Dims& dims) {
  KOLMO_CHECK(!dims.empty() && dims.size() <= static_cast<std::size_t>(DenseTensor::max_order),
              "a tensor has order 1.." << DenseTensor::max_order << ", got " << dims.size());
  for (const Index n : dims) KOLMO_CHECK(n >= 0, "tensor sizes must be >= 0, got " << n);
}

}  // namespace

ModeSplit mode_split(const Dims& dims, int n) {
  KOLMO_CHECK(n >= 0 && static_cast<std::size_t>(n) < dims.size(),
              "mode " << n << " out of range for a tensor of order " << dims.size());
  ModeSplit s;
  for (int k = 0; k < n; ++k) s.left *= dims[static_cast<std::size_t>(k)];
  s.mid = dims[static_cast<std::size_t>(n)];
  for (std::size_t k = static_cast<std::size_t>(n) + 1; k < dims.size(); ++k) s.right *= dims[k];
  return s;
}

Index product(const Dims& dims) {
  Index p = 1;
  for (const Index n : dims) p *= n;
  return p;
}

DenseTensor::DenseTensor(Dims dims) : dims_(std::move(dims)) {
  check_dims(dims_);
  data_ = Eigen::VectorXd::Zero(product(dims_));
}

DenseTensor::DenseTensor(Dims dims, Eigen::VectorXd data)
    : dims_(std::move(dims)), data_(std::move(data)) {
  check_dims(dims_);
  KOLMO_CHECK(data_.size() == product(dims_), "tensor data has " << data_.size()
                                                  << " entries, the sizes need " << product(dims_));
}

Index DenseTensor::linear_index(std::span<const Index> index) const {
  KOLMO_ASSERT(index.size() == dims_.size(), "multi-index of length " << index.size()
                                                 << " for a tensor of order " << dims_.size());
  Index k = 0;
  for (std::size_t n = dims_.size(); n-- > 0;) {
    KOLMO_ASSERT(index[n] >= 0 && index[n] < dims_[n], "index " << index[n] << " out of range");
    k = k * dims_[n] + index[n];
  }
  return k;
}

Eigen::MatrixXd DenseTensor::unfold(int n) const {
  const ModeSplit s = mode_split(dims_, n);
  if (s.left == 1) return ConstMatrixMap(data(), s.mid, s.right);
  Eigen::MatrixXd u(s.mid, s.left * s.right);
  // Column l + left * r of X_(n) is row l of the contiguous (left x I_n) slice r.
  for (Index r = 0; r < s.right; ++r)
    u.middleCols(r * s.left, s.left) =
        ConstMatrixMap(data() + r * s.left * s.mid, s.left, s.mid).transpose();
  return u;
}

Eigen::MatrixXd DenseTensor::unfold_transposed(int n) const {
  const ModeSplit s = mode_split(dims_, n);
  if (s.left == 1) return ConstMatrixMap(data(), s.mid, s.right).transpose();
  if (s.right == 1) return ConstMatrixMap(data(), s.left, s.mid);
  Eigen::MatrixXd u(s.left * s.right, s.mid);
  for (Index r = 0; r < s.right; ++r)
    u.middleRows(r * s.left, s.left) = ConstMatrixMap(data() + r * s.left * s.mid, s.left, s.mid);
  return u;
}

DenseTensor DenseTensor::fold(const Eigen::MatrixXd& unfolding, int n, const Dims& dims) {
  DenseTensor t(dims);
  const ModeSplit s = mode_split(dims, n);
  KOLMO_CHECK(unfolding.rows() == s.mid && unfolding.cols() == s.left * s.right,
              "fold: a " << unfolding.rows() << " x " << unfolding.cols()
                         << " matrix is not a mode-" << n << " unfolding of these sizes");
  for (Index r = 0; r < s.right; ++r)
    MatrixMap(t.data() + r * s.left * s.mid, s.left, s.mid) =
        unfolding.middleCols(r * s.left, s.left).transpose();
  return t;
}

Eigen::MatrixXd DenseTensor::gram(int n) const {
  const ModeSplit s = mode_split(dims_, n);
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(s.mid, s.mid);
  if (s.left == 1) {
    g.selfadjointView<Eigen::Lower>().rankUpdate(ConstMatrixMap(data(), s.mid, s.right));
  } else if (s.right == 1) {
    g.selfadjointView<Eigen::Lower>().rankUpdate(
        ConstMatrixMap(data(), s.left, s.mid).transpose());
  } else {
    const Eigen::MatrixXd t = unfold_transposed(n);
    g.selfadjointView<Eigen::Lower>().rankUpdate(t.transpose());
  }
  g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
  return g;
}

template <bool Transposed>
DenseTensor DenseTensor::mode_product_impl(int n, const Eigen::MatrixXd& m) const {
  const ModeSplit s = mode_split(dims_, n);
  const Index p = Transposed ? m.cols() : m.rows();
  KOLMO_CHECK((Transposed ? m.rows() : m.cols()) == s.mid,
              "mode-" << n << " product: the matrix is " << m.rows() << " x " << m.cols()
                      << " but mode " << n << " has size " << s.mid);
  Dims out_dims = dims_;
  out_dims[static_cast<std::size_t>(n)] = p;
  DenseTensor y(std::move(out_dims));
  if (y.size() == 0) return y;
  auto run = [&](const auto& op) {
    if (s.left == 1) {
      MatrixMap(y.data(), p, s.right).noalias() = op * ConstMatrixMap(data(), s.mid, s.right);
    } else {
      // Each contiguous (left x I_n) slice is multiplied from the right by op^T.
      for (Index r = 0; r < s.right; ++r)
        MatrixMap(y.data() + r * s.left * p, s.left, p).noalias() =
            ConstMatrixMap(data() + r * s.left * s.mid, s.left, s.mid) * op.transpose();
    }
  };
  if constexpr (Transposed)
    run(m.transpose());
  else
    run(m);
  return y;
}

DenseTensor DenseTensor::mode_product(int n, const Eigen::MatrixXd& m) const {
  return mode_product_impl<false>(n, m);
}

DenseTensor DenseTensor::mode_product_transposed(int n, const Eigen::MatrixXd& m) const {
  return mode_product_impl<true>(n, m);
}

DenseTensor DenseTensor::reshaped(Dims dims) const {
  return DenseTensor(std::move(dims), data_);
}

DenseTensor DenseTensor::last_mode_slab(Index begin, Index count) const {
  const ModeSplit s = mode_split(dims_, order() - 1);
  KOLMO_CHECK(begin >= 0 && count >= 0 && begin + count <= s.mid,
              "slab [" << begin << ", " << begin + count << ") outside the last mode of size "
                       << s.mid);
  Dims d = dims_;
  d.back() = count;
  return DenseTensor(std::move(d), data_.segment(begin * s.left, count * s.left));
}

DenseTensor& DenseTensor::operator+=(const DenseTensor& other) {
  KOLMO_CHECK(dims_ == other.dims_, "adding tensors of different sizes");
  data_ += other.data_;
  return *this;
}

DenseTensor& DenseTensor::operator-=(const DenseTensor& other) {
  KOLMO_CHECK(dims_ == other.dims_, "subtracting tensors of different sizes");
  data_ -= other.data_;
  return *this;
}

Eigen::VectorXd contract_rows(const DenseTensor& t, const std::vector<Eigen::MatrixXd>& rows) {
  const int d = t.order();
  KOLMO_CHECK(static_cast<int>(rows.size()) == d,
              "contract_rows: " << rows.size() << " row matrices for a tensor of order " << d);
  const Index points = rows[0].rows();
  for (int l = 0; l < d; ++l) {
    const auto& r = rows[static_cast<std::size_t>(l)];
    KOLMO_CHECK(r.rows() == points && r.cols() == t.dim(l),
                "contract_rows: rows[" << l << "] is " << r.rows() << " x " << r.cols()
                                       << ", expected " << points << " x " << t.dim(l));
  }
  Eigen::VectorXd values(points);
  const Index rest = t.size() / std::max<Index>(1, t.dim(0));
  if (t.size() == 0) return values.setZero();
  const ConstMatrixMap first(t.data(), t.dim(0), rest);
  // Chunks keep the (chunk x rest) intermediate small whatever the number of points.
  constexpr Index chunk = 256;
  Eigen::MatrixXd partial;
  Eigen::VectorXd w, next;
  for (Index start = 0; start < points; start += chunk) {
    const Index count = std::min(chunk, points - start);
    partial.noalias() = rows[0].middleRows(start, count) * first;
    for (Index p = 0; p < count; ++p) {
      w = partial.row(p).transpose();
      for (int l = 1; l < d; ++l) {
        const Index il = t.dim(l);
        const Index remaining = w.size() / il;
        next.noalias() = ConstMatrixMap(w.data(), il, remaining).transpose() *
                         rows[static_cast<std::size_t>(l)].row(start + p).transpose();
        w.swap(next);
      }
      values[start + p] = w[0];
    }
  }
  return values;
}

DenseTensor operator+(DenseTensor a, const DenseTensor& b) { return a += b; }
DenseTensor operator-(DenseTensor a, const DenseTensor& b) { return a -= b; }

}  // namespace kolmo::tensor

#include "tensor/tucker.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

namespace {

using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXd>;
using MatrixMap = Eigen::Map<Eigen::MatrixXd>;
using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Square or small SVDs: one-sided Jacobi is the most accurate and fast enough up to a few
// hundred; beyond that divide and conquer.
constexpr Index jacobi_limit = 256;

ModeSvd small_svd(const Eigen::MatrixXd& a) {
  ModeSvd out;
  if (std::max(a.rows(), a.cols()) <= jacobi_limit) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeThinU);
    out.u = svd.matrixU();
    out.sigma = svd.singularValues();
  } else {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeThinU);
    out.u = svd.matrixU();
    out.sigma = svd.singularValues();
  }
  return out;
}

// Left singular pairs of A from T = A^T (J x I, J > I): T = QR, A = R^T Q^T, so the left singular
// pairs of A are those of the I x I factor R^T. T is overwritten (in-place QR).
ModeSvd left_svd_from_transposed(Eigen::MatrixXd& t) {
  const Index i = t.cols();
  Eigen::HouseholderQR<Eigen::Ref<Eigen::MatrixXd>> qr(t);
  Eigen::MatrixXd r = qr.matrixQR().topRows(i).triangularView<Eigen::Upper>();
  return small_svd(r.transpose());
}

Index max_rank_for(const TuckerOptions& options, int n) {
  if (options.max_ranks.empty()) return 0;
  if (options.max_ranks.size() == 1) return options.max_ranks[0];
  KOLMO_CHECK(static_cast<std::size_t>(n) < options.max_ranks.size(),
              "max_ranks has " << options.max_ranks.size() << " entries, mode " << n << " needs one");
  return options.max_ranks[static_cast<std::size_t>(n)];
}

void check_eps(const TuckerOptions& options) {
  KOLMO_INPUT_CHECK(options.eps > 0.0 && std::isfinite(options.eps),
                    "Tucker tolerance eps must be > 0 and finite, got " << options.eps);
  KOLMO_INPUT_CHECK(options.reference_norm >= 0.0 && std::isfinite(options.reference_norm),
                    "Tucker reference norm must be >= 0 and finite, got "
                        << options.reference_norm);
}

// The tensor sum_nu weights[nu] o_n factors[n][:, nu] (factors r_n x R), one (r_0 x r_1) slice
// at a time: for each index (i_2, ..., i_{d-1}) of the other modes the slice is
// U_0 diag(w o U_2(i_2, :) o ...) U_1^T, a GEMM, so no (prod r_n) x R Khatri-Rao product is
// ever formed (R may be large).
DenseTensor form_cp(const Eigen::VectorXd& weights, const std::vector<Eigen::MatrixXd>& factors) {
  Dims dims;
  for (const auto& f : factors) dims.push_back(f.rows());
  DenseTensor t(dims);
  if (t.size() == 0) return t;
  const std::size_t d = factors.size();
  if (d == 1) {
    t.vector().noalias() = factors[0] * weights;
    return t;
  }
  const Index slice = dims[0] * dims[1];
  const Index slices = t.size() / slice;
  std::vector<Index> index(d, 0);
  Eigen::VectorXd s;
  Eigen::MatrixXd scaled;
  for (Index p = 0; p < slices; ++p) {
    s = weights;
    for (std::size_t n = 2; n < d; ++n) s.array() *= factors[n].row(index[n]).transpose().array();
    scaled.noalias() = factors[0] * s.asDiagonal();
    MatrixMap(t.data() + p * slice, dims[0], dims[1]).noalias() = scaled * factors[1].transpose();
    for (std::size_t n = 2; n < d; ++n) {
      if (++index[n] < dims[n]) break;
      index[n] = 0;
    }
  }
  return t;
}

// dst[offset + i] += alpha * src[i] for every multi-index i of src (dst large enough).
void add_block(DenseTensor& dst, const DenseTensor& src, const Dims& offset, double alpha) {
  const int d = src.order();
  if (src.size() == 0) return;
  const Index run = src.dim(0);
  const Index runs = src.size() / run;
  std::vector<Index> index(static_cast<std::size_t>(d), 0);
  for (Index k = 0; k < runs; ++k) {
    Index pos = 0;
    for (int n = d - 1; n >= 1; --n)
      pos = pos * dst.dim(n) + index[static_cast<std::size_t>(n)] + offset[static_cast<std::size_t>(n)];
    pos = pos * dst.dim(0) + offset[0];
    dst.vector().segment(pos, run) += alpha * src.vector().segment(k * run, run);
    for (int n = 1; n < d; ++n) {
      const auto un = static_cast<std::size_t>(n);
      if (++index[un] < src.dim(n)) break;
      index[un] = 0;
    }
  }
}

}  // namespace

const char* to_string(SvdKernel kernel) {
  switch (kernel) {
    case SvdKernel::automatic:
      return "automatic";
    case SvdKernel::qr:
      return "qr";
    case SvdKernel::gram:
      return "gram";
  }
  return "?";
}

double HosvdReport::error_bound() const {
  double s = 0.0;
  for (const double v : discarded) s += v;
  return std::sqrt(s);
}

Dims TuckerTensor::dims() const {
  Dims d;
  for (const auto& f : factors) d.push_back(f.rows());
  return d;
}

Index TuckerTensor::storage() const {
  Index s = core.size();
  for (const auto& f : factors) s += f.size();
  return s;
}

void TuckerTensor::validate() const {
  KOLMO_CHECK(static_cast<int>(factors.size()) == core.order(),
              "Tucker tensor: " << factors.size() << " factors for a core of order "
                                << core.order());
  for (int n = 0; n < core.order(); ++n)
    KOLMO_CHECK(factors[static_cast<std::size_t>(n)].cols() == core.dim(n),
                "Tucker tensor: factor " << n << " has " << factors[static_cast<std::size_t>(n)].cols()
                                         << " columns, the core has size " << core.dim(n));
}

DenseTensor TuckerTensor::full() const {
  validate();
  DenseTensor t = core;
  for (int n = 0; n < order(); ++n) t = t.mode_product(n, factors[static_cast<std::size_t>(n)]);
  return t;
}

double TuckerTensor::norm() const { return std::sqrt(std::max(0.0, tucker_inner(*this, *this))); }

Eigen::VectorXd TuckerTensor::entries(
    const Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>& indices) const {
  validate();
  KOLMO_CHECK(indices.rows() == order(), "entries: indices have " << indices.rows()
                                                                  << " rows, the order is " << order());
  std::vector<Eigen::MatrixXd> rows;
  for (int n = 0; n < order(); ++n) {
    const auto& f = factors[static_cast<std::size_t>(n)];
    Eigen::MatrixXd r(indices.cols(), f.cols());
    for (Index p = 0; p < indices.cols(); ++p) {
      KOLMO_CHECK(indices(n, p) >= 0 && indices(n, p) < f.rows(),
                  "entries: index " << indices(n, p) << " out of range in mode " << n);
      r.row(p) = f.row(indices(n, p));
    }
    rows.push_back(std::move(r));
  }
  return contract_rows(core, rows);
}

ModeSvd left_svd(const Eigen::MatrixXd& a) {
  if (a.cols() > a.rows()) {
    Eigen::MatrixXd t = a.transpose();
    return left_svd_from_transposed(t);
  }
  return small_svd(a);
}

ModeSvd left_svd_from_gram(const Eigen::MatrixXd& gram) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  KOLMO_CHECK(eig.info() == Eigen::Success, "Gram-matrix eigensolver failed");
  ModeSvd out;
  out.u = eig.eigenvectors().rowwise().reverse();
  out.sigma = eig.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt();
  return out;
}

ModeSvd mode_svd(const DenseTensor& x, int n, SvdKernel kernel) {
  const Index i = x.dim(n);
  const Index j = i > 0 ? x.size() / i : 0;
  const Index k = std::min(i, j);
  ModeSvd out;
  if (kernel == SvdKernel::gram) {
    out = left_svd_from_gram(x.gram(n));
  } else if (j > i) {
    Eigen::MatrixXd t = x.unfold_transposed(n);
    out = left_svd_from_transposed(t);
  } else {
    out = small_svd(x.unfold(n));
  }
  if (out.sigma.size() > k) {
    out.u.conservativeResize(Eigen::NoChange, k);
    out.sigma.conservativeResize(k);
  }
  return out;
}

Index truncation_rank(const Eigen::VectorXd& sigma, double budget_sq, Index max_rank) {
  const Index k = sigma.size();
  if (k == 0) return 0;
  // Tail sums from the end, so that small values are not lost against large ones.
  Index r = k;
  double tail = 0.0;
  while (r > 1) {
    const double next = tail + sigma[r - 1] * sigma[r - 1];
    if (next > budget_sq) break;
    tail = next;
    --r;
  }
  if (max_rank > 0) r = std::min(r, max_rank);
  return std::max<Index>(1, std::min(r, k));
}

TuckerTensor st_hosvd(const DenseTensor& x, const TuckerOptions& options, HosvdReport* report) {
  check_eps(options);
  const int d = x.order();
  KOLMO_CHECK(d >= 1, "st_hosvd of an empty tensor");
  const double norm = x.norm();
  const double reference = options.reference_norm > 0.0 ? options.reference_norm : norm;
  const double budget = options.eps * options.eps * reference * reference / d;
  SvdKernel kernel = options.kernel;
  if (kernel == SvdKernel::automatic) {
    const double relative = norm > 0.0 ? options.eps * reference / norm : 1.0;
    kernel = relative >= options.gram_min_eps ? SvdKernel::gram : SvdKernel::qr;
  }
  HosvdReport local;
  HosvdReport& rep = report ? *report : local;
  rep = HosvdReport{};
  rep.norm = norm;
  rep.kernel = kernel;

  TuckerTensor result;
  DenseTensor current = x;
  for (int n = 0; n < d; ++n) {
    ModeSvd svd = mode_svd(current, n, kernel);
    const Index r = truncation_rank(svd.sigma, budget, max_rank_for(options, n));
    rep.discarded.push_back(svd.sigma.tail(svd.sigma.size() - r).squaredNorm());
    rep.singular_values.push_back(svd.sigma);
    result.factors.push_back(svd.u.leftCols(r));
    current = current.mode_product_transposed(n, result.factors.back());
  }
  result.core = std::move(current);
  return result;
}

TuckerTensor hooi(const DenseTensor& x, const TuckerTensor& initial, const HooiOptions& options,
                  HooiReport* report) {
  initial.validate();
  const int d = x.order();
  KOLMO_CHECK(initial.order() == d && initial.dims() == x.dims(),
              "hooi: the initial Tucker tensor does not have the sizes of the data");
  HooiReport local;
  HooiReport& rep = report ? *report : local;
  rep = HooiReport{};
  const double norm = x.norm();
  const auto relative_error = [&](double core_norm) {
    return norm > 0.0 ? std::sqrt(std::max(0.0, norm * norm - core_norm * core_norm)) / norm : 0.0;
  };
  TuckerTensor t;
  t.factors = initial.factors;
  const Dims ranks = initial.ranks();
  // The core of the data in the initial factors (not initial.core, which may come from elsewhere).
  t.core = x;
  for (int n = 0; n < d; ++n) t.core = t.core.mode_product_transposed(n, t.factors[static_cast<std::size_t>(n)]);
  double core_norm = t.core.norm();
  rep.relative_errors.push_back(relative_error(core_norm));
  for (int it = 0; it < options.max_iterations; ++it) {
    DenseTensor y;
    for (int n = 0; n < d; ++n) {
      y = x;
      for (int k = 0; k < d; ++k)
        if (k != n) y = y.mode_product_transposed(k, t.factors[static_cast<std::size_t>(k)]);
      ModeSvd svd = mode_svd(y, n, SvdKernel::qr);
      const Index r = std::min(ranks[static_cast<std::size_t>(n)], svd.sigma.size());
      t.factors[static_cast<std::size_t>(n)] = svd.u.leftCols(r);
    }
    t.core = y.mode_product_transposed(d - 1, t.factors.back());
    const double new_norm = t.core.norm();
    rep.iterations = it + 1;
    rep.relative_errors.push_back(relative_error(new_norm));
    const bool stalled = new_norm - core_norm < options.tol * norm;
    core_norm = new_norm;
    if (stalled) break;
  }
  return t;
}

Dims CpTensor::dims() const {
  Dims d;
  for (const auto& f : factors) d.push_back(f.rows());
  return d;
}

void CpTensor::validate() const {
  KOLMO_CHECK(!factors.empty() && factors.size() <= static_cast<std::size_t>(DenseTensor::max_order),
              "CP tensor: order must be 1.." << DenseTensor::max_order << ", got " << factors.size());
  for (std::size_t n = 0; n < factors.size(); ++n)
    KOLMO_CHECK(factors[n].cols() == weights.size(),
                "CP tensor: factor " << n << " has " << factors[n].cols() << " columns for "
                                     << weights.size() << " weights");
}

DenseTensor CpTensor::full() const {
  validate();
  return form_cp(weights, factors);
}

double CpTensor::norm() const {
  validate();
  Eigen::MatrixXd h = Eigen::MatrixXd::Ones(rank(), rank());
  for (const auto& f : factors) h = h.cwiseProduct(f.transpose() * f);
  return std::sqrt(std::max(0.0, weights.dot(h * weights)));
}

TuckerTensor rhosvd(const CpTensor& x, const TuckerOptions& options, HosvdReport* report) {
  x.validate();
  check_eps(options);
  const int d = x.order();
  const Index big_r = x.rank();
  // Normalise the columns so that the weights carry the magnitudes.
  Eigen::VectorXd weights = x.weights;
  std::vector<Eigen::MatrixXd> factors = x.factors;
  for (auto& f : factors)
    for (Index nu = 0; nu < big_r; ++nu) {
      const double c = f.col(nu).norm();
      if (c > 0.0) f.col(nu) /= c;
      weights[nu] *= c;
    }
  const double weight_norm = weights.norm();
  // The bases: left singular vectors of the side matrices, weighted (U_n diag(|w|): a term counts
  // with its size in X) unless the rigorous bound below is asked for, which is stated for the
  // unweighted ones.
  std::vector<ModeSvd> svds;
  for (const auto& f : factors)
    svds.push_back(left_svd(options.rhosvd_bound ? f : Eigen::MatrixXd(f * weights.cwiseAbs().asDiagonal())));

  // The core of X in orthonormal bases Z_n (r_n columns) is sum_nu w_nu o_n Z_n^T u_n,nu; its
  // norm never exceeds ||X||. The bases are nested (leading columns of one SVD), so a core at
  // smaller ranks is a sub-block of one at larger ranks.
  const auto core_for = [&](const std::vector<Index>& ranks, std::vector<Eigen::MatrixXd>& bases) {
    bases.clear();
    std::vector<Eigen::MatrixXd> reduced;
    for (int n = 0; n < d; ++n) {
      const auto un = static_cast<std::size_t>(n);
      bases.push_back(svds[un].u.leftCols(ranks[un]));
      reduced.push_back(bases.back().transpose() * factors[un]);
    }
    return form_cp(weights, reduced);
  };
  std::vector<Index> ranks(static_cast<std::size_t>(d));
  std::vector<Eigen::MatrixXd> bases;
  double lower_bound = 0.0;
  if (options.reference_norm <= 0.0) {
    // A lower bound of ||X|| from small bases, so that the truncation below is relative to ||X||
    // without the O(R^2) Gram matrices of the exact norm. The weighted bases capture X's energy
    // early, so ranks holding all but 1e-6 of it are small (their core costs R r^3); the
    // rigorous route keeps the former 1e-8 of the unweighted side matrices.
    const double keep = options.rhosvd_bound ? 1e-8 : 1e-6;
    for (int n = 0; n < d; ++n) {
      const auto& sigma = svds[static_cast<std::size_t>(n)].sigma;
      ranks[static_cast<std::size_t>(n)] = truncation_rank(sigma, keep * sigma.squaredNorm());
    }
    lower_bound = core_for(ranks, bases).norm();
  }
  const double reference = options.reference_norm > 0.0 ? options.reference_norm : lower_bound;
  // Stage 1 gets 10% of the tolerance, the ST-HOSVD of the core the remaining 90%.
  const double stage1 = 0.1 * options.eps * reference;
  double budget1 = std::numeric_limits<double>::infinity();
  if (options.rhosvd_bound) {
    // Truncating side matrix n to the tail t_n changes X by at most ||w||_2 sum_n sqrt(t_n)
    // (Cauchy-Schwarz over the terms): rigorous, but blind to terms that cancel (charges of both
    // signs), so the ranks stay near the side matrices' numerical rank.
    if (weight_norm > 0.0) budget1 = std::pow(stage1 / (d * weight_norm), 2);
  } else {
    // The discarded energy of the weighted side matrix, ||(I - P_n) U_n |W| ||_F^2, is the
    // discarded energy of the mode-n unfolding U_n W K_n^T (K_n the Khatri-Rao product of the
    // other normalised factors) when K_n has orthonormal columns, and what the truncation of X
    // by eps ||X|| would allow per mode: the eps ||X|| criterion applied to the factors.
    budget1 = stage1 * stage1 / d;
  }
  for (int n = 0; n < d; ++n)
    ranks[static_cast<std::size_t>(n)] = truncation_rank(svds[static_cast<std::size_t>(n)].sigma, budget1);
  const DenseTensor core = core_for(ranks, bases);
  // Always recompress the core (ST-HOSVD), relative to the better of the two norm estimates.
  TuckerOptions second = options;
  second.eps = 0.9 * options.eps;
  second.reference_norm =
      options.reference_norm > 0.0 ? options.reference_norm : std::max(lower_bound, core.norm());
  TuckerTensor t = st_hosvd(core, second, report);
  for (int n = 0; n < d; ++n) {
    const auto un = static_cast<std::size_t>(n);
    t.factors[un] = bases[un] * t.factors[un];
  }
  return t;
}

TuckerTensor recompress(const TuckerTensor& x, const TuckerOptions& options, HosvdReport* report) {
  x.validate();
  check_eps(options);
  const int d = x.order();
  DenseTensor core = x.core;
  std::vector<Eigen::MatrixXd> q(static_cast<std::size_t>(d));
  for (int n = 0; n < d; ++n) {
    const auto& f = x.factors[static_cast<std::size_t>(n)];
    const Index k = std::min(f.rows(), f.cols());
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(f);
    q[static_cast<std::size_t>(n)] = qr.householderQ() * Eigen::MatrixXd::Identity(f.rows(), k);
    Eigen::MatrixXd r = qr.matrixQR().topRows(k);
    r.triangularView<Eigen::StrictlyLower>().setZero();
    core = core.mode_product(n, r);
  }
  TuckerOptions inner = options;
  if (inner.reference_norm <= 0.0) inner.reference_norm = core.norm();
  TuckerTensor t = st_hosvd(core, inner, report);
  for (int n = 0; n < d; ++n) {
    const auto un = static_cast<std::size_t>(n);
    t.factors[un] = q[un] * t.factors[un];
  }
  return t;
}

TuckerTensor tucker_sum(const TuckerTensor& a, const TuckerTensor& b, double alpha, double beta) {
  a.validate();
  b.validate();
  KOLMO_CHECK(a.dims() == b.dims(), "tucker_sum: the tensors have different sizes");
  const int d = a.order();
  TuckerTensor s;
  Dims ranks(static_cast<std::size_t>(d));
  for (int n = 0; n < d; ++n) {
    const auto un = static_cast<std::size_t>(n);
    ranks[un] = a.core.dim(n) + b.core.dim(n);
    Eigen::MatrixXd f(a.factors[un].rows(), ranks[un]);
    f << a.factors[un], b.factors[un];
    s.factors.push_back(std::move(f));
  }
  s.core = DenseTensor(ranks);
  add_block(s.core, a.core, Dims(static_cast<std::size_t>(d), 0), alpha);
  add_block(s.core, b.core, a.core.dims(), beta);
  return s;
}

DenseTensor kronecker(const DenseTensor& a, const DenseTensor& b) {
  KOLMO_CHECK(a.order() == b.order(), "kronecker: orders " << a.order() << " and " << b.order());
  const int d = a.order();
  Dims dims(static_cast<std::size_t>(d));
  for (int n = 0; n < d; ++n) dims[static_cast<std::size_t>(n)] = a.dim(n) * b.dim(n);
  DenseTensor c(dims);
  if (c.size() == 0) return c;
  // For every entry of b, add b(j) * a at offset (j_n * r_a,n) with strides r_a,n: the a-block
  // lands on the index set {i + r_a j}, which is a strided copy of a's mode-0 runs.
  std::vector<Index> j(static_cast<std::size_t>(d), 0);
  std::vector<Index> i(static_cast<std::size_t>(d), 0);
  const Index run = a.dim(0);
  const Index runs = a.size() / run;
  for (Index kb = 0; kb < b.size(); ++kb) {
    const double bj = b.vector()[kb];
    std::fill(i.begin(), i.end(), 0);
    for (Index ka = 0; ka < runs; ++ka) {
      Index pos = 0;
      for (int n = d - 1; n >= 1; --n) {
        const auto un = static_cast<std::size_t>(n);
        pos = pos * dims[un] + i[un] + a.dim(n) * j[un];
      }
      pos = pos * dims[0] + a.dim(0) * j[0];
      c.vector().segment(pos, run) = bj * a.vector().segment(ka * run, run);
      for (int n = 1; n < d; ++n) {
        const auto un = static_cast<std::size_t>(n);
        if (++i[un] < a.dim(n)) break;
        i[un] = 0;
      }
    }
    for (int n = 0; n < d; ++n) {
      const auto un = static_cast<std::size_t>(n);
      if (++j[un] < b.dim(n)) break;
      j[un] = 0;
    }
  }
  return c;
}

TuckerTensor tucker_hadamard(const TuckerTensor& a, const TuckerTensor& b) {
  a.validate();
  b.validate();
  KOLMO_CHECK(a.dims() == b.dims(), "tucker_hadamard: the tensors have different sizes");
  TuckerTensor h;
  for (int n = 0; n < a.order(); ++n) {
    const auto& fa = a.factors[static_cast<std::size_t>(n)];
    const auto& fb = b.factors[static_cast<std::size_t>(n)];
    Eigen::MatrixXd f(fa.rows(), fa.cols() * fb.cols());
    for (Index jb = 0; jb < fb.cols(); ++jb)
      f.middleCols(jb * fa.cols(), fa.cols()) = (fa.array().colwise() * fb.col(jb).array()).matrix();
    h.factors.push_back(std::move(f));
  }
  h.core = kronecker(a.core, b.core);
  return h;
}

double tucker_inner(const TuckerTensor& a, const TuckerTensor& b) {
  a.validate();
  b.validate();
  KOLMO_CHECK(a.dims() == b.dims(), "tucker_inner: the tensors have different sizes");
  DenseTensor t = b.core;
  for (int n = 0; n < a.order(); ++n) {
    const auto un = static_cast<std::size_t>(n);
    t = t.mode_product(n, a.factors[un].transpose() * b.factors[un]);
  }
  return a.core.vector().dot(t.vector());
}

void save_tucker(h5::File& file, const std::string& group, const TuckerTensor& x) {
  x.validate();
  file.create_group(group);
  std::vector<std::int64_t> ranks, dims;
  for (const Index r : x.ranks()) ranks.push_back(r);
  for (const Index n : x.dims()) dims.push_back(n);
  file.write_attribute(group, "ranks", ranks);
  file.write_attribute(group, "dims", dims);
  file.write_attribute(group, "core_order", std::string("first index fastest"));
  file.write_doubles(group + "/core", {static_cast<hsize_t>(x.core.size())},
                     std::vector<double>(x.core.data(), x.core.data() + x.core.size()));
  for (int n = 0; n < x.order(); ++n) {
    const RowMajorMatrix f = x.factors[static_cast<std::size_t>(n)];
    file.write_doubles(group + "/factor_" + std::to_string(n),
                       {static_cast<hsize_t>(f.rows()), static_cast<hsize_t>(f.cols())},
                       std::vector<double>(f.data(), f.data() + f.size()));
  }
}

TuckerTensor load_tucker(const h5::File& file, const std::string& group) {
  KOLMO_INPUT_CHECK(file.exists(group), file.path() << ": no Tucker tensor at '" << group << "'");
  const auto ranks = file.read_ints_attribute(group, "ranks");
  const auto dims = file.read_ints_attribute(group, "dims");
  KOLMO_INPUT_CHECK(!ranks.empty() && ranks.size() == dims.size() &&
                        ranks.size() <= static_cast<std::size_t>(DenseTensor::max_order),
                    file.path() << ": " << group << ": inconsistent ranks/dims attributes");
  Dims core_dims;
  for (const auto r : ranks) {
    KOLMO_INPUT_CHECK(r >= 0, file.path() << ": " << group << ": negative rank " << r);
    core_dims.push_back(static_cast<Index>(r));
  }
  const std::vector<double> core = file.read_doubles(group + "/core");
  KOLMO_INPUT_CHECK(static_cast<Index>(core.size()) == product(core_dims),
                    file.path() << ": " << group << "/core has " << core.size()
                                << " values, the ranks need " << product(core_dims));
  TuckerTensor t;
  t.core = DenseTensor(core_dims, Eigen::Map<const Eigen::VectorXd>(core.data(), static_cast<Index>(core.size())));
  for (std::size_t n = 0; n < ranks.size(); ++n) {
    const std::string path = group + "/factor_" + std::to_string(n);
    const auto shape = file.shape(path);
    KOLMO_INPUT_CHECK(shape.size() == 2 && static_cast<std::int64_t>(shape[0]) == dims[n] &&
                          static_cast<std::int64_t>(shape[1]) == ranks[n],
                      file.path() << ": " << path << " does not have the shape " << dims[n] << " x "
                                  << ranks[n]);
    const std::vector<double> f = file.read_doubles(path);
    t.factors.push_back(Eigen::Map<const RowMajorMatrix>(f.data(), static_cast<Index>(dims[n]),
                                                         static_cast<Index>(ranks[n])));
  }
  return t;
}

}  // namespace kolmo::tensor

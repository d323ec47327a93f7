#include "tensor/distributed_tensor.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <cmath>
#include <utility>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"

namespace kolmo::tensor {

namespace {

static_assert(sizeof(Index) == sizeof(std::int64_t), "Eigen::Index is sent as MPI_INT64_T");

int to_int(Index n, const char* what) {
  KOLMO_CHECK(n >= 0 && n <= INT_MAX, what << ": " << n << " values exceed an MPI count");
  return static_cast<int>(n);
}

void broadcast(MPI_Comm comm, Eigen::MatrixXd& m) {
  Index dims[2] = {m.rows(), m.cols()};
  MPI_Bcast(dims, 2, MPI_INT64_T, 0, comm);
  if (comm_rank(comm) != 0) m.resize(dims[0], dims[1]);
  MPI_Bcast(m.data(), to_int(m.size(), "broadcast"), MPI_DOUBLE, 0, comm);
}

void broadcast(MPI_Comm comm, Eigen::VectorXd& v) {
  Index n = v.size();
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, comm);
  if (comm_rank(comm) != 0) v.resize(n);
  MPI_Bcast(v.data(), to_int(n, "broadcast"), MPI_DOUBLE, 0, comm);
}

// The triangular factor of this rank's part of the transposed unfolding T_p (J_p x I): R_p with
// R_p^T R_p = T_p^T T_p, I x I (T_p itself, zero-padded, when it has fewer rows than I).
Eigen::MatrixXd local_r(const DenseTensor& y, int n) {
  const Index i = y.dim(n);
  Eigen::MatrixXd t = y.unfold_transposed(n);
  Eigen::MatrixXd r = Eigen::MatrixXd::Zero(i, i);
  if (t.rows() <= i) {
    r.topRows(t.rows()) = t;
    return r;
  }
  Eigen::HouseholderQR<Eigen::Ref<Eigen::MatrixXd>> qr(t);
  r = qr.matrixQR().topRows(i).triangularView<Eigen::Upper>();
  return r;
}

}  // namespace

std::pair<Index, Index> DistributedTensor::partition(Index n, int size, int rank) {
  const Index base = n / size, extra = n % size;
  const Index begin = rank * base + std::min<Index>(rank, extra);
  return {begin, base + (rank < extra ? 1 : 0)};
}

DistributedTensor::DistributedTensor(MPI_Comm comm, Dims global_dims)
    : comm_(comm), global_dims_(std::move(global_dims)) {
  KOLMO_CHECK(!global_dims_.empty() && global_dims_.size() <= static_cast<std::size_t>(DenseTensor::max_order),
              "a distributed tensor has order 1.." << DenseTensor::max_order);
  const auto [begin, count] = partition(global_dims_.back(), comm_size(comm_), comm_rank(comm_));
  begin_ = begin;
  Dims local = global_dims_;
  local.back() = count;
  local_ = DenseTensor(std::move(local));
}

DistributedTensor DistributedTensor::sample(MPI_Comm comm, const BatchFunction& f,
                                            const std::vector<Eigen::VectorXd>& grid) {
  Dims dims;
  for (const auto& g : grid) dims.push_back(g.size());
  DistributedTensor t(comm, dims);
  // A bad value met by one rank must fail every rank, or the others would wait in the next
  // collective: agree on the first failing rank and broadcast its message.
  std::string error;
  try {
    t.local_ = sample_grid_slab(f, grid, t.begin_, t.last_count());
  } catch (const InputError& e) {
    error = e.what();
  }
  const int size = comm_size(comm);
  int failed = error.empty() ? size : comm_rank(comm), first = size;
  MPI_Allreduce(&failed, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first < size) {
    broadcast_string(comm, error, first);
    throw InputError(error);
  }
  return t;
}

DistributedTensor DistributedTensor::from_replicated(MPI_Comm comm, const DenseTensor& full) {
  DistributedTensor t(comm, full.dims());
  t.local_ = full.last_mode_slab(t.begin_, t.last_count());
  return t;
}

double DistributedTensor::norm() const {
  double local = local_.vector().squaredNorm(), global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, comm_);
  return std::sqrt(global);
}

DenseTensor DistributedTensor::gather() const {
  const int size = comm_size(comm_);
  Index slice = 1;
  for (std::size_t n = 0; n + 1 < global_dims_.size(); ++n) slice *= global_dims_[n];
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  for (int p = 0; p < size; ++p) {
    const auto [begin, count] = partition(global_dims_.back(), size, p);
    counts[static_cast<std::size_t>(p)] = to_int(count * slice, "gather");
    displs[static_cast<std::size_t>(p)] = to_int(begin * slice, "gather");
  }
  DenseTensor full(global_dims_);
  MPI_Allgatherv(local_.data(), to_int(local_.size(), "gather"), MPI_DOUBLE, full.data(),
                 counts.data(), displs.data(), MPI_DOUBLE, comm_);
  return full;
}

TuckerTensor st_hosvd(const DistributedTensor& x, const TuckerOptions& options,
                      HosvdReport* report) {
  KOLMO_INPUT_CHECK(options.eps > 0.0 && std::isfinite(options.eps),
                    "Tucker tolerance eps must be > 0 and finite, got " << options.eps);
  const MPI_Comm comm = x.comm();
  const int rank = comm_rank(comm), size = comm_size(comm);
  const int d = x.order();
  const double norm = x.norm();
  const double reference = options.reference_norm > 0.0 ? options.reference_norm : norm;
  const double budget = options.eps * options.eps * reference * reference / d;
  SvdKernel kernel = options.kernel;
  if (kernel == SvdKernel::automatic) {
    const double relative = norm > 0.0 ? options.eps * reference / norm : 1.0;
    kernel = relative >= options.gram_min_eps ? SvdKernel::gram : SvdKernel::qr;
  }
  const auto max_rank = [&](int n) -> Index {
    if (options.max_ranks.empty()) return 0;
    return options.max_ranks.size() == 1 ? options.max_ranks[0]
                                         : options.max_ranks.at(static_cast<std::size_t>(n));
  };
  HosvdReport local_report;
  HosvdReport& rep = report ? *report : local_report;
  rep = HosvdReport{};
  rep.norm = norm;
  rep.kernel = kernel;

  TuckerTensor result;
  DenseTensor y = x.local();
  Index columns = 1;  // global number of columns of the current mode-n unfolding
  for (int n = 0; n < d - 1; ++n) {
    const Index i = y.dim(n);
    columns = 1;
    for (int k = 0; k < d; ++k)
      if (k != n) columns *= (k == d - 1 ? x.global_dims().back() : y.dim(k));
    ModeSvd svd;
    if (kernel == SvdKernel::gram) {
      const Eigen::MatrixXd g = y.gram(n);
      Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(i, i);
      MPI_Reduce(g.data(), sum.data(), to_int(g.size(), "Gram reduction"), MPI_DOUBLE, MPI_SUM, 0,
                 comm);
      if (rank == 0) svd = left_svd_from_gram(sum);
    } else {
      // One-level TSQR: the stacked R_p have the Gram matrix of the whole unfolding, and so
      // the R of their QR has its singular values and left singular vectors.
      const Eigen::MatrixXd r = local_r(y, n);
      Eigen::MatrixXd stacked;
      if (rank == 0) stacked.resize(i, i * size);
      MPI_Gather(r.data(), to_int(r.size(), "R gather"), MPI_DOUBLE, stacked.data(),
                 to_int(r.size(), "R gather"), MPI_DOUBLE, 0, comm);
      if (rank == 0) {
        // Columns p*I .. p*I+I-1 of `stacked` hold R_p; stack them vertically, [R_0; R_1; ...].
        Eigen::MatrixXd s(i * size, i);
        for (int p = 0; p < size; ++p) s.middleRows(p * i, i) = stacked.middleCols(p * i, i);
        Eigen::HouseholderQR<Eigen::Ref<Eigen::MatrixXd>> qr(s);
        const Eigen::MatrixXd big_r = qr.matrixQR().topRows(i).triangularView<Eigen::Upper>();
        svd = left_svd(big_r.transpose());
      }
    }
    Eigen::MatrixXd u;
    Eigen::VectorXd sigma;
    if (rank == 0) {
      const Index k = std::min(i, columns);
      sigma = svd.sigma.head(std::min(k, svd.sigma.size()));
      const Index r = truncation_rank(sigma, budget, max_rank(n));
      u = svd.u.leftCols(r);
    }
    broadcast(comm, u);
    broadcast(comm, sigma);
    rep.singular_values.push_back(sigma);
    rep.discarded.push_back(sigma.tail(sigma.size() - u.cols()).squaredNorm());
    result.factors.push_back(u);
    y = y.mode_product_transposed(n, u);
  }

  // The last mode: every other mode is truncated, so the whole remainder is small.
  DistributedTensor remainder(comm, [&] {
    Dims g = y.dims();
    g.back() = x.global_dims().back();
    return g;
  }());
  remainder.local() = std::move(y);
  const DenseTensor gathered = remainder.gather();
  Eigen::MatrixXd u, core_data;
  Eigen::VectorXd sigma;
  if (rank == 0) {
    ModeSvd svd = mode_svd(gathered, d - 1, kernel);
    sigma = svd.sigma;
    u = svd.u.leftCols(truncation_rank(sigma, budget, max_rank(d - 1)));
    const DenseTensor core = gathered.mode_product_transposed(d - 1, u);
    core_data = core.vector();
  }
  broadcast(comm, u);
  broadcast(comm, sigma);
  broadcast(comm, core_data);
  rep.singular_values.push_back(sigma);
  rep.discarded.push_back(sigma.tail(sigma.size() - u.cols()).squaredNorm());
  result.factors.push_back(u);
  Dims core_dims;
  for (const auto& f : result.factors) core_dims.push_back(f.cols());
  result.core = DenseTensor(core_dims, Eigen::Map<const Eigen::VectorXd>(core_data.data(), core_data.size()));
  return result;
}

}  // namespace kolmo::tensor

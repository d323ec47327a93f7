#pragma once
/// @file
/// Dense tensors too large for one process: each rank of a communicator holds a slab of
/// consecutive indices of the last mode, and the ST-HOSVD runs in parallel on them. Since the
/// storage is first-index-fastest, a slab is one contiguous block of the global tensor, and
/// every mode-n fiber with n < d-1 lies entirely on one rank: the projections of those modes are
/// local, and only their small I_n x I_n factors (Gram matrix, or the R of a QR) are reduced over
/// the ranks. The last mode, processed last when the other modes are already truncated, is
/// gathered (r_0 ... r_{d-2} x I_{d-1} values) and finished on rank 0. Factors and core are
/// computed on rank 0 and broadcast, so every rank holds the identical result.
#include <mpi.h>

#include <utility>
#include <vector>

#include "tensor/box.hpp"
#include "tensor/dense_tensor.hpp"
#include "tensor/tucker.hpp"

namespace kolmo::tensor {

/// A dense tensor distributed in slabs along its last mode (block partition: rank p of P holds
/// n / P indices, the first n % P ranks one more; ranks may hold none). Owns its local slab;
/// keeps the communicator, which must outlive the object.
class DistributedTensor {
 public:
  /// A zero tensor of the given global sizes. No communication (each rank computes the
  /// partition), but every rank of comm must construct it with the same sizes.
  DistributedTensor(MPI_Comm comm, Dims global_dims);
  /// Sample f on the tensor grid, each rank its slab. Collective on comm (only to agree on
  /// errors): @throws kolmo::InputError on every rank when any rank met a non-finite value.
  static DistributedTensor sample(MPI_Comm comm, const BatchFunction& f,
                                  const std::vector<Eigen::VectorXd>& grid);
  /// Every rank takes its slab of `full`, which every rank holds. No communication.
  static DistributedTensor from_replicated(MPI_Comm comm, const DenseTensor& full);

  /// The first index and the count of the last mode held by `rank` of `size` for a last mode of
  /// n indices.
  static std::pair<Index, Index> partition(Index n, int size, int rank);

  /// The communicator (not owned), the global sizes and the order.
  MPI_Comm comm() const noexcept { return comm_; }
  const Dims& global_dims() const noexcept { return global_dims_; }
  int order() const noexcept { return static_cast<int>(global_dims_.size()); }
  /// This rank's first index and number of indices in the last mode.
  Index last_begin() const noexcept { return begin_; }
  Index last_count() const noexcept { return local_.dims().back(); }
  /// This rank's slab (sizes = global sizes with the last replaced by last_count()).
  DenseTensor& local() noexcept { return local_; }
  const DenseTensor& local() const noexcept { return local_; }

  /// Frobenius norm of the whole tensor. Collective on comm.
  double norm() const;
  /// The whole tensor on every rank (MPI_Allgatherv). Collective on comm.
  DenseTensor gather() const;

 private:
  MPI_Comm comm_;
  Dims global_dims_;
  Index begin_ = 0;
  DenseTensor local_;
};

/// Parallel ST-HOSVD of a distributed tensor (modes 0..d-1 in order, as the serial st_hosvd, and
/// the same truncation rule and kernels). The result, replicated on every rank, equals the serial
/// st_hosvd of the gathered tensor up to rounding. Collective on x.comm().
/// @throws kolmo::InputError when eps <= 0 (on every rank).
TuckerTensor st_hosvd(const DistributedTensor& x, const TuckerOptions& options = {},
                      HosvdReport* report = nullptr);

}  // namespace kolmo::tensor

#pragma once
/// @file
/// Proper orthogonal decomposition (POD) of a set of snapshots in the inner product X of the
/// problem: the left singular vectors ("modes") of the snapshot matrix S as an operator from
/// R^m (Euclidean) to R^n (with X), and its singular values. Distributed: every rank holds its
/// rows of the snapshots and of the modes; only m x m (or smaller) matrices are formed on every
/// rank, never the snapshot matrix on one rank.
///
/// Three methods:
/// - "qr" (default): X-orthonormal QR of the snapshots by Gram-Schmidt with reorthogonalisation
///   (S = Q R), then the SVD of the small R with Eigen (R = U Sigma W^T): modes = Q U. Accurate to
///   machine precision: singular values carry an absolute error of about eps * sigma_1.
/// - "snapshots" (the method of snapshots): the eigen-decomposition of the correlation matrix
///   C = S^T X S, sigma_i = sqrt(lambda_i), modes = S w_i / sigma_i. Cheaper when m is small, but
///   forming C squares the condition number: singular values below about sqrt(eps) * sigma_1
///   (~1.5e-8 sigma_1) are noise, and so are their modes. Use it only for tolerances above that.
/// - "incremental": the snapshots are processed in batches of b; a truncated X-orthonormal basis
///   Q_k and its singular values Sigma_k are updated with each batch B by the QR of [Q_k Sigma_k, B]
///   and the SVD of its small triangular factor, so at most rank + b vectors of length n are held
///   at any time: for snapshot sets that do not fit in memory. Between updates, modes whose
///   energy is below (tolerance / 10)^2 of the energy seen so far are dropped, and at most
///   max_size are kept; the dropped energy is reported (discarded_energy). Without truncation
///   (rank + b below max_size, tolerance 0) it equals "qr" up to round-off.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/petsc_handle.hpp"
#include "core/snapshot_store.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::rom {

/// How compute_pod works and where it truncates.
struct PodOptions {
  std::string method = "qr";  ///< "qr" | "snapshots" | "incremental"
  /// Energy tolerance: the size N is the smallest with sum_{i > N} sigma_i^2 <= tolerance^2 *
  /// sum_i sigma_i^2. 0 keeps every numerically nonzero mode.
  double tolerance = 0.0;
  int max_size = 0;  ///< at most this many modes; 0: no limit
  int batch = 16;    ///< "incremental": snapshots per update
};

/// The result of compute_pod. Move-only (owns the modes).
struct PodResult {
  /// The modes, X-orthonormal, `size` columns (all active), on the communicator of X.
  BVHandle modes;
  int size = 0;
  /// Singular values, descending: all min(m, n) of them for "qr" and "snapshots" (those of the
  /// numerical null space included, as computed), the kept ones for "incremental".
  std::vector<double> singular_values;
  /// "incremental": the sum of sigma^2 dropped between updates (an upper bound of the energy the
  /// final modes miss beyond the final truncation); 0 for the other methods.
  double discarded_energy = 0.0;
  /// sum of all sigma^2 = ||S||_F^2 in X (for "incremental", including the discarded energy).
  double total_energy = 0.0;
  std::int64_t snapshot_count = 0;
};

/// A source of snapshots: fill `out` (a vector with the layout of the problem's unknowns, PETSc
/// ordering) with snapshot j, 0 <= j < count. Called collectively on every rank.
using SnapshotColumn = std::function<void(std::int64_t j, Vec out)>;

/// The POD of `count` snapshots given by `column`, in the inner product `inner_product` (SPD,
/// borrowed; its communicator and layout are those of the snapshots). Columns are requested in
/// order 0..count-1, each once. With more snapshots than unknowns the "qr" and "incremental"
/// methods give way to "snapshots", the one that holds no column per snapshot. Collective on the
/// communicator of `inner_product`.
/// @throws InputError on an unknown method or count < 1.
PodResult compute_pod(Mat inner_product, std::int64_t count, const SnapshotColumn& column,
                      const PodOptions& options);

/// The POD of the complete snapshots of `store` (read in natural ordering and mapped to the
/// problem's ordering with from_natural), in the problem's inner product. Collective on the
/// problem's communicator (the store must be open on a congruent one).
/// @throws InputError when the store holds no complete snapshot or its vectors have another size.
PodResult compute_pod(const operators::ParametrizedProblem& problem, const SnapshotStore& store,
                      const PodOptions& options);

/// The POD size for singular values `sigma` (descending): the smallest N with
/// sum_{i>N} sigma_i^2 <= tolerance^2 * (sum_i sigma_i^2 + extra_energy) - extra_energy (so that
/// energy already discarded elsewhere counts against the budget), at most max_size (if > 0), and
/// never including values at or below `floor` (numerical zeros). Not collective.
int truncation_size(const std::vector<double>& sigma, double tolerance, int max_size,
                    double floor = 0.0, double extra_energy = 0.0);

}  // namespace kolmo::rom

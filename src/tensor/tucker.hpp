#pragma once
/// @file
/// The Tucker format X ~ G x_0 U_0 x_1 U_1 ... x_{d-1} U_{d-1} (core G, factor matrices U_n of
/// size I_n x r_n) and the algorithms that compute it: sequentially truncated HOSVD with the rank
/// chosen by a relative tolerance, HOOI (alternating least squares) refinement, the reduced HOSVD
/// (RHOSVD) of a tensor given in canonical (CP) form, and recompression of a Tucker tensor.
///
/// Accuracy of the mode-n SVD: the Gram-matrix route (eigenvalues of X_(n) X_(n)^T) squares the
/// condition number, so singular values below about sqrt(machine eps) * sigma_1 ~ 1.5e-8 sigma_1
/// are noise: at eps <= 1e-8 it inflates ranks and floors the error near 1e-8. The QR route (QR of
/// X_(n)^T, then the SVD of the small triangular factor) is accurate to machine precision and is
/// the default; the automatic kernel uses the Gram route only for eps >= 1e-6, where it is safe
/// and about twice as fast.
#include <Eigen/Dense>

#include <string>
#include <vector>

#include "core/hdf5_file.hpp"
#include "tensor/dense_tensor.hpp"

namespace kolmo::tensor {

/// How the leading left singular vectors of an unfolding are computed.
enum class SvdKernel {
  automatic,  ///< gram when the relative tolerance is >= TuckerOptions::gram_min_eps, else qr
  qr,         ///< QR of the transposed unfolding, SVD of the triangular factor (accurate)
  gram        ///< symmetric eigensolver on the Gram matrix (fast, accurate only to ~1e-8)
};
/// "automatic", "qr" or "gram".
const char* to_string(SvdKernel kernel);

/// Truncation settings of the Tucker algorithms.
struct TuckerOptions {
  /// Relative tolerance (> 0): the discarded squared singular values sum to at most
  /// eps^2 ||X||^2 over all modes, eps^2 ||X||^2 / d per mode.
  double eps = 1e-8;
  /// If > 0, the budget is eps^2 reference_norm^2 instead of eps^2 ||X||^2 (an absolute
  /// tolerance eps * reference_norm, e.g. relative to a norm known from elsewhere).
  double reference_norm = 0.0;
  /// Rank caps: empty (none), one entry for all modes, or one per mode; 0 means no cap.
  std::vector<Index> max_ranks;
  SvdKernel kernel = SvdKernel::automatic;
  /// The smallest relative tolerance for which the automatic kernel takes the Gram route.
  double gram_min_eps = 1e-6;
  /// rhosvd() only: choose the side-matrix ranks by the rigorous bound ||w||_2 sum_n sqrt(t_n)
  /// (the former behaviour: safe, but ranks near the side matrices' numerical rank when terms
  /// cancel) instead of the eps ||X|| criterion on the weighted side matrices (the default).
  bool rhosvd_bound = false;
};

/// Diagnostics of an ST-HOSVD (or of the recompression inside another algorithm).
struct HosvdReport {
  std::vector<Eigen::VectorXd> singular_values;  ///< per mode, all computed, descending
  std::vector<double> discarded;                 ///< per mode, sum of discarded sigma^2
  double norm = 0.0;                             ///< ||X|| (Frobenius)
  SvdKernel kernel = SvdKernel::qr;              ///< the kernel actually used
  /// sqrt(sum of discarded): ||X - X_tucker|| <= error_bound() (ST-HOSVD's guarantee).
  double error_bound() const;
};

/// A Tucker tensor: core (r_0 x ... x r_{d-1}) and factors (I_n x r_n). Algorithms of this file
/// return orthonormal factors, but the format itself does not require them (sums and products
/// build non-orthonormal ones; recompress() restores orthonormality). Plain value type.
struct TuckerTensor {
  DenseTensor core;                      ///< r_0 x ... x r_{d-1}
  std::vector<Eigen::MatrixXd> factors;  ///< I_n x r_n each

  /// The order d.
  int order() const noexcept { return core.order(); }
  /// The r_n (core sizes).
  Dims ranks() const { return core.dims(); }
  /// The I_n (factor rows).
  Dims dims() const;
  /// Number of stored doubles: core plus factors.
  Index storage() const;
  /// The full tensor (size prod I_n; for small tensors).
  DenseTensor full() const;
  /// Frobenius norm, exact for any factors (via the factor Gram matrices).
  double norm() const;
  /// Entries at the multi-indices in the columns of `indices` (d x P).
  Eigen::VectorXd entries(const Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>& indices) const;
  /// Check that the factors match the core (throws kolmo::Exception otherwise).
  void validate() const;
};

/// The leading left singular vectors and singular values of an unfolding.
struct ModeSvd {
  Eigen::MatrixXd u;      ///< I_n x k, k = min(I_n, other sizes), orthonormal columns
  Eigen::VectorXd sigma;  ///< k singular values, descending
};

/// The SVD of the mode-n unfolding of x with the given kernel (qr or gram; automatic means qr).
ModeSvd mode_svd(const DenseTensor& x, int n, SvdKernel kernel = SvdKernel::qr);
/// Left singular vectors and values of a matrix (I x J) by the QR route: QR of A^T when J > I,
/// then an SVD of the small factor; a direct SVD otherwise.
ModeSvd left_svd(const Eigen::MatrixXd& a);
/// Left singular vectors and values of a matrix from its Gram matrix A A^T (symmetric
/// eigensolver; sigma = sqrt(max(lambda, 0))).
ModeSvd left_svd_from_gram(const Eigen::MatrixXd& gram);
/// The smallest rank r >= 1 with sum_{i >= r} sigma_i^2 <= budget_sq, capped at max_rank (if > 0)
/// and at sigma.size().
Index truncation_rank(const Eigen::VectorXd& sigma, double budget_sq, Index max_rank = 0);

/// Sequentially truncated HOSVD of x (modes in order 0..d-1): the rank of each mode is the
/// smallest whose discarded squared singular values fit eps^2 ||X||^2 / d (see TuckerOptions).
/// Factors orthonormal. Not collective. `report`, if given, is filled (not owned).
/// @throws kolmo::InputError when eps <= 0 or not finite.
TuckerTensor st_hosvd(const DenseTensor& x, const TuckerOptions& options = {},
                      HosvdReport* report = nullptr);

/// HOOI iteration control.
struct HooiOptions {
  /// Upper bound on the sweeps over all modes.
  int max_iterations = 20;
  /// Stop when ||G|| grew by less than tol * ||X|| in a sweep.
  double tol = 1e-12;
};
/// What hooi() did.
struct HooiReport {
  int iterations = 0;
  /// sqrt(max(||X||^2 - ||G||^2, 0)) / ||X|| before the first sweep and after every sweep
  /// (non-increasing; computed from norms, so resolved only down to ~1e-8).
  std::vector<double> relative_errors;
};
/// HOOI (higher-order orthogonal iteration) of x at the ranks of `initial` (typically an
/// ST-HOSVD), with the QR kernel. Never increases the error of `initial` (whose factors must be
/// orthonormal, as every algorithm here returns them).
TuckerTensor hooi(const DenseTensor& x, const TuckerTensor& initial,
                  const HooiOptions& options = {}, HooiReport* report = nullptr);

/// A tensor in canonical (CP) form: sum_nu weights[nu] u_0[:, nu] o ... o u_{d-1}[:, nu].
struct CpTensor {
  Eigen::VectorXd weights;               ///< R weights
  std::vector<Eigen::MatrixXd> factors;  ///< I_n x R each

  /// The order d, the number of terms R, and the sizes I_n.
  int order() const noexcept { return static_cast<int>(factors.size()); }
  Index rank() const noexcept { return weights.size(); }
  Dims dims() const;
  /// The full tensor (for small tensors and tests).
  DenseTensor full() const;
  /// Frobenius norm from the Hadamard product of the factor Gram matrices (O(d R^2 I) time and
  /// O(R^2) memory: for moderate R).
  double norm() const;
  /// Check that every factor has R columns (throws kolmo::Exception otherwise).
  void validate() const;
};

/// Reduced HOSVD of a CP tensor, without forming it: truncated SVDs of the side matrices
/// U_n diag(|w|) (columns normalised, the weights carrying the magnitudes), each truncated by the
/// eps ||X|| criterion (discarded energy <= (0.1 eps ||X||)^2 / d per mode, ||X|| estimated from
/// below by the core in small bases), the small core formed from the projected factors, and
/// always an ST-HOSVD of that core (the remaining 90% of eps). The side-matrix criterion is exact
/// when the Khatri-Rao products of the other factors have orthonormal columns and is not a bound
/// otherwise; options.rhosvd_bound selects the rigorous (and for cancelling terms expensive)
/// bound instead. Cost O(sum_n I_n R min(I_n, R) + R prod_n r_n); never forms an R x R matrix,
/// so R may be large (sums over many particles). Factors orthonormal. `report` describes the
/// core ST-HOSVD.
TuckerTensor rhosvd(const CpTensor& x, const TuckerOptions& options = {},
                    HosvdReport* report = nullptr);

/// Recompress a Tucker tensor: QR of each factor (moving R into the core), then an ST-HOSVD of
/// the core with `options` (relative to ||x|| unless options.reference_norm is set); the result
/// has orthonormal factors. `report` describes the core ST-HOSVD.
TuckerTensor recompress(const TuckerTensor& x, const TuckerOptions& options = {},
                        HosvdReport* report = nullptr);

/// a + b in Tucker form (factors side by side, block-diagonal core); not recompressed.
TuckerTensor tucker_sum(const TuckerTensor& a, const TuckerTensor& b, double alpha = 1.0,
                        double beta = 1.0);
/// The Hadamard (entrywise) product in Tucker form (row-wise Kronecker factors, Kronecker core,
/// ranks multiply); not recompressed.
TuckerTensor tucker_hadamard(const TuckerTensor& a, const TuckerTensor& b);
/// <a, b> (Frobenius inner product) without forming either tensor.
double tucker_inner(const TuckerTensor& a, const TuckerTensor& b);

/// The Kronecker product of two cores with mode index i_a + r_a * i_b in every mode (the order of
/// the columns of the row-wise Kronecker product of factors).
DenseTensor kronecker(const DenseTensor& a, const DenseTensor& b);

/// Write a Tucker tensor into group `group` of `file` (the group must not exist; its parent
/// must): datasets core (1-D, first index fastest) and factor_<n> (I_n x r_n), attribute ranks.
/// Collective for a collective file (rank 0's data are written).
void save_tucker(h5::File& file, const std::string& group, const TuckerTensor& x);
/// Read what save_tucker wrote. @throws InputError when the group is missing or inconsistent.
TuckerTensor load_tucker(const h5::File& file, const std::string& group);

}  // namespace kolmo::tensor

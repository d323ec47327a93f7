#pragma once
/// @file
/// The hybrid Chebyshev-Tucker format of a function on a box in R^d (d = 1..6): the tensor of its
/// Chebyshev coefficients C (m_0 x ... x m_{d-1}) held in Tucker form, C ~ G x_0 F_0 ... x_{d-1}
/// F_{d-1} with F_l of size m_l x r_l. So f(x) ~ sum G(j) prod_l [sum_k F_l(k, j_l) T_k(t_l(x_l))]:
/// r_l univariate Chebyshev series per dimension and a small core. It is mesh-free (evaluated at
/// any point), and expands onto a tensor grid of any size n in O(d n m r) whatever way it was
/// built.
///
/// Built either from function samples at the Chebyshev-Lobatto grid (adaptive product
/// interpolation, then an ST-HOSVD of the coefficient tensor) or, without forming the m^d
/// coefficient tensor, from a function given as a sum of R separable terms (CP form): the 1-D
/// Chebyshev coefficients of every term, a reduced HOSVD of those coefficient vectors and a
/// recompression of the core.
///
/// Accuracy: `eps` is the relative Frobenius tolerance of the Tucker truncation of the
/// coefficient tensor, ||C - C_tucker||_F <= eps ||C||_F; the interpolation tolerance defaults to
/// eps / 20 (relative to the largest coefficient). For erf(|x|)/|x| on [-10, 10]^3 the resulting
/// max |f - f_approx| / max |f| at random points is about 0.1 - 0.2 eps (measured, not a bound).
#include <Eigen/Dense>

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/hdf5_file.hpp"
#include "tensor/box.hpp"
#include "tensor/chebyshev.hpp"
#include "tensor/tucker.hpp"

namespace kolmo::tensor {

/// A function of d variables given as a sum of R separable terms,
/// f(x) = sum_nu weights[nu] prod_l g_{l,nu}(x_l).
struct CpFunction {
  /// The number of variables d.
  int dims = 0;
  /// R weights.
  Eigen::VectorXd weights;
  /// Evaluate every term's factor of dimension l at the points x (length P): fill values
  /// (arriving sized P x R) with values(i, nu) = g_{l,nu}(x[i]).
  std::function<void(int l, const Eigen::VectorXd& x, Eigen::MatrixXd& values)> factors;

  /// The number of terms R.
  Index terms() const noexcept { return weights.size(); }
  /// f at the columns of `points` (d x P), by summing the terms (the reference value in tests).
  Eigen::VectorXd evaluate(const Eigen::MatrixXd& points) const;
  /// A CpFunction from scalar factor functions: terms[nu][l] is g_{l,nu} (all of length dims).
  static CpFunction from_terms(Eigen::VectorXd weights,
                               std::vector<std::vector<std::function<double(double)>>> terms);
};

/// How a Chebyshev-Tucker tensor is built.
struct ChebyshevTuckerOptions {
  /// Relative Frobenius tolerance of the Tucker truncation of the coefficient tensor (> 0).
  double eps = 1e-8;
  /// Trailing-coefficient tolerance of the interpolation (0: eps / 20).
  double chebyshev_tol = 0.0;
  /// Starting, maximal, and fixed nodes per dimension (see ChebyshevOptions).
  Index min_points = 17;
  Index max_points = 1025;
  Index max_total_points = Index(1) << 26;
  std::vector<Index> points;
  /// Rank caps (empty, one for all, or one per dimension).
  std::vector<Index> max_ranks;
  SvdKernel kernel = SvdKernel::automatic;
};

/// What a build did.
struct ChebyshevTuckerReport {
  ChebyshevReport chebyshev;  ///< nodes per dimension, convergence, function evaluations
  HosvdReport hosvd;          ///< the (final) ST-HOSVD: singular values, discarded, kernel
};

/// A function on a box in Chebyshev-Tucker form. Value type (copyable); immutable operations
/// return new objects; evaluation is thread-safe. Nothing here is collective.
class ChebyshevTucker {
 public:
  /// An empty tensor, to be assigned.
  ChebyshevTucker() = default;
  /// Take the Tucker tensor of a coefficient tensor on `box` (order == box.dims()).
  ChebyshevTucker(Box box, TuckerTensor coefficients);

  /// Sample f on an adaptive Lobatto grid, then ST-HOSVD of the coefficient tensor.
  /// @throws kolmo::InputError for a non-finite sample or bad options (eps <= 0).
  static ChebyshevTucker from_function(const BatchFunction& f, const Box& box,
                                       const ChebyshevTuckerOptions& options = {},
                                       ChebyshevTuckerReport* report = nullptr);
  /// ST-HOSVD of the coefficients of an existing interpolant.
  static ChebyshevTucker from_interpolant(const ChebyshevInterpolant& interpolant,
                                          const ChebyshevTuckerOptions& options = {},
                                          HosvdReport* report = nullptr);
  /// From values at the Lobatto grid of `box` (sizes = nodes per dimension).
  static ChebyshevTucker from_values(const Box& box, const DenseTensor& values,
                                     const ChebyshevTuckerOptions& options = {},
                                     HosvdReport* report = nullptr);
  /// From a sum of separable terms, never forming the m^d tensor: the nodes per dimension are
  /// chosen from the decay of the terms' 1-D coefficients (each weighted by the term's size),
  /// then RHOSVD of the coefficient vectors and a recompression of the core.
  /// @throws kolmo::InputError for non-finite factor values or bad options.
  static ChebyshevTucker from_cp(const CpFunction& f, const Box& box,
                                 const ChebyshevTuckerOptions& options = {},
                                 ChebyshevTuckerReport* report = nullptr);

  /// The box and its dimension.
  const Box& box() const noexcept { return box_; }
  int dims() const noexcept { return box_.dims(); }
  /// The Tucker tensor of the Chebyshev coefficients.
  const TuckerTensor& tucker() const noexcept { return coefficients_; }
  /// Tucker ranks r_l.
  Dims ranks() const { return coefficients_.ranks(); }
  /// Chebyshev nodes (degree + 1) per dimension, m_l.
  Dims points() const { return coefficients_.dims(); }
  /// Stored doubles (core and factors).
  Index storage() const { return coefficients_.storage(); }

  /// f at x (length dims()). @throws kolmo::Exception when x is outside the box.
  double operator()(std::span<const double> x) const;
  /// f at the columns of `points` (d x P): per dimension a P x m basis matrix times the factor,
  /// then one contraction with the core per point. @throws kolmo::Exception when a point is
  /// outside the box (beyond a relative slack of 1e-12).
  Eigen::VectorXd evaluate(const Eigen::MatrixXd& points) const;
  /// The factors of f on the tensor grid grid[0] x ... x grid[d-1]: grid[l].size() x r_l each,
  /// basis values times coefficient factors. With the core they are the Tucker tensor of f on the
  /// grid; cost O(sum_l n_l m_l r_l).
  std::vector<Eigen::MatrixXd> grid_factors(const std::vector<Eigen::VectorXd>& grid) const;
  /// The Tucker tensor (core and grid_factors) of f on a tensor grid.
  TuckerTensor on_grid(const std::vector<Eigen::VectorXd>& grid) const;
  /// The full tensor of f on a tensor grid (prod n_l values; for small grids).
  DenseTensor full_grid(const std::vector<Eigen::VectorXd>& grid) const;
  /// The integral of f over the box.
  double integral() const;
  /// The partial derivative d f / d x_l (exact for the represented polynomial; same ranks).
  ChebyshevTucker derivative(int l) const;
  /// The full coefficient tensor as an interpolant (prod m_l values; for small sizes).
  ChebyshevInterpolant to_interpolant() const;
  /// alpha * f (no recompression needed).
  ChebyshevTucker scaled(double alpha) const;

  /// Write to group `group` of `file` (created; its parent must exist): the Tucker datasets of
  /// save_tucker plus attributes format = "kolmo.chebyshev_tucker", format_version, lower, upper.
  /// Collective for a collective file.
  void save(h5::File& file, const std::string& group) const;
  /// Read what save() wrote. @throws kolmo::InputError for a missing or malformed group.
  static ChebyshevTucker load(const h5::File& file, const std::string& group);
  /// Write to a new HDF5 file at `path` (replaced if it exists), group "/chebyshev_tucker".
  /// Not collective (serial driver): call it from one process.
  void save(const std::string& path) const;
  /// Read from a file written by save(path). Not collective.
  static ChebyshevTucker load(const std::string& path);

 private:
  Box box_;
  TuckerTensor coefficients_;
};

/// alpha a + beta b on the same box, recompressed to the relative tolerance eps (of the sum's
/// coefficient norm). @throws kolmo::Exception when the boxes differ.
ChebyshevTucker add(const ChebyshevTucker& a, const ChebyshevTucker& b, double eps,
                    double alpha = 1.0, double beta = 1.0);
/// The pointwise product a * b on the same box: the exact product polynomial (m_a + m_b - 1
/// nodes per dimension, built at the Lobatto nodes through the factors), recompressed to relative
/// tolerance 0.7 eps, and trailing coefficients whose total weight is below 0.3 eps dropped.
ChebyshevTucker hadamard(const ChebyshevTucker& a, const ChebyshevTucker& b, double eps);

}  // namespace kolmo::tensor

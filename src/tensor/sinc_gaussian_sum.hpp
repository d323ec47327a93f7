#pragma once
/// @file
/// Sums of Gaussians sum_k w_k exp(-a_k r^2), the separable representation of radial kernels,
/// and the one for the Newton kernel 1/r from
///   1/r = (2/sqrt(pi)) int_0^inf exp(-t^2 r^2) dt,
/// by one of two quadratures (GaussianSumMethod), both with a relative tolerance eps on
/// [r_min, r_max] that is verified on a dense logarithmic grid of r (met there, not estimated):
/// - sinc: t = exp(u - e^{-u}) / r_max makes the integrand decay double-exponentially at both
///   ends (the Takahashi-Mori idea) and the trapezoidal (sinc) rule in u converges like exp(-c/h).
///   The substitution narrows the strip of analyticity, so the step is small: 40 / 50 / 61 terms
///   at eps = 1e-7 for r_max / r_min = 1e2 / 1e3 / 1e4.
/// - compressed (default): the trapezoidal rule in s = log t, whose strip of analyticity is the
///   widest (|Im s| < pi/4, error about exp(-pi^2 / (2 h))), trimmed where the narrow Gaussians
///   no longer reach r_min. Its wide tail (the Gaussians with a r_max^2 < C, nearly polynomial in
///   r^2 on [0, r_max]: dozens of terms, the cost of a single-exponential decay) is replaced by
///   the n-point Gauss quadrature of the discrete measure sum_j w_j delta(a - a_j), which matches
///   its first 2n moments, has positive weights and nodes inside the tail's range, and is
///   accurate like (C / 4)^{2n} / (2n)!. The step h, the split C and n are chosen by search
///   (largest h, then fewest terms) against the verification grid, for the kernel and for its
///   derivative (the field -x / r^3 of a charge: the error oscillates with period h in log r, so
///   the derivative's is about 2 pi / h times larger and needs a smaller step). Terms at 1e-7 for
///   r_max / r_min = 1e2 / 1e3 / 1e4: 28 / 37 / 47 (sinc: 40 / 50 / 61); value only
///   (compressed_value): 24 / 32 / 40 (Braess-Hackbusch optimal sums for the value need about
///   20 / 28 / 36).
///
/// A Gaussian exp(-a |x|^2) is separable (the product of exp(-a x_l^2)), so a sum of Gaussians
/// is a canonical (CP) tensor of rank equal to its number of terms. Splitting the terms by their
/// width 1 / sqrt(a) gives the range separation: narrow terms (short range, negligible beyond a
/// cutoff radius) and wide ones (long range, smooth, well approximated by low-degree polynomials).
#include <Eigen/Dense>

#include <utility>

#include "tensor/dense_tensor.hpp"

namespace kolmo::tensor {

/// A radial function V(r) = sum_k weights[k] exp(-exponents[k] r^2). Plain value type.
struct GaussianSum {
  Eigen::VectorXd weights;    ///< w_k
  Eigen::VectorXd exponents;  ///< a_k > 0, ascending (widest Gaussian first)

  /// The number of terms.
  Index terms() const noexcept { return weights.size(); }
  /// V at every entry of r (r >= 0).
  Eigen::VectorXd operator()(const Eigen::VectorXd& r) const;
  /// V at one r.
  double operator()(double r) const;
  /// V'(r) / r at every entry of r, = sum_k -2 a_k w_k exp(-a_k r^2) (so grad V(x) = x V'(r)/r,
  /// finite at r = 0).
  Eigen::VectorXd derivative_over_r(const Eigen::VectorXd& r) const;
  /// V(0) = sum_k w_k.
  double at_zero() const { return weights.sum(); }
  /// The terms with indices [begin, begin + count).
  GaussianSum segment(Index begin, Index count) const;
  /// The smallest radius beyond which |V(r)| <= tol (a bound from sum_k |w_k| exp(-a_k r^2),
  /// found by bisection); 0 when V is already that small at 0.
  double cutoff_radius(double tol) const;
};

/// How newton_gaussian_sum() discretises the integral (see the file comment).
enum class GaussianSumMethod {
  sinc,        ///< double-exponential substitution, trapezoidal rule (most terms)
  compressed,  ///< trapezoidal rule in log t, wide tail by Gauss quadrature; kernel and its
               ///< derivative (the field) both within eps (the default)
  compressed_value  ///< the same with only the kernel within eps (fewest terms; the derivative's
                    ///< relative error is then about 20 eps)
};
/// "sinc", "compressed" or "compressed_value".
const char* to_string(GaussianSumMethod method);

/// What newton_gaussian_sum() chose and measured.
struct SincGaussianReport {
  GaussianSumMethod method = GaussianSumMethod::compressed;  ///< the method that produced the sum
  double step = 0.0;             ///< the quadrature step h (in u for sinc, in log t for compressed)
  double u_min = 0.0, u_max = 0.0;  ///< the quadrature range in u (sinc) or log(t r_min) (compressed)
  double max_relative_error = 0.0;  ///< max |r V(r) - 1| on the verification grid
  /// max |r^2 V'(r) + 1| (the field's relative error) on the grid; the compressed method
  /// bounds it by eps too, the sinc one only measures it.
  double max_relative_derivative_error = 0.0;
  Index verification_points = 0;   ///< points of the logarithmic verification grid
  int refinements = 0;             ///< times the step was reduced
  Index tail_terms = 0;            ///< compressed: Gauss nodes replacing the wide tail
  double tail_split = 0.0;         ///< compressed: the tail is the terms with a r_max^2 < this
};

/// 1/r ~ sum of Gaussians with max |V(r) - 1/r| * r <= eps for r in [r_min, r_max], by
/// `method`; positive weights, exponents ascending. Deterministic; not collective. When the
/// compressed methods find no rule meeting eps (not seen in a sweep of eps in [1e-14, 0.5] and
/// r_max / r_min in [1.01, 1e10]) they return the sinc one (report->method says which). The
/// compressed sums have fewer terms than the sinc one for eps <= 1e-3.
/// @throws kolmo::InputError unless 0 < r_min < r_max (finite) and 1e-14 <= eps < 1.
GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps, GaussianSumMethod method,
                                SincGaussianReport* report = nullptr);
/// The same with the default method (compressed).
GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps,
                                SincGaussianReport* report = nullptr);

/// The range split of a Gaussian sum by width: the terms with 1/sqrt(a_k) < width form the short
/// range part (first), the others the long range part (second). Together they are the sum
/// exactly (each term lands in one part).
/// @throws kolmo::InputError unless width > 0.
std::pair<GaussianSum, GaussianSum> split_by_width(const GaussianSum& sum, double width);

}  // namespace kolmo::tensor

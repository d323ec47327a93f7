#pragma once
/// @file
/// Sums of Gaussians sum_k w_k exp(-a_k r^2), the separable representation of radial kernels,
/// and the one for the Newton kernel 1/r by sinc quadrature of
///   1/r = (2/sqrt(pi)) int_0^inf exp(-t^2 r^2) dt.
///
/// The substitution t = exp(u - e^{-u}) / r_max makes the integrand decay double-exponentially at
/// both ends (the Takahashi-Mori idea: near t = 0 it is the smooth dt/du, for large t the
/// Gaussian), so the trapezoidal (sinc) rule with step h converges like exp(-c/h) and the number
/// of terms grows like log(r_max / r_min) log(1/eps). The step and the range of u are chosen for a
/// relative tolerance on [r_min, r_max] and the result is verified on a dense logarithmic grid of
/// r (the tolerance is met there, not just estimated). About 35 terms at eps = 1e-7 for
/// r_max / r_min = 1e3.
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

/// What newton_gaussian_sum() chose and measured.
struct SincGaussianReport {
  double step = 0.0;             ///< the sinc step h
  double u_min = 0.0, u_max = 0.0;  ///< the quadrature range in u
  double max_relative_error = 0.0;  ///< max |r V(r) - 1| on the verification grid
  Index verification_points = 0;   ///< points of the logarithmic verification grid
  int refinements = 0;             ///< times the step was reduced
};

/// 1/r ~ sum of Gaussians with max |V(r) - 1/r| * r <= eps for r in [r_min, r_max].
/// @throws kolmo::InputError unless 0 < r_min < r_max (finite) and 0 < eps < 1 (eps >= 1e-15).
GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps,
                                SincGaussianReport* report = nullptr);

/// The range split of a Gaussian sum by width: the terms with 1/sqrt(a_k) < width form the short
/// range part (first), the others the long range part (second). Together they are the sum
/// exactly (each term lands in one part).
/// @throws kolmo::InputError unless width > 0.
std::pair<GaussianSum, GaussianSum> split_by_width(const GaussianSum& sum, double width);

}  // namespace kolmo::tensor

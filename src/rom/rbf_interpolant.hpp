#pragma once
/// @file
/// Polyharmonic radial basis function interpolation of scattered data in a few dimensions, used by
/// the matrix EIM to carry the magic entries of A(mu) from the sample parameters to any mu:
///   s(t) = sum_k w_k phi(|t - t_k|) + p(t),   phi(r) = r^3 (cubic) or r^5 (quintic),
/// p a polynomial of degree 1 (cubic) or 2 (quintic), with sum_k w_k q(t_k) = 0 for every such
/// polynomial q. No shape parameter to tune; the interpolant reproduces polynomials of p's degree
/// exactly, and in 1-D the cubic one is the natural cubic spline (error O(h^2) near the ends of the
/// range, O(h^4) inside; the quintic one O(h^3) / O(h^6)). Pure Eigen, not collective.
#include <Eigen/Dense>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kolmo::rom {

/// The radial function and the polynomial degree that goes with it.
enum class RbfKernel {
  cubic,    ///< r^3 with a linear polynomial
  quintic,  ///< r^5 with a quadratic polynomial
};

/// "cubic" or "quintic".
const char* to_string(RbfKernel kernel);
/// The kernel called `text`. @throws InputError otherwise.
RbfKernel parse_rbf_kernel(const std::string& text);

/// Interpolation of several functions sampled at the same centres. A value type.
class RbfInterpolant {
 public:
  RbfInterpolant() = default;
  /// Fit the functions whose values at `centres` (n x d, one centre per row) are the columns of
  /// `values` (n x k).
  /// @throws kolmo::Exception when there are fewer centres than polynomial terms, duplicate
  /// centres, or centres that do not determine the polynomial (e.g. collinear in 2-D for the
  /// quadratic part).
  RbfInterpolant(const Eigen::MatrixXd& centres, const Eigen::MatrixXd& values, RbfKernel kernel);

  int dimension() const noexcept { return static_cast<int>(centres_.cols()); }
  int num_functions() const noexcept { return static_cast<int>(weights_.cols()); }
  RbfKernel kernel() const noexcept { return kernel_; }

  /// The k interpolated values at `t` (d coordinates).
  Eigen::VectorXd operator()(std::span<const double> t) const;
  /// The value at t of the combination sum_j combination_j s_j of the interpolants.
  double combination(std::span<const double> t, const Eigen::VectorXd& combination) const;
  /// The same combination as a muparser expression, with `coordinates[i]` the text of t_i
  /// (parenthesised by the caller if needed). Full precision: evaluating the text agrees with
  /// combination() to rounding.
  std::string expression(const Eigen::VectorXd& combination,
                         const std::vector<std::string>& coordinates) const;

 private:
  Eigen::VectorXd radial(std::span<const double> t) const;
  Eigen::VectorXd polynomial(std::span<const double> t) const;

  RbfKernel kernel_ = RbfKernel::cubic;
  Eigen::MatrixXd centres_;      // n x d
  Eigen::MatrixXd weights_;      // n x k
  Eigen::MatrixXd polynomial_;   // p x k
};

}  // namespace kolmo::rom

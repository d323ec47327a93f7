#include "rom/rbf_interpolant.hpp"

#include <cmath>
#include <sstream>

#include "core/exceptions.hpp"

namespace kolmo::rom {
namespace {

std::string number(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return text.str();
}

// Number of monomials of degree <= `degree` in d variables (degree 1 or 2).
Eigen::Index polynomial_size(int d, int degree) {
  return degree == 1 ? 1 + d : 1 + d + d * (d + 1) / 2;
}

}  // namespace

const char* to_string(RbfKernel kernel) { return kernel == RbfKernel::cubic ? "cubic" : "quintic"; }

RbfKernel parse_rbf_kernel(const std::string& text) {
  if (text == "cubic") return RbfKernel::cubic;
  if (text == "quintic") return RbfKernel::quintic;
  throw InputError("unknown radial basis function '" + text + "' (allowed: cubic, quintic)");
}

RbfInterpolant::RbfInterpolant(const Eigen::MatrixXd& centres, const Eigen::MatrixXd& values,
                               RbfKernel kernel)
    : kernel_(kernel), centres_(centres) {
  const Eigen::Index n = centres.rows(), d = centres.cols();
  KOLMO_CHECK(d >= 1, "RBF: the centres need at least one coordinate");
  KOLMO_CHECK(values.rows() == n, "RBF: " << values.rows() << " values for " << n << " centres");
  const int degree = kernel == RbfKernel::cubic ? 1 : 2;
  const Eigen::Index p = polynomial_size(static_cast<int>(d), degree);
  KOLMO_CHECK(n >= p, "RBF: " << n << " centres cannot determine the degree-" << degree
                               << " polynomial part in " << d << " dimensions (" << p
                               << " terms); give more samples or use the cubic kernel");
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < i; ++j)
      KOLMO_CHECK((centres.row(i) - centres.row(j)).norm() > 0,
                  "RBF: centres " << j << " and " << i << " coincide");
  // The saddle-point system [Phi P; P^T 0] [w; c] = [values; 0].
  Eigen::MatrixXd system = Eigen::MatrixXd::Zero(n + p, n + p);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXd t = centres.row(i).transpose();
    system.block(i, 0, 1, n) = radial(std::span<const double>(t.data(), static_cast<std::size_t>(d))).transpose();
    const Eigen::VectorXd q = polynomial(std::span<const double>(t.data(), static_cast<std::size_t>(d)));
    system.block(i, n, 1, p) = q.transpose();
    system.block(n, i, p, 1) = q;
  }
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(n + p, values.cols());
  rhs.topRows(n) = values;
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
  KOLMO_CHECK(lu.isInvertible(), "RBF: the centres do not determine the polynomial part (e.g. "
                                 "all on a line in 2-D); give more varied samples");
  const Eigen::MatrixXd solution = lu.solve(rhs);
  weights_ = solution.topRows(n);
  polynomial_ = solution.bottomRows(p);
}

Eigen::VectorXd RbfInterpolant::radial(std::span<const double> t) const {
  const Eigen::Index n = centres_.rows();
  Eigen::VectorXd phi(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    double r2 = 0;
    for (Eigen::Index i = 0; i < centres_.cols(); ++i) {
      const double dt = t[static_cast<std::size_t>(i)] - centres_(k, i);
      r2 += dt * dt;
    }
    const double r = std::sqrt(r2);
    phi(k) = kernel_ == RbfKernel::cubic ? r2 * r : r2 * r2 * r;
  }
  return phi;
}

Eigen::VectorXd RbfInterpolant::polynomial(std::span<const double> t) const {
  const int d = static_cast<int>(centres_.cols());
  const int degree = kernel_ == RbfKernel::cubic ? 1 : 2;
  Eigen::VectorXd q(polynomial_size(d, degree));
  Eigen::Index k = 0;
  q(k++) = 1.0;
  for (int i = 0; i < d; ++i) q(k++) = t[static_cast<std::size_t>(i)];
  if (degree == 2)
    for (int i = 0; i < d; ++i)
      for (int j = i; j < d; ++j) q(k++) = t[static_cast<std::size_t>(i)] * t[static_cast<std::size_t>(j)];
  return q;
}

Eigen::VectorXd RbfInterpolant::operator()(std::span<const double> t) const {
  KOLMO_CHECK(static_cast<Eigen::Index>(t.size()) == centres_.cols(),
              "RBF: expected " << centres_.cols() << " coordinates, got " << t.size());
  return weights_.transpose() * radial(t) + polynomial_.transpose() * polynomial(t);
}

double RbfInterpolant::combination(std::span<const double> t, const Eigen::VectorXd& combination) const {
  return (*this)(t).dot(combination);
}

std::string RbfInterpolant::expression(const Eigen::VectorXd& combination,
                                       const std::vector<std::string>& coordinates) const {
  const Eigen::Index d = centres_.cols();
  KOLMO_CHECK(static_cast<Eigen::Index>(coordinates.size()) == d,
              "RBF: " << coordinates.size() << " coordinate texts for " << d << " dimensions");
  KOLMO_CHECK(combination.size() == weights_.cols(),
              "RBF: a combination of " << combination.size() << " for " << weights_.cols() << " functions");
  const Eigen::VectorXd w = weights_ * combination;
  const Eigen::VectorXd c = polynomial_ * combination;
  std::ostringstream text;
  auto term = [&](double coefficient, const std::string& factor) {
    if (coefficient == 0.0) return;
    if (text.tellp() > 0) text << (coefficient < 0 ? " - " : " + ");
    else if (coefficient < 0) text << "-";
    text << number(std::abs(coefficient));
    if (!factor.empty()) text << "*" << factor;
  };
  const char* power = kernel_ == RbfKernel::cubic ? "3" : "5";
  for (Eigen::Index k = 0; k < centres_.rows(); ++k) {
    std::ostringstream radius;
    if (d == 1) {
      radius << "abs(" << coordinates[0] << " - " << number(centres_(k, 0)) << ")^" << power;
    } else {
      radius << "sqrt(";
      for (Eigen::Index i = 0; i < d; ++i)
        radius << (i ? " + " : "") << "(" << coordinates[static_cast<std::size_t>(i)] << " - "
               << number(centres_(k, i)) << ")^2";
      radius << ")^" << power;
    }
    term(w(k), radius.str());
  }
  Eigen::Index k = 0;
  term(c(k++), "");
  for (Eigen::Index i = 0; i < d; ++i) term(c(k++), coordinates[static_cast<std::size_t>(i)]);
  if (kernel_ == RbfKernel::quintic)
    for (Eigen::Index i = 0; i < d; ++i)
      for (Eigen::Index j = i; j < d; ++j)
        term(c(k++), coordinates[static_cast<std::size_t>(i)] + "*" + coordinates[static_cast<std::size_t>(j)]);
  if (text.tellp() == 0) text << "0";
  return text.str();
}

}  // namespace kolmo::rom

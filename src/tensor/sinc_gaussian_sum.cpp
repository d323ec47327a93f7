#include "tensor/sinc_gaussian_sum.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

namespace {

const double two_over_sqrt_pi = 2.0 / std::sqrt(std::numbers::pi);

// The verification grid: logarithmic in r, fine enough to see the sinc error's oscillation
// (period h in log r) at every phase.
Eigen::VectorXd verification_grid(double r_min, double r_max, double h) {
  const double span = std::log(r_max / r_min);
  const auto count = static_cast<Index>(std::clamp(16.0 * span / h + 200.0, 400.0, 20000.0));
  Eigen::VectorXd r(count);
  for (Index i = 0; i < count; ++i)
    r[i] = r_min * std::exp(span * static_cast<double>(i) / static_cast<double>(count - 1));
  r[count - 1] = r_max;
  return r;
}

// The trapezoidal rule with step h on u in h Z, t(u) = exp(u - e^{-u}) / r_max, trimmed at both
// ends where the dropped terms cannot change r V(r) by more than eps / 4 on [r_min, r_max].
GaussianSum sinc_rule(double r_min, double r_max, double eps, double h, double& u_lo,
                      double& u_hi) {
  // Beyond u = -4, t < exp(-4 - e^4)/r_max ~ 1e-26/r_max; beyond the upper limit a_k r_min^2 > 60.
  const auto k_first = static_cast<Index>(std::floor(-4.0 / h));
  const auto k_last = static_cast<Index>(std::ceil((std::log(8.0 * r_max / r_min) + 2.0) / h));
  std::vector<double> w, a;
  for (Index k = k_first; k <= k_last; ++k) {
    const double u = static_cast<double>(k) * h;
    const double t = std::exp(u - std::exp(-u)) / r_max;
    w.push_back(two_over_sqrt_pi * h * t * (1.0 + std::exp(-u)));
    a.push_back(t * t);
  }
  const auto n = static_cast<Index>(w.size());
  // Lower tail: at r <= r_max each dropped term adds at most w_k, i.e. r_max w_k relatively.
  Index begin = 0;
  double dropped = 0.0;
  while (begin < n && dropped + w[static_cast<std::size_t>(begin)] * r_max <= 0.25 * eps)
    dropped += w[static_cast<std::size_t>(begin++)] * r_max;
  // Upper tail: at r >= r_min a term adds at most r w_k exp(-a_k r^2) relatively, largest at
  // r = r_min once a_k r_min^2 >= 1/2.
  Index end = n;
  dropped = 0.0;
  while (end > begin + 1) {
    const auto j = static_cast<std::size_t>(end - 1);
    const double x = a[j] * r_min * r_min;
    if (x < 0.5) break;
    const double contribution = r_min * w[j] * std::exp(-x);
    if (dropped + contribution > 0.25 * eps) break;
    dropped += contribution;
    --end;
  }
  GaussianSum sum;
  sum.weights.resize(end - begin);
  sum.exponents.resize(end - begin);
  for (Index k = begin; k < end; ++k) {
    sum.weights[k - begin] = w[static_cast<std::size_t>(k)];
    sum.exponents[k - begin] = a[static_cast<std::size_t>(k)];
  }
  u_lo = static_cast<double>(k_first + begin) * h;
  u_hi = static_cast<double>(k_first + end - 1) * h;
  return sum;
}

}  // namespace

Eigen::VectorXd GaussianSum::operator()(const Eigen::VectorXd& r) const {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(r.size());
  const Eigen::ArrayXd r2 = r.array().square();
  for (Index k = 0; k < terms(); ++k) v.array() += weights[k] * (-exponents[k] * r2).exp();
  return v;
}

double GaussianSum::operator()(double r) const {
  double v = 0.0;
  for (Index k = 0; k < terms(); ++k) v += weights[k] * std::exp(-exponents[k] * r * r);
  return v;
}

Eigen::VectorXd GaussianSum::derivative_over_r(const Eigen::VectorXd& r) const {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(r.size());
  const Eigen::ArrayXd r2 = r.array().square();
  for (Index k = 0; k < terms(); ++k)
    v.array() -= 2.0 * exponents[k] * weights[k] * (-exponents[k] * r2).exp();
  return v;
}

GaussianSum GaussianSum::segment(Index begin, Index count) const {
  KOLMO_CHECK(begin >= 0 && count >= 0 && begin + count <= terms(),
              "GaussianSum::segment: [" << begin << ", " << begin + count << ") of " << terms());
  return GaussianSum{weights.segment(begin, count), exponents.segment(begin, count)};
}

double GaussianSum::cutoff_radius(double tol) const {
  KOLMO_CHECK(tol > 0.0, "cutoff_radius: tol must be > 0, got " << tol);
  const auto bound = [&](double r) {
    double v = 0.0;
    for (Index k = 0; k < terms(); ++k) v += std::abs(weights[k]) * std::exp(-exponents[k] * r * r);
    return v;
  };
  if (bound(0.0) <= tol) return 0.0;
  // The bound decreases in r: grow an upper end, then bisect.
  double lo = 0.0, hi = 1.0 / std::sqrt(exponents.maxCoeff());
  while (bound(hi) > tol) {
    lo = hi;
    hi *= 2.0;
  }
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (bound(mid) > tol ? lo : hi) = mid;
  }
  return hi;
}

GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps, SincGaussianReport* report) {
  KOLMO_INPUT_CHECK(std::isfinite(r_min) && std::isfinite(r_max) && r_min > 0.0 && r_max > r_min,
                    "Newton kernel: need 0 < r_min < r_max, got r_min = " << r_min
                                                                          << ", r_max = " << r_max);
  KOLMO_INPUT_CHECK(std::isfinite(eps) && eps >= 1e-14 && eps < 1.0,
                    "Newton kernel: eps must be in [1e-14, 1), got " << eps);
  SincGaussianReport local;
  SincGaussianReport& rep = report ? *report : local;
  rep = SincGaussianReport{};
  // The integrand is analytic in a strip of half-width about pi/4 around the real u axis, so the
  // sinc error is about exp(-pi^2 / (2 h)); start a little coarser than that and refine until the
  // verification passes.
  double h = 1.2 * std::numbers::pi * std::numbers::pi / (2.0 * std::log(1.0 / eps));
  for (;;) {
    GaussianSum sum = sinc_rule(r_min, r_max, eps, h, rep.u_min, rep.u_max);
    const Eigen::VectorXd r = verification_grid(r_min, r_max, h);
    const double err = (r.cwiseProduct(sum(r)).array() - 1.0).abs().maxCoeff();
    if (err <= eps || rep.refinements >= 60) {
      KOLMO_CHECK(err <= eps, "Newton kernel: the sinc quadrature did not reach eps = "
                                  << eps << " (error " << err << ")");
      rep.step = h;
      rep.max_relative_error = err;
      rep.verification_points = r.size();
      return sum;
    }
    h *= 0.93;
    ++rep.refinements;
  }
}

std::pair<GaussianSum, GaussianSum> split_by_width(const GaussianSum& sum, double width) {
  KOLMO_INPUT_CHECK(std::isfinite(width) && width > 0.0,
                    "range split: the width must be > 0, got " << width);
  std::vector<Index> short_terms, long_terms;
  for (Index k = 0; k < sum.terms(); ++k)
    (1.0 / std::sqrt(sum.exponents[k]) < width ? short_terms : long_terms).push_back(k);
  const auto pick = [&](const std::vector<Index>& idx) {
    GaussianSum part;
    part.weights.resize(static_cast<Index>(idx.size()));
    part.exponents.resize(static_cast<Index>(idx.size()));
    for (std::size_t j = 0; j < idx.size(); ++j) {
      part.weights[static_cast<Index>(j)] = sum.weights[idx[j]];
      part.exponents[static_cast<Index>(j)] = sum.exponents[idx[j]];
    }
    return part;
  };
  return {pick(short_terms), pick(long_terms)};
}

}  // namespace kolmo::tensor

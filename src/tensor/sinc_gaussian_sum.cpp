#include "tensor/sinc_gaussian_sum.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>
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

// The n-point Gauss quadrature of the discrete measure sum_j w_j delta(a - a_j) (w_j > 0): n
// Lanczos steps on diag(a) from sqrt(w / sum w), fully reorthogonalised (the a_j span decades),
// then the eigenpairs of the tridiagonal matrix (Golub-Welsch). It integrates polynomials of
// degree <= 2n - 1 exactly; the weights are positive and the nodes lie in [min a, max a],
// ascending.
GaussianSum gauss_rule(const Eigen::VectorXd& w, const Eigen::VectorXd& a, Index n) {
  const Index m = w.size();
  n = std::min(n, m);
  const double mass = w.sum();
  Eigen::MatrixXd q(m, n);
  Eigen::VectorXd alpha(n), beta = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd v = (w / mass).cwiseSqrt();
  Index steps = 0;
  for (Index j = 0; j < n; ++j) {
    q.col(j) = v;
    ++steps;
    Eigen::VectorXd next = a.cwiseProduct(v);
    alpha[j] = v.dot(next);
    for (int pass = 0; pass < 2; ++pass)
      next -= q.leftCols(j + 1) * (q.leftCols(j + 1).transpose() * next);
    beta[j] = next.norm();
    // Done, or an invariant subspace: the measure has (numerically) only `steps` atoms.
    if (j + 1 == n || beta[j] <= 1e-14 * std::abs(alpha[j])) break;
    v = next / beta[j];
  }
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(steps, steps);
  for (Index j = 0; j < steps; ++j) {
    t(j, j) = alpha[j];
    if (j + 1 < steps) t(j, j + 1) = t(j + 1, j) = beta[j];
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(t);
  return GaussianSum{mass * eig.eigenvectors().row(0).transpose().array().square().matrix(),
                     eig.eigenvalues()};
}

// One candidate of the compressed method: weights and exponents ascending, its error on the grid.
struct Candidate {
  GaussianSum sum;
  double error = std::numeric_limits<double>::infinity();
  double derivative_error = std::numeric_limits<double>::infinity();
  double split = 0.0;
  Index tail_terms = 0;
  double s_min = 0.0, s_max = 0.0;
};

// The compressed rule at step h: nodes s_j = j h of log(t r_min), trimmed at both ends, for every
// split C the wide tail (a r_max^2 < C) replaced by the fewest Gauss nodes that reproduce it to
// eps / 10 on the grid r (value and derivative); the candidate with the fewest terms whose
// relative error in the kernel and in its derivative (the field) is at most 0.9 eps on the grid.
Candidate compressed_rule(double r_min, double r_max, double eps, double h, const Eigen::VectorXd& r,
                          bool derivative) {
  const double ratio = r_max / r_min;
  // Lower end: the dropped terms sum to at most about 1e-3 eps relative at r_max.
  const auto j_lo = static_cast<Index>(std::floor(std::log(1e-3 * eps / (two_over_sqrt_pi * ratio * (1.0 + h))) / h));
  // Upper end: beyond a r_min^2 = log(8 / eps) + 5 a term is below eps / 8 relative anywhere.
  const auto j_hi = static_cast<Index>(std::ceil(0.5 * std::log(std::log(8.0 / eps) + 5.0) / h)) + 1;
  std::vector<double> w, x;  // weight * r_min and a * r_min^2 (the rule for r_min = 1)
  for (Index j = j_lo; j <= j_hi; ++j) {
    const double s = static_cast<double>(j) * h;
    w.push_back(two_over_sqrt_pi * h * std::exp(s));
    x.push_back(std::exp(2.0 * s));
  }
  // Trim the narrow end where the dropped terms add at most eps / 8 relative at r_min to the
  // kernel and to its derivative: a term's relative value r w e^{-a r^2} and relative derivative
  // 2 a r^3 w e^{-a r^2} (= 2 x times the value, x = a r^2) both peak at r_min once
  // x = a r_min^2 >= 3/2.
  auto end = static_cast<Index>(w.size());
  double dropped = 0.0;
  while (end > 1) {
    const auto k = static_cast<std::size_t>(end - 1);
    if (x[k] < 1.5) break;
    const double contribution = (derivative ? 2.0 * x[k] : 1.0) * w[k] * std::exp(-x[k]);
    if (dropped + contribution > 0.125 * eps) break;
    dropped += contribution;
    --end;
  }
  // Relative values r V(r) and relative derivatives -r^2 V'(r) on the grid, as prefix sums over
  // the terms (ascending a): the tail of split C is a prefix.
  const Eigen::ArrayXd rho = r.array() / r_min;  // r / r_min in [1, ratio]
  const Eigen::ArrayXd rho2 = rho.square();
  Eigen::MatrixXd prefix(r.size(), end + 1), dprefix(r.size(), end + 1);
  prefix.col(0).setZero();
  dprefix.col(0).setZero();
  for (Index k = 0; k < end; ++k) {
    const double xk = x[static_cast<std::size_t>(k)];
    const Eigen::ArrayXd term = w[static_cast<std::size_t>(k)] * rho * (-xk * rho2).exp();
    prefix.col(k + 1) = prefix.col(k) + term.matrix();
    dprefix.col(k + 1) = dprefix.col(k) + (2.0 * xk * rho2 * term).matrix();
  }
  const Eigen::VectorXd whole = prefix.col(end), dwhole = dprefix.col(end);

  Candidate best;
  for (const double split : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) {
    Index tail = 0;
    while (tail < end && x[static_cast<std::size_t>(tail)] * ratio * ratio < split) ++tail;
    // The relative values of the Gauss nodes replacing the tail (zero when there is no tail).
    GaussianSum reduced{Eigen::VectorXd(0), Eigen::VectorXd(0)};
    Eigen::VectorXd value = Eigen::VectorXd::Zero(r.size()), dvalue = value;
    if (tail > 0) {
      const Eigen::VectorXd tail_w = Eigen::Map<const Eigen::VectorXd>(w.data(), tail);
      // Scaled to a r_max^2 in (0, C): a well-conditioned Lanczos.
      const Eigen::VectorXd tail_x =
          Eigen::Map<const Eigen::VectorXd>(x.data(), tail) * (ratio * ratio);
      bool met = false;
      for (Index n = 1; n <= std::min<Index>(16, tail) && !met; ++n) {
        reduced = gauss_rule(tail_w, tail_x, n);
        reduced.exponents /= ratio * ratio;
        value.setZero();
        dvalue.setZero();
        for (Index k = 0; k < reduced.terms(); ++k) {
          const Eigen::ArrayXd term = reduced.weights[k] * rho * (-reduced.exponents[k] * rho2).exp();
          value += term.matrix();
          dvalue += (2.0 * reduced.exponents[k] * rho2 * term).matrix();
        }
        met = (value - prefix.col(tail)).cwiseAbs().maxCoeff() <= 0.1 * eps &&
              (!derivative || (dvalue - dprefix.col(tail)).cwiseAbs().maxCoeff() <= 0.1 * eps);
      }
      if (!met) continue;
    }
    const Index terms = reduced.terms() + end - tail;
    const double err = ((value + whole - prefix.col(tail)).array() - 1.0).abs().maxCoeff();
    const double derr = ((dvalue + dwhole - dprefix.col(tail)).array() - 1.0).abs().maxCoeff();
    const bool positive = (reduced.weights.array() > 0.0).all() && (reduced.exponents.array() > 0.0).all();
    if (!positive || err > 0.9 * eps || (derivative && derr > 0.9 * eps)) continue;
    if (best.sum.terms() > 0 && (terms > best.sum.terms() || (terms == best.sum.terms() && err >= best.error)))
      continue;
    best.sum.weights.resize(terms);
    best.sum.exponents.resize(terms);
    best.sum.weights.head(reduced.terms()) = reduced.weights / r_min;
    best.sum.exponents.head(reduced.terms()) = reduced.exponents / (r_min * r_min);
    for (Index k = tail; k < end; ++k) {
      best.sum.weights[reduced.terms() + k - tail] = w[static_cast<std::size_t>(k)] / r_min;
      best.sum.exponents[reduced.terms() + k - tail] = x[static_cast<std::size_t>(k)] / (r_min * r_min);
    }
    best.error = err;
    best.derivative_error = derr;
    best.split = split;
    best.tail_terms = reduced.terms();
    best.s_min = static_cast<double>(j_lo + tail) * h;
    best.s_max = static_cast<double>(j_lo + end - 1) * h;
  }
  return best;
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

const char* to_string(GaussianSumMethod method) {
  switch (method) {
    case GaussianSumMethod::sinc:
      return "sinc";
    case GaussianSumMethod::compressed:
      return "compressed";
    case GaussianSumMethod::compressed_value:
      return "compressed_value";
  }
  return "?";
}

namespace {

GaussianSum sinc_sum(double r_min, double r_max, double eps, SincGaussianReport& rep) {
  rep = SincGaussianReport{};
  rep.method = GaussianSumMethod::sinc;
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
      rep.max_relative_derivative_error =
          (r.array().cube() * sum.derivative_over_r(r).array() + 1.0).abs().maxCoeff();
      rep.verification_points = r.size();
      return sum;
    }
    h *= 0.93;
    ++rep.refinements;
  }
}

// The compressed rule with the largest step that meets eps on the verification grid (the error
// of the trapezoidal rule in log t is about exp(-pi^2 / (2 h)), so the search starts just above
// h = pi^2 / (2 log(1 / eps)) and shrinks it by 2% a step); empty if none down to a third of it.
GaussianSum compressed_sum(double r_min, double r_max, double eps, GaussianSumMethod method,
                           SincGaussianReport& rep) {
  rep = SincGaussianReport{};
  rep.method = method;
  const bool derivative = method == GaussianSumMethod::compressed;
  // The derivative's error is about 2 pi / h times the kernel's (the error oscillates with
  // period h in log r), so that variant needs about log(20) more in the exponent.
  const double h0 = 1.02 * std::numbers::pi * std::numbers::pi /
                    (2.0 * (std::log(1.0 / eps) + (derivative ? 2.0 : 0.0)));
  for (double h = h0; h >= h0 / 3.0; h *= 0.98, ++rep.refinements) {
    const Eigen::VectorXd r = verification_grid(r_min, r_max, h);
    Candidate c = compressed_rule(r_min, r_max, eps, h, r, derivative);
    if (c.sum.terms() == 0) continue;
    rep.step = h;
    rep.u_min = c.s_min;
    rep.u_max = c.s_max;
    rep.max_relative_error = c.error;
    rep.max_relative_derivative_error = c.derivative_error;
    rep.verification_points = r.size();
    rep.tail_terms = c.tail_terms;
    rep.tail_split = c.split;
    return std::move(c.sum);
  }
  return GaussianSum{};
}

}  // namespace

GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps, GaussianSumMethod method,
                                SincGaussianReport* report) {
  KOLMO_INPUT_CHECK(std::isfinite(r_min) && std::isfinite(r_max) && r_min > 0.0 && r_max > r_min,
                    "Newton kernel: need 0 < r_min < r_max, got r_min = " << r_min
                                                                          << ", r_max = " << r_max);
  KOLMO_INPUT_CHECK(std::isfinite(eps) && eps >= 1e-14 && eps < 1.0,
                    "Newton kernel: eps must be in [1e-14, 1), got " << eps);
  SincGaussianReport local;
  SincGaussianReport& rep = report ? *report : local;
  if (method != GaussianSumMethod::sinc) {
    GaussianSum sum = compressed_sum(r_min, r_max, eps, method, rep);
    if (sum.terms() > 0) return sum;
  }
  return sinc_sum(r_min, r_max, eps, rep);
}

GaussianSum newton_gaussian_sum(double r_min, double r_max, double eps, SincGaussianReport* report) {
  return newton_gaussian_sum(r_min, r_max, eps, GaussianSumMethod::compressed, report);
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

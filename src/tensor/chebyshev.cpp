#include "tensor/chebyshev.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::tensor {

namespace {

using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXd>;
using MatrixMap = Eigen::Map<Eigen::MatrixXd>;

// Multiply every mode-n fiber of t entrywise by `scale` (length I_n).
void scale_mode(DenseTensor& t, int n, const Eigen::VectorXd& scale) {
  const ModeSplit s = mode_split(t.dims(), n);
  for (Index r = 0; r < s.right; ++r) {
    MatrixMap block(t.data() + r * s.left * s.mid, s.left, s.mid);
    block = block * scale.asDiagonal();
  }
}

// In-place DCT-I (FFTW_REDFT00, unnormalised) of every mode-n fiber of t, one guru plan.
void dct1_mode(DenseTensor& t, int n) {
  const ModeSplit s = mode_split(t.dims(), n);
  fftw_iodim64 dim{};
  dim.n = s.mid;
  dim.is = s.left;
  dim.os = s.left;
  fftw_iodim64 loops[2]{};
  loops[0].n = s.left;
  loops[0].is = 1;
  loops[0].os = 1;
  loops[1].n = s.right;
  loops[1].is = s.left * s.mid;
  loops[1].os = s.left * s.mid;
  fftw_r2r_kind kind = FFTW_REDFT00;
  // FFTW_ESTIMATE plans without touching the array, so planning on the data itself is safe.
  fftw_plan plan = fftw_plan_guru64_r2r(1, &dim, 2, loops, t.data(), t.data(), &kind,
                                        FFTW_ESTIMATE);
  KOLMO_CHECK(plan != nullptr, "FFTW could not plan a DCT-I of length " << s.mid);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
}

// The number of trailing coefficients that must be small for a dimension to count as resolved:
// at least 2 (an even or odd function has every other coefficient zero), and m/8 for long series.
Index tail_length(Index m) { return std::min(m, std::max<Index>(2, m / 8)); }

double tail_ratio(const Eigen::VectorXd& profile, double scale) {
  if (scale <= 0.0 || profile.size() == 0) return 0.0;
  return profile.tail(tail_length(profile.size())).maxCoeff() / scale;
}

// Reference coordinates of the probe lines along which the degree per dimension is estimated
// before the full grid is sampled: the centre and two scattered points (golden-ratio sequences).
std::vector<std::vector<double>> probe_points(int d) {
  std::vector<std::vector<double>> probes(3, std::vector<double>(static_cast<std::size_t>(d), 0.0));
  for (int l = 0; l < d; ++l) {
    const double u1 = std::fmod(0.5 + 0.6180339887498949 * (l + 1), 1.0);
    const double u2 = std::fmod(0.25 + 0.7548776662466927 * (l + 2), 1.0);
    probes[1][static_cast<std::size_t>(l)] = 1.8 * u1 - 0.9;
    probes[2][static_cast<std::size_t>(l)] = 1.8 * u2 - 0.9;
  }
  return probes;
}

// The smallest n' >= n whose prime factors are 2, 3 and 5: FFTW's DCT-I of m points runs an FFT
// of size 2(m - 1), several times faster for such sizes than for sizes with large prime factors.
Index smooth_size(Index n) {
  for (Index k = std::max<Index>(n, 1);; ++k) {
    Index r = k;
    for (const Index p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return k;
  }
}

// Per index k of mode l, the sum of |c| over all coefficients with that index.
Eigen::VectorXd slice_abs_sums(const DenseTensor& c, int l) {
  const ModeSplit s = mode_split(c.dims(), l);
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(s.mid);
  for (Index r = 0; r < s.right; ++r)
    sums += ConstMatrixMap(c.data() + r * s.left * s.mid, s.left, s.mid)
                .cwiseAbs()
                .colwise()
                .sum()
                .transpose();
  return sums;
}

void check_finite(const Eigen::MatrixXd& points, const Eigen::VectorXd& values) {
  for (Index p = 0; p < values.size(); ++p) {
    if (std::isfinite(values[p])) continue;
    std::ostringstream message;
    message << "the function value at (";
    for (Index l = 0; l < points.rows(); ++l) message << (l ? ", " : "") << points(l, p);
    message << ") is not finite (" << values[p] << ")";
    throw InputError(message.str());
  }
}

}  // namespace

Eigen::VectorXd chebyshev_points(Index m, double a, double b) {
  KOLMO_CHECK(m >= 1, "chebyshev_points: need m >= 1, got " << m);
  KOLMO_CHECK(a < b, "chebyshev_points: empty interval [" << a << ", " << b << "]");
  if (m == 1) return Eigen::VectorXd::Constant(1, 0.5 * (a + b));
  const Index n = m - 1;
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  Eigen::VectorXd x(m);
  // sin form: exactly symmetric about the centre, exactly 0 in the middle for odd m.
  for (Index j = 0; j <= n; ++j)
    x[j] = c + h * std::sin(std::numbers::pi * static_cast<double>(2 * j - n) /
                            static_cast<double>(2 * n));
  x[0] = a;
  x[n] = b;
  return x;
}

void chebyshev_transform_mode(DenseTensor& t, int n, bool inverse) {
  const Index m = t.dim(n);
  if (m <= 1 || t.size() == 0) return;  // one node: the coefficient is the value
  const Index last = m - 1;
  // Ascending nodes x_j = -cos(pi j / N) give T_k(x_j) = (-1)^k cos(pi j k / N), so the DCT-I
  // maps values to coefficients up to the signs (-1)^k and the halved end terms.
  Eigen::VectorXd scale(m);
  for (Index k = 0; k < m; ++k) {
    const double sign = (k % 2 == 0) ? 1.0 : -1.0;
    const bool end = (k == 0 || k == last);
    scale[k] = inverse ? sign * (end ? 1.0 : 0.5) : sign * (end ? 0.5 : 1.0) / static_cast<double>(last);
  }
  if (inverse) scale_mode(t, n, scale);
  dct1_mode(t, n);
  if (!inverse) scale_mode(t, n, scale);
}

DenseTensor chebyshev_coefficients(const DenseTensor& values) {
  DenseTensor c = values;
  for (int n = 0; n < c.order(); ++n) chebyshev_transform_mode(c, n, false);
  return c;
}

DenseTensor chebyshev_values(const DenseTensor& coefficients) {
  DenseTensor v = coefficients;
  for (int n = 0; n < v.order(); ++n) chebyshev_transform_mode(v, n, true);
  return v;
}

Eigen::MatrixXd chebyshev_coefficients(const Eigen::MatrixXd& values) {
  DenseTensor t({values.rows(), values.cols()},
                Eigen::Map<const Eigen::VectorXd>(values.data(), values.size()));
  chebyshev_transform_mode(t, 0, false);
  return ConstMatrixMap(t.data(), values.rows(), values.cols());
}

Eigen::MatrixXd chebyshev_values(const Eigen::MatrixXd& coefficients) {
  DenseTensor t({coefficients.rows(), coefficients.cols()},
                Eigen::Map<const Eigen::VectorXd>(coefficients.data(), coefficients.size()));
  chebyshev_transform_mode(t, 0, true);
  return ConstMatrixMap(t.data(), coefficients.rows(), coefficients.cols());
}

Eigen::MatrixXd chebyshev_transform_matrix(Index m) {
  return chebyshev_coefficients(Eigen::MatrixXd(Eigen::MatrixXd::Identity(m, m)));
}

double chebyshev_clenshaw(std::span<const double> c, double t) {
  if (c.empty()) return 0.0;
  double b1 = 0.0, b2 = 0.0;
  for (std::size_t k = c.size() - 1; k >= 1; --k) {
    const double b0 = c[k] + 2.0 * t * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return c[0] + t * b1 - b2;
}

Eigen::MatrixXd chebyshev_basis(Index m, const Eigen::VectorXd& x, double a, double b) {
  KOLMO_CHECK(m >= 0, "chebyshev_basis: negative degree count " << m);
  KOLMO_CHECK(a < b, "chebyshev_basis: empty interval [" << a << ", " << b << "]");
  const Index p = x.size();
  Eigen::MatrixXd basis(p, m);
  if (m == 0) return basis;
  const Eigen::ArrayXd t = (2.0 * x.array() - (a + b)) / (b - a);
  basis.col(0).setOnes();
  if (m > 1) basis.col(1) = t.matrix();
  for (Index k = 2; k < m; ++k)
    basis.col(k) = (2.0 * t * basis.col(k - 1).array() - basis.col(k - 2).array()).matrix();
  return basis;
}

Eigen::VectorXd chebyshev_integrals(Index m, double a, double b) {
  Eigen::VectorXd w = Eigen::VectorXd::Zero(m);
  for (Index k = 0; k < m; k += 2)
    w[k] = 0.5 * (b - a) * 2.0 / (1.0 - static_cast<double>(k) * static_cast<double>(k));
  return w;
}

Eigen::MatrixXd chebyshev_derivative(const Eigen::MatrixXd& coefficients, double a, double b) {
  KOLMO_CHECK(a < b, "chebyshev_derivative: empty interval [" << a << ", " << b << "]");
  const Index m = coefficients.rows();
  const Index k = coefficients.cols();
  if (m <= 1) return Eigen::MatrixXd::Zero(1, k);
  // b_{j-1} = b_{j+1} + 2 j c_j from the top down, then b_0 halved (T_0 carries weight 1 here).
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(m + 1, k);
  for (Index j = m - 1; j >= 1; --j)
    d.row(j - 1) = d.row(j + 1) + 2.0 * static_cast<double>(j) * coefficients.row(j);
  d.row(0) *= 0.5;
  return d.topRows(m - 1) * (2.0 / (b - a));
}

Eigen::VectorXd clenshaw_curtis_weights(Index m, double a, double b) {
  return chebyshev_transform_matrix(m).transpose() * chebyshev_integrals(m, a, b);
}

std::vector<Eigen::VectorXd> chebyshev_grid(const Box& box, const Dims& m) {
  KOLMO_CHECK(static_cast<int>(m.size()) == box.dims(),
              "chebyshev_grid: " << m.size() << " node counts for a box of dimension "
                                 << box.dims());
  std::vector<Eigen::VectorXd> grid;
  for (int l = 0; l < box.dims(); ++l)
    grid.push_back(chebyshev_points(m[static_cast<std::size_t>(l)], box.lower(l), box.upper(l)));
  return grid;
}

Eigen::VectorXd coefficient_profile(const DenseTensor& coefficients, int l) {
  const ModeSplit s = mode_split(coefficients.dims(), l);
  Eigen::VectorXd profile = Eigen::VectorXd::Zero(s.mid);
  if (s.left == 0 || s.right == 0) return profile;
  for (Index r = 0; r < s.right; ++r)
    profile = profile.cwiseMax(
        ConstMatrixMap(coefficients.data() + r * s.left * s.mid, s.left, s.mid)
            .cwiseAbs()
            .colwise()
            .maxCoeff()
            .transpose());
  return profile;
}

DenseTensor leading_subtensor(const DenseTensor& t, const Dims& dims) {
  KOLMO_CHECK(static_cast<int>(dims.size()) == t.order(), "leading_subtensor: order mismatch");
  for (int l = 0; l < t.order(); ++l)
    KOLMO_CHECK(dims[static_cast<std::size_t>(l)] >= 0 && dims[static_cast<std::size_t>(l)] <= t.dim(l),
                "leading_subtensor: size " << dims[static_cast<std::size_t>(l)] << " in mode "
                                           << l << " exceeds " << t.dim(l));
  if (dims == t.dims()) return t;
  DenseTensor out(dims);
  if (out.size() == 0) return out;
  // Copy contiguous runs along mode 0, one per multi-index of the other modes.
  const Index runs = out.size() / dims[0];
  std::vector<Index> index(dims.size(), 0);
  for (Index run = 0; run < runs; ++run) {
    Index source = 0;
    for (std::size_t n = dims.size(); n-- > 1;) source = source * t.dims()[n] + index[n];
    source *= t.dim(0);
    out.vector().segment(run * dims[0], dims[0]) = t.vector().segment(source, dims[0]);
    for (std::size_t n = 1; n < dims.size(); ++n) {
      if (++index[n] < dims[n]) break;
      index[n] = 0;
    }
  }
  return out;
}

ChebyshevInterpolant::ChebyshevInterpolant(Box box, DenseTensor coefficients)
    : box_(std::move(box)), coefficients_(std::move(coefficients)) {
  KOLMO_CHECK(coefficients_.order() == box_.dims(),
              "a coefficient tensor of order " << coefficients_.order() << " for a box of dimension "
                                               << box_.dims());
}

ChebyshevInterpolant ChebyshevInterpolant::from_values(Box box, const DenseTensor& values) {
  return ChebyshevInterpolant(std::move(box), chebyshev_coefficients(values));
}

ChebyshevInterpolant ChebyshevInterpolant::interpolate(const BatchFunction& f, const Box& box,
                                                       const ChebyshevOptions& options,
                                                       ChebyshevReport* report) {
  const int d = box.dims();
  KOLMO_INPUT_CHECK(d >= 1, "Chebyshev interpolation needs a box");
  KOLMO_INPUT_CHECK(options.tol > 0 && std::isfinite(options.tol),
                    "Chebyshev interpolation: tol must be > 0, got " << options.tol);
  ChebyshevReport local_report;
  ChebyshevReport& rep = report ? *report : local_report;
  rep = ChebyshevReport{};

  Dims m(static_cast<std::size_t>(d));
  if (!options.points.empty()) {
    KOLMO_INPUT_CHECK(options.points.size() == 1 || static_cast<int>(options.points.size()) == d,
                      "Chebyshev interpolation: " << options.points.size()
                                                  << " node counts for dimension " << d);
    for (int l = 0; l < d; ++l) {
      m[static_cast<std::size_t>(l)] = options.points.size() == 1 ? options.points[0] : options.points[static_cast<std::size_t>(l)];
      KOLMO_INPUT_CHECK(m[static_cast<std::size_t>(l)] >= 1,
                        "Chebyshev interpolation: node counts must be >= 1");
    }
    const DenseTensor values = sample_grid(f, chebyshev_grid(box, m));
    ChebyshevInterpolant result(box, chebyshev_coefficients(values));
    rep.sampled_points = rep.points = m;
    rep.evaluations = values.size();
    rep.max_abs_value = values.max_abs();
    rep.converged = true;
    const double scale = result.coefficients_.max_abs();
    for (int l = 0; l < d; ++l)
      rep.tail.push_back(tail_ratio(coefficient_profile(result.coefficients_, l), scale));
    return result;
  }

  KOLMO_INPUT_CHECK(options.min_points >= 2 && options.max_points >= options.min_points,
                    "Chebyshev interpolation: need 2 <= min_points <= max_points, got "
                        << options.min_points << " and " << options.max_points);
  const double tol = options.tol;
  const Index cap = options.max_points;
  bool converged = true;

  // Probe phase: along lines through a few points, find the nodes each dimension needs, at the
  // cost of 1-D samples only.
  const auto probes = probe_points(d);
  for (int l = 0; l < d; ++l) {
    Index ml = options.min_points;
    for (;;) {
      const Eigen::VectorXd nodes = chebyshev_points(ml, box.lower(l), box.upper(l));
      const auto np = static_cast<Index>(probes.size());
      Eigen::MatrixXd points(d, np * ml);
      for (Index q = 0; q < np; ++q)
        for (Index j = 0; j < ml; ++j)
          for (int k = 0; k < d; ++k)
            points(k, q * ml + j) =
                k == l ? nodes[j]
                       : box.lower(k) + 0.5 * box.width(k) *
                                            (1.0 + probes[static_cast<std::size_t>(q)][static_cast<std::size_t>(k)]);
      Eigen::VectorXd values = Eigen::VectorXd::Zero(points.cols());
      f(points, values);
      check_finite(points, values);
      rep.evaluations += values.size();
      const Eigen::MatrixXd c =
          chebyshev_coefficients(Eigen::MatrixXd(ConstMatrixMap(values.data(), ml, np)));
      const Eigen::VectorXd profile = c.cwiseAbs().rowwise().maxCoeff();
      const double scale = profile.maxCoeff();
      if (tail_ratio(profile, scale) <= tol) {
        // Start the full grid a little above the length the probes need after chopping rather
        // than at the doubled length: the full grid costs m^d, the probes only m.
        Index keep = profile.size();
        while (keep > 1 && profile[keep - 1] <= tol * scale) --keep;
        ml = std::min(ml, smooth_size(std::max(options.min_points, keep + keep / 4 + 4) - 1) + 1);
        break;
      }
      if (ml >= cap) break;
      ml = std::min(2 * ml - 1, cap);
    }
    m[static_cast<std::size_t>(l)] = ml;
  }

  // Full-grid phase: sample, transform, and double the dimensions still unresolved.
  const auto over_budget = [&](const Dims& sizes) { return product(sizes) > options.max_total_points; };
  while (over_budget(m)) {
    converged = false;
    auto largest = std::max_element(m.begin(), m.end());
    if (*largest <= 2) break;
    *largest = (*largest + 1) / 2;
  }
  DenseTensor coefficients;
  double scale = 0.0;
  for (;;) {
    const DenseTensor values = sample_grid(f, chebyshev_grid(box, m));
    rep.evaluations += values.size();
    rep.max_abs_value = values.max_abs();
    coefficients = chebyshev_coefficients(values);
    scale = coefficients.max_abs();
    Dims next = m;
    bool grow = false, blocked = false;
    for (int l = 0; l < d; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      if (tail_ratio(coefficient_profile(coefficients, l), scale) <= tol) continue;
      if (m[ul] >= cap) {
        blocked = true;
        continue;
      }
      next[ul] = std::min(2 * m[ul] - 1, cap);
      grow = true;
    }
    if (grow && over_budget(next)) blocked = true;
    if (!grow || over_budget(next)) {
      converged = converged && !blocked;
      break;
    }
    m = next;
  }
  rep.sampled_points = m;

  Dims kept = m;
  if (options.chop && scale > 0.0) {
    // Drop trailing slices while the sum of their absolute values stays within tol * scale / d:
    // since |T_k| <= 1 this bounds the change of the interpolant anywhere in the box by
    // tol * scale (a bound on single coefficients would not: a slice holds m^(d-1) of them).
    for (int l = 0; l < d; ++l) {
      const Eigen::VectorXd sums = slice_abs_sums(coefficients, l);
      Index keep = sums.size();
      double dropped = 0.0;
      while (keep > 1 && dropped + sums[keep - 1] <= tol * scale / d) dropped += sums[--keep];
      kept[static_cast<std::size_t>(l)] = keep;
    }
    coefficients = leading_subtensor(coefficients, kept);
  }
  rep.points = kept;
  for (int l = 0; l < d; ++l)
    rep.tail.push_back(tail_ratio(coefficient_profile(coefficients, l), scale));
  rep.converged = converged;
  return ChebyshevInterpolant(box, std::move(coefficients));
}

double ChebyshevInterpolant::operator()(std::span<const double> x) const {
  KOLMO_CHECK(static_cast<int>(x.size()) == dims(),
              "a point of dimension " << x.size() << " for a box of dimension " << dims());
  Eigen::MatrixXd p = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Index>(x.size()));
  return evaluate(p)[0];
}

Eigen::VectorXd ChebyshevInterpolant::evaluate(const Eigen::MatrixXd& points) const {
  KOLMO_CHECK(points.rows() == dims(),
              "points of dimension " << points.rows() << " for a box of dimension " << dims());
  std::vector<Eigen::MatrixXd> rows;
  for (int l = 0; l < dims(); ++l)
    rows.push_back(chebyshev_basis(coefficients_.dim(l), points.row(l).transpose(), box_.lower(l),
                                   box_.upper(l)));
  return contract_rows(coefficients_, rows);
}

double ChebyshevInterpolant::integral() const {
  std::vector<Eigen::MatrixXd> rows;
  for (int l = 0; l < dims(); ++l)
    rows.push_back(
        chebyshev_integrals(coefficients_.dim(l), box_.lower(l), box_.upper(l)).transpose());
  return contract_rows(coefficients_, rows)[0];
}

}  // namespace kolmo::tensor

#include "rom/online/scm_bound.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "core/exceptions.hpp"

namespace kolmo::rom {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPivotTolerance = 1e-11;
constexpr double kCostTolerance = 1e-12;
constexpr double kFeasibilityTolerance = 1e-9;
constexpr double kFormat = 1.0;
constexpr std::size_t kHeader = 6;

void check_sizes(const Eigen::VectorXd& c, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                 const Eigen::MatrixXd& g, const Eigen::VectorXd& h) {
  const Eigen::Index n = c.size();
  KOLMO_CHECK(lower.size() == n && upper.size() == n,
              "linear program: " << n << " costs but " << lower.size() << " lower and "
                                 << upper.size() << " upper bounds");
  KOLMO_CHECK(g.rows() == h.size() && (g.rows() == 0 || g.cols() == n),
              "linear program: constraint matrix " << g.rows() << " x " << g.cols() << " with "
                                                   << h.size() << " right-hand sides for " << n
                                                   << " variables");
  for (Eigen::Index j = 0; j < n; ++j)
    KOLMO_CHECK(!(lower[j] > upper[j]), "linear program: variable " << j << " has lower bound "
                                                                   << lower[j] << " > upper bound "
                                                                   << upper[j]);
}

// A dense simplex tableau: rows 0 .. rows-1 are constraints (basis[i] is the basic column of row
// i), the last row holds the reduced costs, the last column the right-hand side (and minus the
// objective value in the cost row).
class Tableau {
 public:
  Tableau(Eigen::Index rows, Eigen::Index columns)
      : t_(Eigen::MatrixXd::Zero(rows + 1, columns + 1)), basis_(rows, -1) {}

  Eigen::MatrixXd& t() { return t_; }
  std::vector<Eigen::Index>& basis() { return basis_; }
  Eigen::Index rows() const { return t_.rows() - 1; }
  Eigen::Index rhs() const { return t_.cols() - 1; }

  void pivot(Eigen::Index row, Eigen::Index column) {
    t_.row(row) /= t_(row, column);
    for (Eigen::Index i = 0; i < t_.rows(); ++i)
      if (i != row && t_(i, column) != 0.0) t_.row(i) -= t_(i, column) * t_.row(row);
    basis_[row] = column;
  }

  // Minimises the cost row over the columns < allowed, Bland's rule. False when unbounded.
  bool minimise(Eigen::Index allowed) {
    const Eigen::Index limit = 50 * (t_.rows() + t_.cols()) + 1000;
    for (Eigen::Index iteration = 0; iteration < limit; ++iteration) {
      Eigen::Index entering = -1;
      for (Eigen::Index j = 0; j < allowed; ++j)
        if (t_(rows(), j) < -kCostTolerance) {
          entering = j;
          break;
        }
      if (entering < 0) return true;
      // Minimum ratio; among ties the row whose basic column is smallest (Bland).
      double best = kInf;
      for (Eigen::Index i = 0; i < rows(); ++i)
        if (t_(i, entering) > kPivotTolerance) best = std::min(best, t_(i, rhs()) / t_(i, entering));
      Eigen::Index leaving = -1;
      for (Eigen::Index i = 0; i < rows(); ++i) {
        if (t_(i, entering) <= kPivotTolerance) continue;
        const double ratio = t_(i, rhs()) / t_(i, entering);
        if (ratio <= best + 1e-13 * (1.0 + std::abs(best)) &&
            (leaving < 0 || basis_[i] < basis_[leaving]))
          leaving = i;
      }
      if (leaving < 0) return false;
      pivot(leaving, entering);
    }
    throw Exception("linear program: the simplex did not terminate after " + std::to_string(limit) +
                    " pivots");
  }

 private:
  Eigen::MatrixXd t_;
  std::vector<Eigen::Index> basis_;
};

// Read access to packed SCM data (layout in ScmData::pack), without copying it.
struct ScmView {
  int q = 0, k = 0, p = 0, m_alpha = 0, m_plus = 0;
  const double* y_min = nullptr;
  const double* y_max = nullptr;
  const double* scale = nullptr;
  const double* points = nullptr;      // k rows of q + 1
  const double* positivity = nullptr;  // p rows of q

  explicit ScmView(const std::vector<double>& packed) {
    q = static_cast<int>(packed[1]);
    k = static_cast<int>(packed[2]);
    p = static_cast<int>(packed[3]);
    m_alpha = static_cast<int>(packed[4]);
    m_plus = static_cast<int>(packed[5]);
    y_min = packed.data() + kHeader;
    y_max = y_min + q;
    scale = y_max + q;
    points = scale + q;
    positivity = points + static_cast<std::ptrdiff_t>(k) * (q + 1);
  }
};

// The indices of the `count` rows (stride `stride`, first q entries) nearest to theta.
std::vector<int> nearest(const double* rows, int n, int stride, int count, const ScmView& v,
                         const std::vector<double>& theta) {
  std::vector<std::pair<double, int>> distance(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    double d = 0.0;
    for (int q = 0; q < v.q; ++q) {
      const double e = (rows[static_cast<std::ptrdiff_t>(i) * stride + q] - theta[q]) / v.scale[q];
      d += e * e;
    }
    distance[static_cast<std::size_t>(i)] = {d, i};
  }
  const auto keep = static_cast<std::size_t>(std::clamp(count, 0, n));
  std::partial_sort(distance.begin(), distance.begin() + static_cast<std::ptrdiff_t>(keep),
                    distance.end());
  std::vector<int> indices;
  for (std::size_t i = 0; i < keep; ++i) indices.push_back(distance[i].second);
  return indices;
}

double lower_bound(const ScmView& v, const std::vector<double>& theta) {
  KOLMO_CHECK(static_cast<int>(theta.size()) == v.q,
              "SCM lower bound: " << theta.size() << " coefficients for " << v.q << " terms");
  const auto alpha_rows = nearest(v.points, v.k, v.q + 1, v.m_alpha, v, theta);
  const auto plus_rows = nearest(v.positivity, v.p, v.q, v.m_plus, v, theta);
  const auto m = static_cast<Eigen::Index>(alpha_rows.size() + plus_rows.size());
  Eigen::MatrixXd g(m, v.q);
  Eigen::VectorXd h(m);
  Eigen::Index row = 0;
  for (int i : alpha_rows) {
    const double* r = v.points + static_cast<std::ptrdiff_t>(i) * (v.q + 1);
    for (int q = 0; q < v.q; ++q) g(row, q) = r[q];
    h[row++] = r[v.q];
  }
  for (int i : plus_rows) {
    const double* r = v.positivity + static_cast<std::ptrdiff_t>(i) * v.q;
    for (int q = 0; q < v.q; ++q) g(row, q) = r[q];
    h[row++] = 0.0;
  }
  const Eigen::VectorXd c = Eigen::Map<const Eigen::VectorXd>(theta.data(), v.q);
  const auto solution =
      solve_linear_program(c, Eigen::Map<const Eigen::VectorXd>(v.y_min, v.q),
                           Eigen::Map<const Eigen::VectorXd>(v.y_max, v.q), g, h);
  // Infeasible can only come from round-off (the true y(mu) satisfies every constraint); a zero
  // bound makes the error bound infinite instead of wrong.
  return solution.status == LpStatus::optimal ? solution.value : 0.0;
}

}  // namespace

LpSolution solve_linear_program(const Eigen::VectorXd& c, const Eigen::VectorXd& lower,
                                const Eigen::VectorXd& upper, const Eigen::MatrixXd& g,
                                const Eigen::VectorXd& h) {
  check_sizes(c, lower, upper, g, h);
  const Eigen::Index n = c.size();
  // x = offset + map z with z >= 0: a shifted variable per finite lower bound, a reflected one
  // when only the upper bound is finite, a split pair for free variables.
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(n);
  std::vector<std::pair<Eigen::Index, double>> columns;  // (variable, sign) per column of z
  std::vector<std::pair<Eigen::Index, double>> upper_rows;  // -z_col >= -(width) rows
  for (Eigen::Index j = 0; j < n; ++j) {
    if (std::isfinite(lower[j])) {
      offset[j] = lower[j];
      if (std::isfinite(upper[j]))
        upper_rows.emplace_back(static_cast<Eigen::Index>(columns.size()), upper[j] - lower[j]);
      columns.emplace_back(j, 1.0);
    } else if (std::isfinite(upper[j])) {
      offset[j] = upper[j];
      columns.emplace_back(j, -1.0);
    } else {
      columns.emplace_back(j, 1.0);
      columns.emplace_back(j, -1.0);
    }
  }
  const auto nz = static_cast<Eigen::Index>(columns.size());
  Eigen::MatrixXd map = Eigen::MatrixXd::Zero(n, nz);
  for (Eigen::Index col = 0; col < nz; ++col) map(columns[col].first, col) = columns[col].second;

  // Every constraint as a z >= b, scaled to max |a_j| = 1; empty rows are checked and dropped.
  std::vector<Eigen::VectorXd> rows_a;
  std::vector<double> rows_b;
  auto add_row = [&](Eigen::VectorXd a, double b) {
    const double s = a.cwiseAbs().maxCoeff();
    if (s == 0.0) return b <= kFeasibilityTolerance * (1.0 + std::abs(b));
    rows_a.push_back(a / s);
    rows_b.push_back(b / s);
    return true;
  };
  LpSolution solution;
  for (Eigen::Index i = 0; i < g.rows(); ++i) {
    const Eigen::VectorXd a = (g.row(i) * map).transpose();
    if (!add_row(a, h[i] - g.row(i).dot(offset))) return solution;  // 0 >= b > 0: infeasible
  }
  for (const auto& [col, width] : upper_rows) {
    Eigen::VectorXd a = Eigen::VectorXd::Zero(nz);
    a[col] = -1.0;
    add_row(a, -width);
  }
  const auto rows = static_cast<Eigen::Index>(rows_a.size());
  Eigen::Index artificials = 0;
  for (double b : rows_b)
    if (b > 0) ++artificials;

  // Columns: z (nz), surplus (rows), artificials.
  Tableau tableau(rows, nz + rows + artificials);
  auto& t = tableau.t();
  const Eigen::Index rhs = tableau.rhs();
  Eigen::Index next_artificial = nz + rows;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double b = rows_b[static_cast<std::size_t>(i)];
    const auto& a = rows_a[static_cast<std::size_t>(i)];
    if (b > 0) {  // a z - s + art = b
      t.row(i).head(nz) = a.transpose();
      t(i, nz + i) = -1.0;
      t(i, next_artificial) = 1.0;
      t(i, rhs) = b;
      tableau.basis()[i] = next_artificial++;
    } else {  // -a z + s = -b >= 0
      t.row(i).head(nz) = -a.transpose();
      t(i, nz + i) = 1.0;
      t(i, rhs) = -b;
      tableau.basis()[i] = nz + i;
    }
  }
  // Phase 1: minimise the sum of the artificials.
  if (artificials > 0) {
    for (Eigen::Index i = 0; i < rows; ++i)
      if (tableau.basis()[i] >= nz + rows) t.row(rows) -= t.row(i);
    for (Eigen::Index j = nz + rows; j < nz + rows + artificials; ++j) t(rows, j) = 0.0;
    tableau.minimise(nz + rows + artificials);
    if (-t(rows, rhs) > kFeasibilityTolerance) return solution;  // infeasible
    // Drive the artificials left in the basis (at zero) out where the row allows it.
    for (Eigen::Index i = 0; i < rows; ++i) {
      if (tableau.basis()[i] < nz + rows) continue;
      for (Eigen::Index j = 0; j < nz + rows; ++j)
        if (std::abs(t(i, j)) > 1e-9) {
          tableau.pivot(i, j);
          break;
        }
    }
  }
  // Phase 2: the objective on z, scaled to unit size (the value is recomputed from x).
  Eigen::VectorXd cost = map.transpose() * c;
  const double cost_scale = cost.size() > 0 ? cost.cwiseAbs().maxCoeff() : 0.0;
  if (cost_scale > 0) cost /= cost_scale;
  t.row(rows).setZero();
  t.row(rows).head(nz) = cost.transpose();
  for (Eigen::Index i = 0; i < rows; ++i) {
    const Eigen::Index basic = tableau.basis()[i];
    if (basic < nz && cost[basic] != 0.0) t.row(rows) -= cost[basic] * t.row(i);
  }
  if (!tableau.minimise(nz + rows)) {
    solution.status = LpStatus::unbounded;
    solution.value = -kInf;
    return solution;
  }
  Eigen::VectorXd z = Eigen::VectorXd::Zero(nz);
  for (Eigen::Index i = 0; i < rows; ++i)
    if (tableau.basis()[i] < nz) z[tableau.basis()[i]] = std::max(0.0, t(i, rhs));
  solution.x = offset + map * z;
  // Round-off may leave x a hair outside its box; clamping never makes c . x larger than the
  // optimum by more than that hair.
  for (Eigen::Index j = 0; j < n; ++j) solution.x[j] = std::clamp(solution.x[j], lower[j], upper[j]);
  solution.status = LpStatus::optimal;
  solution.value = c.dot(solution.x);
  return solution;
}

LpSolution solve_linear_program_by_vertices(const Eigen::VectorXd& c, const Eigen::VectorXd& lower,
                                            const Eigen::VectorXd& upper, const Eigen::MatrixXd& g,
                                            const Eigen::VectorXd& h) {
  check_sizes(c, lower, upper, g, h);
  const Eigen::Index n = c.size();
  KOLMO_CHECK(lower.allFinite() && upper.allFinite(),
              "linear program by vertices: every bound must be finite");
  // All constraints as a x >= b.
  const Eigen::Index m = g.rows() + 2 * n;
  Eigen::MatrixXd a(m, n);
  Eigen::VectorXd b(m);
  a.topRows(g.rows()) = g;
  b.head(g.rows()) = h;
  a.middleRows(g.rows(), n) = Eigen::MatrixXd::Identity(n, n);
  b.segment(g.rows(), n) = lower;
  a.bottomRows(n) = -Eigen::MatrixXd::Identity(n, n);
  b.tail(n) = -upper;
  LpSolution best;
  best.value = kInf;
  std::vector<Eigen::Index> chosen(static_cast<std::size_t>(n));
  std::iota(chosen.begin(), chosen.end(), Eigen::Index{0});
  if (n == 0 || n > m) return best;
  while (true) {
    Eigen::MatrixXd system(n, n);
    Eigen::VectorXd right(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      system.row(i) = a.row(chosen[static_cast<std::size_t>(i)]);
      right[i] = b[chosen[static_cast<std::size_t>(i)]];
    }
    Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
    if (lu.isInvertible()) {
      const Eigen::VectorXd x = lu.solve(right);
      const Eigen::VectorXd slack = a * x - b;
      bool feasible = true;
      for (Eigen::Index i = 0; i < m && feasible; ++i)
        feasible = slack[i] >= -kFeasibilityTolerance * (1.0 + std::abs(b[i]));
      if (feasible && c.dot(x) < best.value) {
        best.status = LpStatus::optimal;
        best.value = c.dot(x);
        best.x = x;
      }
    }
    // The next n-subset of 0 .. m-1 in lexicographic order.
    Eigen::Index i = n - 1;
    while (i >= 0 && chosen[static_cast<std::size_t>(i)] == m - n + i) --i;
    if (i < 0) break;
    ++chosen[static_cast<std::size_t>(i)];
    for (Eigen::Index j = i + 1; j < n; ++j)
      chosen[static_cast<std::size_t>(j)] = chosen[static_cast<std::size_t>(j - 1)] + 1;
  }
  if (best.status != LpStatus::optimal) best.value = 0.0;
  return best;
}

std::vector<double> ScmData::pack() const {
  const int q = terms();
  const auto k = point_theta.rows();
  const auto p = positivity_theta.rows();
  std::vector<double> packed = {kFormat,
                                static_cast<double>(q),
                                static_cast<double>(k),
                                static_cast<double>(p),
                                static_cast<double>(m_alpha),
                                static_cast<double>(m_plus)};
  for (const Eigen::VectorXd* v : {&y_min, &y_max, &theta_scale})
    packed.insert(packed.end(), v->data(), v->data() + v->size());
  for (Eigen::Index i = 0; i < k; ++i) {
    for (int j = 0; j < q; ++j) packed.push_back(point_theta(i, j));
    packed.push_back(point_alpha[i]);
  }
  for (Eigen::Index i = 0; i < p; ++i)
    for (int j = 0; j < q; ++j) packed.push_back(positivity_theta(i, j));
  return packed;
}

ScmData ScmData::unpack(const std::vector<double>& packed) {
  const std::size_t q = packed.size() > 1 ? static_cast<std::size_t>(std::max(0.0, packed[1])) : 0;
  const auto problem = check_scm_data(packed, q);
  KOLMO_INPUT_CHECK(problem.empty(), "SCM data: " << problem);
  const ScmView v(packed);
  ScmData data;
  data.m_alpha = v.m_alpha;
  data.m_plus = v.m_plus;
  data.y_min = Eigen::Map<const Eigen::VectorXd>(v.y_min, v.q);
  data.y_max = Eigen::Map<const Eigen::VectorXd>(v.y_max, v.q);
  data.theta_scale = Eigen::Map<const Eigen::VectorXd>(v.scale, v.q);
  data.point_theta.resize(v.k, v.q);
  data.point_alpha.resize(v.k);
  for (int i = 0; i < v.k; ++i) {
    for (int j = 0; j < v.q; ++j) data.point_theta(i, j) = v.points[i * (v.q + 1) + j];
    data.point_alpha[i] = v.points[i * (v.q + 1) + v.q];
  }
  data.positivity_theta.resize(v.p, v.q);
  for (int i = 0; i < v.p; ++i)
    for (int j = 0; j < v.q; ++j) data.positivity_theta(i, j) = v.positivity[i * v.q + j];
  return data;
}

std::string check_scm_data(const std::vector<double>& packed, std::size_t terms) {
  if (packed.size() < kHeader) return "the SCM data has " + std::to_string(packed.size()) + " values, fewer than its header";
  if (packed[0] != kFormat) return "the SCM data has format " + std::to_string(packed[0]) + ", expected 1";
  for (std::size_t i = 1; i < kHeader; ++i)
    if (!(packed[i] >= 0) || packed[i] != std::floor(packed[i]) || packed[i] > 1e9)
      return "the SCM data header entry " + std::to_string(i) + " is not a count";
  const auto q = static_cast<std::size_t>(packed[1]);
  const auto k = static_cast<std::size_t>(packed[2]);
  const auto p = static_cast<std::size_t>(packed[3]);
  if (q != terms)
    return "the SCM data is for " + std::to_string(q) + " terms, the operator has " + std::to_string(terms);
  if (q == 0) return "the SCM data has no terms";
  if (k == 0) return "the SCM data has no SCM points";
  const std::size_t expected = kHeader + 3 * q + k * (q + 1) + p * q;
  if (packed.size() != expected)
    return "the SCM data has " + std::to_string(packed.size()) + " values, expected " + std::to_string(expected);
  for (double value : packed)
    if (!std::isfinite(value)) return "the SCM data holds a value that is not finite";
  const ScmView v(packed);
  for (int j = 0; j < v.q; ++j) {
    if (v.y_min[j] > v.y_max[j]) return "the SCM data has y_min > y_max for term " + std::to_string(j);
    if (!(v.scale[j] > 0)) return "the SCM data has a non-positive theta scale for term " + std::to_string(j);
  }
  for (int i = 0; i < v.k; ++i)
    if (!(v.points[i * (v.q + 1) + v.q] > 0))
      return "the SCM data has a non-positive alpha at SCM point " + std::to_string(i);
  return "";
}

double scm_lower_bound(const ScmData& data, const std::vector<double>& theta) {
  const auto packed = data.pack();
  const auto problem = check_scm_data(packed, static_cast<std::size_t>(data.terms()));
  KOLMO_CHECK(problem.empty(), "SCM lower bound: " << problem);
  return lower_bound(ScmView(packed), theta);
}

double scm_lower_bound(const std::vector<double>& packed, const std::vector<double>& theta) {
  KOLMO_CHECK(packed.size() >= kHeader, "SCM lower bound: the data has no header");
  return lower_bound(ScmView(packed), theta);
}

double scm_upper_bound(const Eigen::MatrixXd& y_vectors, const std::vector<double>& theta) {
  KOLMO_CHECK(y_vectors.cols() == static_cast<Eigen::Index>(theta.size()),
              "SCM upper bound: y-vectors of length " << y_vectors.cols() << " for "
                                                      << theta.size() << " coefficients");
  const Eigen::VectorXd t = Eigen::Map<const Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(theta.size()));
  double bound = kInf;
  for (Eigen::Index k = 0; k < y_vectors.rows(); ++k) bound = std::min(bound, y_vectors.row(k).dot(t));
  return bound;
}

}  // namespace kolmo::rom

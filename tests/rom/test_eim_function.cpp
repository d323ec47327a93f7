// EIM of functions g(x; mu) on a distributed point set: exactness on separable sums, the
// interpolation property, the greedy's reported errors in both norms, exponential decay for a
// moving Gaussian, the M + 1 indicator, nesting, the rectangular extension, and equality of the
// results on 1 and 2 ranks.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <random>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/eim_function.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr double pi = std::numbers::pi;

// The cell centres of an n x n grid on the unit square (weights 1/n^2, so the l2 norm is the L2
// norm by the midpoint rule), ids j*n + i, split over the ranks of comm in contiguous id blocks.
PointSet grid_points(MPI_Comm comm, int n) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  const std::int64_t total = static_cast<std::int64_t>(n) * n;
  PointSet p;
  p.dimension = 2;
  for (std::int64_t id = total * rank / size; id < total * (rank + 1) / size; ++id) {
    p.coordinates.push_back((static_cast<double>(id % n) + 0.5) / n);
    p.coordinates.push_back((static_cast<double>(id / n) + 0.5) / n);
    p.weights.push_back(1.0 / static_cast<double>(total));
    p.ids.push_back(id);
  }
  return p;
}

std::vector<Mu> tensor_grid(int n, double lo, double hi) {
  std::vector<Mu> mus;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      mus.push_back({lo + (hi - lo) * i / (n - 1), lo + (hi - lo) * j / (n - 1)});
  return mus;
}

std::vector<Mu> random_points(int count, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<Mu> mus;
  for (int k = 0; k < count; ++k) mus.push_back({u(rng), u(rng)});
  return mus;
}

// Four separated terms a_k(mu) b_k(x), linearly independent in x and in mu.
double separable(std::span<const double> x, const Mu& mu) {
  return 1.0 + mu[0] * x[0] + std::sin(pi * x[1]) * mu[1] * mu[1] +
         std::exp(mu[0] * mu[1]) * x[0] * x[0] * x[1];
}

double gaussian(std::span<const double> x, const Mu& mu) {
  const double dx = x[0] - mu[0], dy = x[1] - mu[1];
  return std::exp(-(dx * dx + dy * dy) / 0.05);
}

double max_error(const EimFunction& eim, const std::vector<Mu>& mus) {
  double worst = 0;
  for (const Mu& mu : mus) worst = std::max(worst, eim.error(mu, EimNorm::max));
  return worst;
}

}  // namespace

TEST_CASE("EIM reproduces a separable sum of 4 terms with exactly 4 functions", "[rom][eim]") {
  for (EimNorm norm : {EimNorm::max, EimNorm::l2}) {
    EimOptions options;
    options.norm = norm;
    options.tolerance = 1e-12;
    const EimFunction eim(test_comm(), grid_points(test_comm(), 30), separable,
                          tensor_grid(6, 0.1, 1.0), options);
    INFO("norm " << to_string(norm) << ", stop: " << to_string(eim.interpolation().stop_reason()));
    CHECK(eim.size() == 4);
    // With 3 terms the error is of order one; with 4 it is round-off, also off the training set.
    CHECK(eim.interpolation().errors()[3] > 1e-2 * eim.interpolation().errors()[0]);
    for (const Mu& mu : random_points(5, 0.0, 1.5, 3)) CHECK(eim.error(mu, EimNorm::max) < 1e-11);
  }
}

TEST_CASE("EIM interpolates at the magic points; B is unit lower triangular", "[rom][eim]") {
  const PointSet points = grid_points(test_comm(), 32);
  const EimFunction eim(test_comm(), points, gaussian, tensor_grid(9, 0.2, 0.8), EimOptions{});
  const auto& b = eim.interpolation().interpolation_matrix();
  REQUIRE(eim.size() > 10);
  CHECK(b.diagonal().isOnes(0.0));
  CHECK(b.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().isZero(0.0));
  CHECK(b.cwiseAbs().maxCoeff() <= 1.0);  // |q_j| peaks at its own point, where it is 1
  bool ok = true;
  for (const Mu& mu : random_points(4, 0.0, 1.0, 5)) {
    std::vector<double> approx(points.size());
    eim.interpolate(mu, approx);
    for (const auto& p : eim.interpolation().points())
      if (p.local >= 0) {
        const double exact = gaussian(points.point(static_cast<std::size_t>(p.local)), mu);
        ok = ok && std::abs(approx[static_cast<std::size_t>(p.local)] - exact) < 1e-12;
      }
    // The replicated magic coordinates are the owners' points.
    for (std::size_t k = 0; k < eim.interpolation().points().size(); ++k) {
      const auto& p = eim.interpolation().points()[k];
      if (p.local < 0) continue;
      const auto x = points.point(static_cast<std::size_t>(p.local));
      ok = ok && x[0] == eim.magic_points()(static_cast<Eigen::Index>(k), 0) &&
           x[1] == eim.magic_points()(static_cast<Eigen::Index>(k), 1);
    }
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("EIM greedy errors are the training errors in the chosen norm", "[rom][eim]") {
  for (EimNorm norm : {EimNorm::max, EimNorm::l2}) {
    EimOptions options;
    options.norm = norm;
    options.max_terms = 12;
    const auto training = tensor_grid(7, 0.2, 0.8);
    const EimFunction eim(test_comm(), grid_points(test_comm(), 24), gaussian, training, options);
    REQUIRE(eim.size() == 12);
    for (int m : {3, 7, 12}) {
      const EimFunction nested = eim.truncated(m);
      double worst = 0;
      for (const Mu& mu : training) worst = std::max(worst, nested.error(mu, norm));
      INFO("norm " << to_string(norm) << ", m = " << m);
      CHECK(worst == Approx(eim.interpolation().errors()[static_cast<std::size_t>(m)]).epsilon(1e-9));
    }
  }
}

TEST_CASE("EIM of a moving Gaussian converges exponentially; the indicator tracks the error",
          "[rom][eim]") {
  EimOptions options;
  options.max_terms = 80;
  options.tolerance = 1e-12;
  options.indicator_points = 8;
  const EimFunction eim(test_comm(), grid_points(test_comm(), 40), gaussian,
                        tensor_grid(17, 0.2, 0.8), options);
  REQUIRE(eim.size() == 80);
  const auto test = random_points(12, 0.2, 0.8, 11);
  std::vector<double> sizes, errors;
  for (int m : {10, 20, 30, 40, 50, 60, 70, 80}) {
    const EimFunction nested = eim.truncated(m);
    REQUIRE(nested.indicator_points().rows() == 8);
    sizes.push_back(m);
    errors.push_back(max_error(nested, test));
    // The classical M + 1 indicator uses the first indicator point only.
    double ratio1[2] = {1e300, 0}, ratio8[2] = {1e300, 0};
    const Eigen::VectorXd first = nested.indicator_points().row(0).transpose();
    for (const Mu& mu : test) {
      const double error = nested.error(mu, EimNorm::max);
      const double one = std::abs(gaussian(std::span<const double>(first.data(), 2), mu) -
                                  [&] {
                                    const Eigen::VectorXd beta = nested.coefficients(mu);
                                    return nested.interpolation().indicator_basis().row(0).dot(beta);
                                  }());
      const double eight = nested.error_indicator(mu);
      ratio1[0] = std::min(ratio1[0], one / error);
      ratio1[1] = std::max(ratio1[1], one / error);
      ratio8[0] = std::min(ratio8[0], eight / error);
      ratio8[1] = std::max(ratio8[1], eight / error);
      // A point value of the error never exceeds its max norm.
      CHECK(eight <= error * (1 + 1e-9));
      CHECK(one <= eight);
    }
    WARN("EIM gaussian s = 0.05: M = " << m << ", max test error " << errors.back()
                                       << ", Lebesgue constant " << nested.interpolation().lebesgue_constant()
                                       << ", indicator / error: 1 point [" << ratio1[0] << ", "
                                       << ratio1[1] << "], 8 points [" << ratio8[0] << ", " << ratio8[1] << "]");
  }
  // Exponential: log(error) falls linearly in M (least-squares slope), every 20 terms at least 4x.
  const Eigen::Map<const Eigen::VectorXd> x(sizes.data(), static_cast<Eigen::Index>(sizes.size()));
  Eigen::VectorXd y(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) y(i) = std::log(errors[static_cast<std::size_t>(i)]);
  const double slope = ((x.array() - x.mean()) * (y.array() - y.mean())).sum() /
                       (x.array() - x.mean()).square().sum();
  WARN("EIM gaussian: log(error) slope " << slope << " per term (error ~ exp(" << slope << " M))");
  CHECK(slope < -0.1);
  for (std::size_t k = 2; k < errors.size(); ++k) CHECK(errors[k] < 0.25 * errors[k - 2]);
  CHECK(errors.back() < 1e-4);
}

TEST_CASE("EIM symmetric formulation: the same interpolant, at any x", "[rom][eim]") {
  EimOptions options;
  options.max_terms = 20;
  const auto points = grid_points(test_comm(), 24);
  const EimFunction eim(test_comm(), points, gaussian, tensor_grid(7, 0.2, 0.8), options);
  REQUIRE(eim.size() == 20);
  REQUIRE(eim.selected_parameters().size() == 20);
  bool ok = true;
  for (const Mu& mu : random_points(3, 0.2, 0.8, 29)) {
    std::vector<double> approx(points.size());
    eim.interpolate(mu, approx);
    for (std::size_t i = 0; i < points.size(); i += 7)
      ok = ok && std::abs(eim.interpolate_at(points.point(i), mu) - approx[i]) < 1e-9;
    // Off the point set: as accurate as on it.
    const double x[2] = {0.123, 0.789};
    ok = ok && std::abs(eim.interpolate_at(x, mu) - gaussian(x, mu)) < 2 * max_error(eim, {mu}) + 1e-12;
  }
  REQUIRE(on_all_ranks(ok));
  // Symmetric roles: at a selected parameter the interpolant is exact everywhere.
  const Mu selected = eim.selected_parameters()[3];
  CHECK(eim.error(selected, EimNorm::max) < 1e-12);
}

TEST_CASE("EIM truncation gives the nested EIM", "[rom][eim]") {
  EimOptions options;
  options.max_terms = 15;
  const auto points = grid_points(test_comm(), 20);
  const auto training = tensor_grid(6, 0.2, 0.8);
  const EimFunction full(test_comm(), points, gaussian, training, options);
  options.max_terms = 9;
  const EimFunction short_one(test_comm(), points, gaussian, training, options);
  const EimFunction nested = full.truncated(9);
  CHECK(nested.magic_points() == short_one.magic_points());
  CHECK(nested.interpolation().interpolation_matrix() == short_one.interpolation().interpolation_matrix());
  CHECK(nested.indicator_points() == short_one.indicator_points());
  const Mu mu{0.33, 0.61};
  CHECK(nested.error_indicator(mu) == Approx(short_one.error_indicator(mu)).epsilon(1e-12));
}

TEST_CASE("EIM rectangular extension: drop a broken point, add points, least squares",
          "[rom][eim]") {
  EimOptions options;
  options.max_terms = 20;
  const auto points = grid_points(test_comm(), 32);
  const EimFunction eim(test_comm(), points, gaussian, tensor_grid(9, 0.2, 0.8), options);
  const auto test = random_points(10, 0.2, 0.8, 17);
  const double square = max_error(eim, test);

  // More points than functions: least squares, no worse than a modest factor.
  const EimFunction more = eim.with_points({}, 6);
  CHECK(more.size() == 20);
  CHECK(more.interpolation().num_points() == 26);
  CHECK(more.interpolation().rectangular());
  const double with_more = max_error(more, test);
  CHECK(with_more < 3 * square);

  // A broken sensor: drop point 4 (the function it came with is kept) and add two others.
  const std::size_t broken[] = {4};
  const EimFunction repaired = eim.with_points(broken, 2);
  CHECK(repaired.interpolation().num_points() == 21);
  const auto dropped_id = eim.interpolation().points()[4].id;
  for (const auto& p : repaired.interpolation().points()) CHECK(p.id != dropped_id);
  const double with_repair = max_error(repaired, test);
  WARN("EIM rectangular: square (20 points) " << square << ", 26 points " << with_more
                                              << ", point 4 dropped + 2 added " << with_repair);
  CHECK(with_repair < 10 * square);
  // Dropping it without a replacement cannot determine 20 coefficients.
  CHECK_THROWS_WITH(eim.with_points(broken, 0), Catch::Contains("cannot determine"));
}

TEST_CASE("EIM selects the same points with the same numbers on 1 and 2 ranks",
          "[rom][eim][mpi]") {
  for (EimNorm norm : {EimNorm::max, EimNorm::l2}) {
    EimOptions options;
    options.norm = norm;
    options.max_terms = 25;
    const auto training = random_points(60, 0.1, 0.9, 23);
    const EimFunction distributed(test_comm(), grid_points(test_comm(), 30), gaussian, training, options);
    const EimFunction serial(PETSC_COMM_SELF, grid_points(PETSC_COMM_SELF, 30), gaussian, training, options);
    INFO("norm " << to_string(norm));
    REQUIRE(distributed.size() == serial.size());
    std::vector<std::int64_t> a, b;
    for (const auto& p : distributed.interpolation().points()) a.push_back(p.id);
    for (const auto& p : serial.interpolation().points()) b.push_back(p.id);
    CHECK(a == b);
    CHECK(distributed.interpolation().selected() == serial.interpolation().selected());
    if (norm == EimNorm::max) {
      // Max norms and point-wise updates involve no sums across ranks: bitwise equal.
      CHECK(distributed.interpolation().interpolation_matrix() ==
            serial.interpolation().interpolation_matrix());
    } else {
      CHECK(distributed.interpolation().interpolation_matrix().isApprox(
          serial.interpolation().interpolation_matrix(), 1e-12));
    }
    const Mu mu{0.45, 0.55};
    CHECK(distributed.error(mu, norm) == Approx(serial.error(mu, norm)).epsilon(1e-10));
  }
}

TEST_CASE("EIM rejects bad input on every rank", "[rom][eim]") {
  EimOptions options;
  options.max_terms = 0;
  CHECK_THROWS_WITH(EimFunction(test_comm(), grid_points(test_comm(), 4), gaussian,
                                tensor_grid(2, 0, 1), options),
                    Catch::Contains("max_terms"));
  CHECK_THROWS_WITH(EimFunction(test_comm(), grid_points(test_comm(), 4),
                                [](std::span<const double>, const Mu&) { return std::nan(""); },
                                tensor_grid(2, 0, 1), EimOptions{}),
                    Catch::Contains("non-finite"));
  CHECK_THROWS_AS(parse_eim_norm("linf"), InputError);
}

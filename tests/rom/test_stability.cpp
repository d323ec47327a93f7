// Stability lower bounds: min-theta for the thermal block against SLEPc's coercivity constant,
// the Helmholtz generalized eigenvalues against the closed form of Q1 elements on a uniform grid,
// the successive constraint method (its linear programs against known answers and vertex
// enumeration, its certified y-box, its rigor against SLEPc's alpha(mu) at random points) on the
// thermal block and the coercive advection-diffusion problem, and the sampled bound on request.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "mpi_test_helpers.hpp"
#include "operators/advection_diffusion.hpp"
#include "operators/helmholtz.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/online/scm_bound.hpp"
#include "rom/stability.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::test_comm;

TEST_CASE("min-theta bounds the thermal block's coercivity constant", "[rom][stability]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 12);
  StabilityOptions options;
  options.sample = {{0.5, 0.5, 0.5, 0.5}};
  const auto bound = compute_stability_bound(*problem, options);
  CHECK(bound.kind == "min_theta");
  CHECK(bound.theta_bar == std::vector<double>{1, 1, 1, 1});
  // Equal conductivities: A = c X, alpha = c exactly.
  CHECK(coercivity_constant(*problem, {0.4, 0.4, 0.4, 0.4}) == Approx(0.4).epsilon(1e-8));
  for (const Mu& mu : {Mu{0.1, 1.0, 0.5, 0.7}, Mu{1.0, 0.2, 0.9, 0.3}}) {
    const double alpha = coercivity_constant(*problem, mu);
    const double lower = min_theta_bound(problem->lhs().coefficients(mu), bound.theta_bar);
    CHECK(alpha >= lower * (1 - 1e-10));
    CHECK(alpha <= *std::max_element(mu.begin(), mu.end()));
  }
}

TEST_CASE("Helmholtz inf-sup data: every generalized eigenvalue of the interval", "[rom][stability]") {
  const PetscInt cells = 16;
  operators::HelmholtzSettings settings;
  settings.cells = {cells, cells};
  const auto space = kolmo::testing::make_space({"k2"}, 1.0, 60.0);
  operators::HelmholtzProblem problem(test_comm(), space, settings);
  StabilityOptions options;
  const auto bound = compute_stability_bound(problem, options);
  REQUIRE(bound.kind == "eigen_interval");
  CHECK(bound.sigma_tail == Approx(1.5 * 60 + 1));
  CHECK(bound.t_expression == "k2");
  // Q1 on a uniform grid: K v = sigma M v has sigma_ij = mu_i + mu_j with the 1-D eigenvalues
  // mu_i = (6 / h^2) (1 - cos(i pi h)) / (2 + cos(i pi h)), i = 1 .. cells - 1.
  const double h = 1.0 / cells;
  std::vector<double> expected;
  for (int i = 1; i < cells; ++i)
    for (int j = 1; j < cells; ++j) {
      auto mu = [h](int k) {
        const double c = std::cos(k * std::numbers::pi * h);
        return 6.0 / (h * h) * (1 - c) / (2 + c);
      };
      const double s = mu(i) + mu(j);
      if (s <= bound.sigma_tail) expected.push_back(s);
    }
  std::sort(expected.begin(), expected.end());
  REQUIRE(bound.sigma.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("eigenvalue " << i);
    CHECK(bound.sigma[i] == Approx(expected[i]).epsilon(1e-9));
  }
  CHECK(expected.front() == Approx(2 * std::numbers::pi * std::numbers::pi).epsilon(0.02));
}

namespace {

Eigen::VectorXd vec(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double x : values) v[i++] = x;
  return v;
}

std::vector<Mu> random_points(const ParameterSpace& space, int count, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Mu> points;
  for (int i = 0; i < count; ++i) {
    std::vector<double> t(space.dimension());
    for (auto& x : t) x = unit(generator);
    points.push_back(space.from_unit(t));
  }
  return points;
}

// A(r, b) = K + r M + b (C + D) on n interior nodes of (0, 1) with P1 elements: K stiffness, M
// mass, C the skew convection matrix, D = diag(h cos(2 pi x_i)) a sign-changing reaction. X = K.
// Coercive over r in [-5, 5], b in [0, 4] (K >= pi^2 M), not parametrically coercive, and the
// symmetric parts of M and C + D are not zero: M is semidefinite relative to X, C + D indefinite.
// So SCM has real work: an indefinite y-box and alpha depending on both parameters.
class DriftProblem : public operators::ParametrizedProblem {
 public:
  DriftProblem(MPI_Comm comm, PetscInt n)
      : ParametrizedProblem(comm, ParameterSpace({{"r", -5.0, 5.0, Scale::linear}, {"b", 0.0, 4.0, Scale::linear}})) {
    const double h = 1.0 / static_cast<double>(n + 1);
    auto k = tridiagonal(n, [h](PetscInt) { return -1.0 / h; }, [h](PetscInt) { return 2.0 / h; },
                         [h](PetscInt) { return -1.0 / h; });
    auto m = tridiagonal(n, [h](PetscInt) { return h / 6; }, [h](PetscInt) { return 4 * h / 6; },
                         [h](PetscInt) { return h / 6; });
    auto c = tridiagonal(
        n, [](PetscInt) { return -0.5; },
        [h](PetscInt i) { return h * std::cos(2 * std::numbers::pi * h * static_cast<double>(i + 1)); },
        [](PetscInt) { return 0.5; });
    KOLMO_PETSC_CALL(MatSetOption(k, MAT_SYMMETRIC, PETSC_TRUE));
    KOLMO_PETSC_CALL(MatSetOption(m, MAT_SYMMETRIC, PETSC_TRUE));
    KOLMO_PETSC_CALL(MatDuplicate(k, MAT_COPY_VALUES, inner_product_.out()));
    KOLMO_PETSC_CALL(MatSetOption(inner_product_, MAT_SYMMETRIC, PETSC_TRUE));
    lhs_.add_term(std::move(k), operators::Coefficient::constant(1.0), "K");
    lhs_.add_term(std::move(m), operators::Coefficient::expression("r", space_), "M");
    lhs_.add_term(std::move(c), operators::Coefficient::expression("b", space_), "C");
    stability_ = operators::Stability::coercive;
    symmetric_ = false;
  }
  std::string type() const override { return "drift_test"; }

 private:
  template <class Lower, class Diagonal, class Upper>
  MatHandle tridiagonal(PetscInt n, Lower lower, Diagonal diagonal, Upper upper) const {
    MatHandle a;
    KOLMO_PETSC_CALL(MatCreateAIJ(comm_, PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr, a.out()));
    PetscInt begin = 0, end = 0;
    KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &begin, &end));
    for (PetscInt i = begin; i < end; ++i) {
      if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, lower(i), INSERT_VALUES));
      KOLMO_PETSC_CALL(MatSetValue(a, i, i, diagonal(i), INSERT_VALUES));
      if (i + 1 < n) KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, upper(i), INSERT_VALUES));
    }
    KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
    return a;
  }
};

}  // namespace

TEST_CASE("linear programs: known answers", "[rom][stability][scm]") {
  const double inf = std::numeric_limits<double>::infinity();
  SECTION("two constraints meeting at the optimum") {
    // min x + y, 0 <= x, y <= 10, x + 2y >= 4, 3x + y >= 6: optimum at (8/5, 6/5), value 14/5.
    Eigen::MatrixXd g(2, 2);
    g << 1, 2, 3, 1;
    const auto s = solve_linear_program(vec({1, 1}), vec({0, 0}), vec({10, 10}), g, vec({4, 6}));
    REQUIRE(s.status == LpStatus::optimal);
    CHECK(s.value == Approx(2.8).epsilon(1e-12));
    CHECK(s.x[0] == Approx(1.6).epsilon(1e-12));
    CHECK(s.x[1] == Approx(1.2).epsilon(1e-12));
    const auto v = solve_linear_program_by_vertices(vec({1, 1}), vec({0, 0}), vec({10, 10}), g, vec({4, 6}));
    REQUIRE(v.status == LpStatus::optimal);
    CHECK(v.value == Approx(2.8).epsilon(1e-12));
  }
  SECTION("the box alone, negative costs, negative lower bounds") {
    const auto s = solve_linear_program(vec({-1, 2, 0.5}), vec({-1, -2, -3}), vec({1, 2, 3}),
                                        Eigen::MatrixXd(0, 3), Eigen::VectorXd(0));
    REQUIRE(s.status == LpStatus::optimal);
    CHECK(s.value == Approx(-1 - 4 - 1.5).epsilon(1e-12));
  }
  SECTION("infeasible") {
    Eigen::MatrixXd g(1, 1);
    g << 1;
    CHECK(solve_linear_program(vec({1}), vec({0}), vec({1}), g, vec({2})).status == LpStatus::infeasible);
    CHECK(solve_linear_program_by_vertices(vec({1}), vec({0}), vec({1}), g, vec({2})).status ==
          LpStatus::infeasible);
  }
  SECTION("unbounded, and free variables") {
    CHECK(solve_linear_program(vec({-1}), vec({0}), vec({inf}), Eigen::MatrixXd(0, 1), Eigen::VectorXd(0))
              .status == LpStatus::unbounded);
    // min x - y with x, y free, x >= -3, -y >= -2 (y <= 2): -5.
    Eigen::MatrixXd g(2, 2);
    g << 1, 0, 0, -1;
    const auto s = solve_linear_program(vec({1, -1}), vec({-inf, -inf}), vec({inf, inf}), g, vec({-3, -2}));
    REQUIRE(s.status == LpStatus::optimal);
    CHECK(s.value == Approx(-5).epsilon(1e-12));
    // Only an upper bound: min -x with x <= 4 and x >= 1 (row): -4.
    Eigen::MatrixXd g1(1, 1);
    g1 << 1;
    const auto u = solve_linear_program(vec({-1}), vec({-inf}), vec({4}), g1, vec({1}));
    REQUIRE(u.status == LpStatus::optimal);
    CHECK(u.value == Approx(-4).epsilon(1e-12));
  }
  SECTION("degenerate: many constraints through the optimal vertex") {
    // min x + y over the box [0, 5]^2 with x + t y >= 1 + t for t = 0.5 .. 2 (all through (1, 1))
    // and x >= 1, y >= 1: value 2.
    Eigen::MatrixXd g(8, 2);
    Eigen::VectorXd h(8);
    for (int i = 0; i < 6; ++i) {
      const double t = 0.5 + 0.3 * i;
      g.row(i) << 1, t;
      h[i] = 1 + t;
    }
    g.row(6) << 1, 0;
    g.row(7) << 0, 1;
    h[6] = h[7] = 1;
    const auto s = solve_linear_program(vec({1, 1}), vec({0, 0}), vec({5, 5}), g, h);
    REQUIRE(s.status == LpStatus::optimal);
    CHECK(s.value == Approx(2).epsilon(1e-12));
  }
}

TEST_CASE("linear programs: the simplex agrees with vertex enumeration", "[rom][stability][scm]") {
  std::mt19937 generator(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  int optimal = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + trial % 4;
    const int m = trial % 7;
    Eigen::VectorXd c(n), lower(n), upper(n), feasible(n);
    for (int j = 0; j < n; ++j) {
      c[j] = uniform(generator);
      lower[j] = uniform(generator) - 1.0;
      upper[j] = lower[j] + 0.1 + std::abs(uniform(generator));
      feasible[j] = lower[j] + (upper[j] - lower[j]) * 0.5 * (1 + uniform(generator));
    }
    Eigen::MatrixXd g(m, n);
    Eigen::VectorXd h(m);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) g(i, j) = uniform(generator);
      // Every third problem is made infeasible-prone, the others contain `feasible`.
      h[i] = g.row(i).dot(feasible) - (trial % 3 == 0 ? -0.5 : 0.2) * std::abs(uniform(generator));
    }
    const auto s = solve_linear_program(c, lower, upper, g, h);
    const auto v = solve_linear_program_by_vertices(c, lower, upper, g, h);
    INFO("trial " << trial << ", n " << n << ", m " << m);
    REQUIRE(s.status == v.status);
    if (s.status == LpStatus::optimal) {
      ++optimal;
      CHECK(s.value == Approx(v.value).margin(1e-10));
      if (m > 0) CHECK((g * s.x - h).minCoeff() >= -1e-9);
    }
  }
  CHECK(optimal > 150);
}

TEST_CASE("SCM data: packing, checks and a one-term bound by hand", "[rom][stability][scm]") {
  ScmData data;
  data.m_alpha = 2;
  data.m_plus = 1;
  data.y_min = vec({0.0});
  data.y_max = vec({5.0});
  data.theta_scale = vec({1.0});
  data.point_theta.resize(1, 1);
  data.point_theta << 2.0;
  data.point_alpha = vec({4.0});
  data.positivity_theta.resize(0, 1);
  const auto packed = data.pack();
  CHECK(check_scm_data(packed, 1).empty());
  CHECK_THAT(check_scm_data(packed, 2), Catch::Contains("for 1 terms"));
  auto broken = packed;
  broken.pop_back();
  CHECK_THAT(check_scm_data(broken, 1), Catch::Contains("expected"));
  const auto back = ScmData::unpack(packed);
  CHECK(back.pack() == packed);
  // theta y with y in [0, 5] and 2 y >= 4: y >= 2, so alpha_LB(theta = 3) = 6.
  CHECK(scm_lower_bound(packed, {3.0}) == Approx(6.0).epsilon(1e-12));
  CHECK(scm_lower_bound(data, {0.5}) == Approx(1.0).epsilon(1e-12));
  Eigen::MatrixXd y(2, 1);
  y << 2.5, 3.0;
  CHECK(scm_upper_bound(y, {2.0}) == Approx(5.0));
}

TEST_CASE("certified y-box of the thermal block's terms", "[rom][stability][scm]") {
  // X = sum_q A_q with SPSD A_q: every Rayleigh quotient of (A_q, X) lies in [0, 1], and both
  // ends are attained (functions vanishing on / supported in the block).
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 8);
  for (std::size_t q = 0; q < problem->lhs().num_terms(); ++q) {
    const auto [lower, upper] = certified_eigenvalue_range(problem->lhs().matrix(q), problem->inner_product());
    INFO("term " << q << ": [" << lower << ", " << upper << "]");
    CHECK(lower <= 0.0);
    CHECK(lower >= -3e-3);
    CHECK(upper >= 1.0);
    CHECK(upper <= 1.0 + 3e-3);
    // The certificate itself: nothing beyond the interval, something just inside it.
    CHECK(shifted_inertia(problem->lhs().matrix(q), problem->inner_product(), lower).first == 0);
    CHECK(shifted_inertia(problem->lhs().matrix(q), problem->inner_product(), upper).second == 0);
    CHECK(shifted_inertia(problem->lhs().matrix(q), problem->inner_product(), 0.99).second > 0);
  }
}

TEST_CASE("SCM on the thermal block: rigorous at random points, sharp on the training points",
          "[rom][stability][scm]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 8);
  const auto& space = problem->parameter_space();
  StabilityOptions options;
  options.sample = random_points(space, 24, 11);
  options.scm_tolerance = 0.5;
  options.scm_max_points = 40;
  ScmDiagnostics diagnostics;
  const auto bound = scm_stability_bound(*problem, options, &diagnostics);
  REQUIRE(bound.kind == "scm");
  REQUIRE(check_scm_data(bound.sigma, problem->lhs().num_terms()).empty());
  CHECK(diagnostics.points >= 2);
  CHECK(diagnostics.max_gap <= 0.5);
  // On the training points the greedy stopped with alpha_LB >= (1 - 0.5) alpha_UB >= alpha / 2,
  // and alpha >= the min-theta bound: SCM is within a factor 2 of the exact constant there.
  for (const Mu& mu : options.sample) {
    const auto theta = problem->lhs().coefficients(mu);
    const double lower = scm_lower_bound(bound.sigma, theta);
    const double alpha = coercivity_constant(*problem, mu);
    INFO(format_mu(space, mu) << ": alpha " << alpha << ", SCM " << lower);
    CHECK(lower <= alpha * (1 + 1e-9));
    CHECK(lower >= 0.5 * alpha * (1 - 1e-6));
    CHECK(alpha >= min_theta_bound(theta, {1, 1, 1, 1}) * (1 - 1e-9));
  }
  double worst = std::numeric_limits<double>::infinity();
  for (const Mu& mu : random_points(space, 10, 23)) {
    const double lower = scm_lower_bound(bound.sigma, problem->lhs().coefficients(mu));
    const double alpha = coercivity_constant(*problem, mu);
    INFO(format_mu(space, mu) << ": alpha " << alpha << ", SCM " << lower);
    CHECK(lower <= alpha * (1 + 1e-9));
    worst = std::min(worst, lower / alpha);
  }
  WARN("thermal block SCM: K = " << diagnostics.points << ", min alpha_LB / alpha at random points "
                                 << worst << ", " << diagnostics.seconds << " s");
}

TEST_CASE("coercive problems get the SCM bound, or the sampled one when asked for", "[rom][stability][scm]") {
  operators::AdvectionDiffusionSettings settings;
  settings.cells = {12, 12};
  settings.velocity = {"cos(theta)", "sin(theta)"};
  const ParameterSpace space({{"Pe", 1.0, 50.0, Scale::log}, {"theta", 0.0, 1.5, Scale::linear}});
  operators::AdvectionDiffusionProblem problem(test_comm(), space, settings);
  StabilityOptions options;
  options.sample = random_points(space, 12, 1);
  const auto bound = compute_stability_bound(problem, options);
  REQUIRE(bound.kind == "scm");
  REQUIRE(check_scm_data(bound.sigma, 3).empty());
  // The same data as scm_stability_bound itself (up to the round-off of parallel reductions,
  // which may differ from run to run at 2 ranks).
  ScmDiagnostics diagnostics;
  const auto again = scm_stability_bound(problem, options, &diagnostics).sigma;
  REQUIRE(again.size() == bound.sigma.size());
  for (std::size_t i = 0; i < again.size(); ++i) CHECK(again[i] == Approx(bound.sigma[i]).margin(1e-9));
  CHECK(kolmo::testing::on_all_ranks(diagnostics.points >= 1));
  // The box of the convection terms' symmetric parts (zero up to round-off) is certified tight.
  for (std::size_t q = 1; q < 3; ++q) {
    CHECK(std::abs(diagnostics.y_min[q]) < 1e-8);
    CHECK(std::abs(diagnostics.y_max[q]) < 1e-8);
  }
  CHECK(diagnostics.y_max[0] == Approx(1.0).epsilon(3e-3));
  double worst = std::numeric_limits<double>::infinity();
  for (const Mu& mu : random_points(space, 8, 5)) {
    const double lower = scm_lower_bound(bound.sigma, problem.lhs().coefficients(mu));
    const double alpha = coercivity_constant(problem, mu);
    INFO(format_mu(space, mu) << ": alpha " << alpha << ", SCM " << lower);
    // The convection terms are skew-symmetric: the symmetric part is K / Pe and X = K.
    CHECK(alpha == Approx(1.0 / mu[0]).epsilon(1e-8));
    CHECK(lower <= alpha * (1 + 1e-9));
    CHECK(lower > 0);
    worst = std::min(worst, lower / alpha);
  }
  CHECK(worst > 0.5);
  options.allow_sampled = true;
  options.sample = {{1.0, 0.0}, {5.0, 0.5}, {10.0, 1.0}};
  const auto sampled = compute_stability_bound(problem, options);
  CHECK(sampled.kind == "constant");
  CHECK(sampled.constant == Approx(0.9 / 10.0).epsilon(1e-8));
}

TEST_CASE("SCM on a nonsymmetric problem with indefinite terms: rigorous and positive",
          "[rom][stability][scm]") {
  DriftProblem problem(test_comm(), 200);
  const auto& space = problem.parameter_space();
  StabilityOptions options;
  options.sample = random_points(space, 60, 3);
  options.scm_tolerance = 0.2;
  ScmDiagnostics diagnostics;
  const auto bound = scm_stability_bound(problem, options, &diagnostics);
  REQUIRE(bound.kind == "scm");
  CHECK(compute_stability_bound(problem, options).kind == "scm");
  // y_M = v^T M v / v^T K v lies in (0, 1 / pi^2]; the symmetric part of C + D is indefinite.
  CHECK(diagnostics.y_min[1] <= 0.0);
  CHECK(diagnostics.y_min[1] >= -1e-3);
  CHECK(diagnostics.y_max[1] >= 1.0 / (std::numbers::pi * std::numbers::pi) * (1 - 1e-3));
  CHECK(diagnostics.y_max[1] <= 1.0 / (std::numbers::pi * std::numbers::pi) * 1.01);
  CHECK(diagnostics.y_min[2] < 0.0);
  CHECK(diagnostics.y_max[2] > 0.0);
  CHECK(diagnostics.max_gap <= 0.2);
  CHECK(diagnostics.points >= 2);
  double worst = std::numeric_limits<double>::infinity();
  int positive = 0;
  const auto test_points = random_points(space, 20, 17);
  for (const Mu& mu : test_points) {
    const double lower = scm_lower_bound(bound.sigma, problem.lhs().coefficients(mu));
    const double alpha = coercivity_constant(problem, mu);
    INFO(format_mu(space, mu) << ": alpha " << alpha << ", SCM " << lower);
    CHECK(alpha > 0);
    CHECK(lower <= alpha * (1 + 1e-9));
    if (lower > 0) ++positive;
    worst = std::min(worst, lower / alpha);
  }
  CHECK(positive == static_cast<int>(test_points.size()));
  WARN("drift problem SCM: K = " << diagnostics.points << ", final gap " << diagnostics.max_gap
                                 << ", min alpha_LB / alpha at 20 random points " << worst << ", "
                                 << diagnostics.seconds << " s");
}

// Not run by default (hidden tag): the SCM figures of examples/advection_diffusion.yaml's problem
// (32 x 32 cells, Pe in [1, 50] log, theta in [0, 1.5]) for a report.
TEST_CASE("SCM figures on the advection-diffusion example", "[.scm_figures]") {
  operators::AdvectionDiffusionSettings settings;
  settings.cells = {32, 32};
  settings.velocity = {"cos(theta)", "sin(theta)"};
  const ParameterSpace space({{"Pe", 1.0, 50.0, Scale::log}, {"theta", 0.0, 1.5, Scale::linear}});
  operators::AdvectionDiffusionProblem problem(test_comm(), space, settings);
  for (int training : {12, 100}) {
    StabilityOptions options;
    options.sample = random_points(space, training, 1);
    ScmDiagnostics diagnostics;
    const auto bound = scm_stability_bound(problem, options, &diagnostics);
    double worst = std::numeric_limits<double>::infinity();
    for (const Mu& mu : random_points(space, 20, 99)) {
      const double lower = scm_lower_bound(bound.sigma, problem.lhs().coefficients(mu));
      const double alpha = coercivity_constant(problem, mu);
      CHECK(lower <= alpha * (1 + 1e-9));
      worst = std::min(worst, lower / alpha);
    }
    WARN("advection-diffusion 32x32, " << training << " training points: K = " << diagnostics.points
                                       << ", final gap " << diagnostics.max_gap
                                       << ", min alpha_LB / alpha over 20 random points " << worst
                                       << ", SCM offline " << diagnostics.seconds << " s");
  }
}

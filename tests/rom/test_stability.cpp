// Stability lower bounds: min-theta for the thermal block against SLEPc's coercivity constant,
// the Helmholtz generalized eigenvalues against the closed form of Q1 elements on a uniform grid,
// and the coercive advection-diffusion problem, which fails without SCM unless the non-rigorous
// sampled bound is asked for.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "mpi_test_helpers.hpp"
#include "operators/advection_diffusion.hpp"
#include "operators/helmholtz.hpp"
#include "rom/offline_test_helpers.hpp"
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

TEST_CASE("coercive problems need SCM or the explicitly requested sampled bound", "[rom][stability]") {
  operators::AdvectionDiffusionSettings settings;
  settings.cells = {12, 12};
  const auto space = kolmo::testing::make_space({"Pe"}, 1.0, 10.0);
  operators::AdvectionDiffusionProblem problem(test_comm(), space, settings);
  StabilityOptions options;
  options.sample = {{1.0}, {5.0}, {10.0}};
  CHECK_THROWS_WITH(compute_stability_bound(problem, options),
                    Catch::Contains("successive constraint method") && Catch::Contains("--stability sampled"));
  options.allow_sampled = true;
  const auto bound = compute_stability_bound(problem, options);
  CHECK(bound.kind == "constant");
  // The convection terms are skew-symmetric: the symmetric part is K / Pe and X = K, alpha = 1/Pe.
  CHECK(bound.constant == Approx(0.9 / 10.0).epsilon(1e-8));
}

// Rigour of the error bound on the thermal block and the headline property of the stable residual
// evaluation: with a basis large enough to reach true errors of 1e-12, the stable bound stays
// above the true error at every test point and every N, while the classical one stagnates near
// sqrt(eps) ~ 1e-8 (relative), i.e. loses all sharpness, or falls below the error.
#include <catch2/catch.hpp>

#include <cstdio>

#include "core/sampler.hpp"
#include "mpi_test_helpers.hpp"
#include "rom/greedy.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/stability.hpp"
#include "rom/validation.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::test_comm;

TEST_CASE("stable bounds stay rigorous to 1e-12 while classical ones stagnate", "[rom][validation]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 20);
  const auto training = sample_random(problem->parameter_space(), 100, 21);
  const auto test = sample_latin_hypercube(problem->parameter_space(), 10, 2);
  const int max_size = 36;
  ReducedModelBuilder builder(*problem, max_size);
  solvers::TruthSolver truth(*problem, kolmo::testing::direct_solver(), "validation_test_");
  StabilityOptions stability_options;
  stability_options.sample = training;
  const auto stability = compute_stability_bound(*problem, stability_options);
  GreedyOptions options;
  options.tolerance = 1e-13;
  options.max_size = max_size;
  options.quiet = true;
  const auto greedy = run_greedy(builder, truth, training, stability, options);
  auto model = builder.model();
  model.stability = stability;
  model.estimator = "stable";
  REQUIRE(model.max_size() >= 20);

  ValidationOptions validation;
  validation.quiet = true;
  validation.timing_seconds = 0.0;
  const auto report = validate_model(*problem, model, builder.basis(), test, truth, validation);
  REQUIRE(report.estimators == std::vector<std::string>{"stable", "classical"});
  if (comm_rank(test_comm()) == 0) {
    std::printf("greedy: %zu vectors (%s)\n   N   max rel error   stable max rel bound   classical max rel bound  (failures)\n",
                greedy.selected.size(), greedy.stop_reason.c_str());
    for (const auto& row : report.rows)
      std::printf("%4d   %.3e       %.3e (%d)          %.3e (%d)\n", row.size, row.max_relative_error,
                  row.estimators[0].max_relative_bound, row.estimators[0].failures,
                  row.estimators[1].max_relative_bound, row.estimators[1].failures);
  }
  // Rigour of the stable bound at every test point and every N.
  CHECK(report.default_failures() == 0);
  // The basis reaches true errors of 1e-12 and the stable bound follows them down.
  const auto& last = report.rows.back();
  CHECK(last.max_relative_error < 1e-11);
  CHECK(last.estimators[0].max_relative_bound < 1e-9);
  // Wherever the true error is below 1e-11, the classical bound has lost it: it is either more
  // than 100 times the stable one (stagnation near sqrt(eps)) or below the true error somewhere.
  int deep = 0;
  for (const auto& row : report.rows) {
    if (row.max_relative_error >= 1e-11) continue;
    ++deep;
    const auto& stable = row.estimators[0];
    const auto& classical = row.estimators[1];
    INFO("N = " << row.size);
    CHECK((classical.max_relative_bound > 100 * stable.max_relative_bound || classical.failures > 0));
  }
  CHECK(deep >= 1);
}

// The solver-parameter bandits on synthetic Bernoulli losses with a known best arm.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "solvers/solver_bandit.hpp"

using namespace kolmo::solvers;

namespace {

// Mean loss per round (pseudo-regret against the best arm's mean) over rounds [from, to).
struct Half {
  double regret = 0;
};

std::vector<Half> play(SolverBandit& bandit, const std::vector<double>& means, int rounds,
                       std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u;
  const double best = *std::min_element(means.begin(), means.end());
  std::vector<Half> halves(2);
  for (int t = 0; t < rounds; ++t) {
    const std::size_t arm = bandit.choose();
    bandit.update(arm, u(rng) < means[arm] ? 1.0 : 0.0);
    halves[t < rounds / 2 ? 0 : 1].regret += (means[arm] - best) / (rounds / 2);
  }
  return halves;
}

}  // namespace

TEST_CASE("bandits concentrate on the best arm and their regret shrinks", "[bandit]") {
  const std::vector<double> means = {0.5, 0.4, 0.25, 0.45, 0.6, 0.35};
  for (auto algorithm : {BanditAlgorithm::exp3, BanditAlgorithm::tsallis_inf}) {
    SolverBandit bandit(means.size(), algorithm, 12345);
    const auto halves = play(bandit, means, 3000, 99);
    INFO("algorithm " << static_cast<int>(algorithm) << ": regret per round " << halves[0].regret
                      << " then " << halves[1].regret);
    REQUIRE(bandit.rounds() == 3000);
    REQUIRE(bandit.most_pulled() == 2);
    REQUIRE(bandit.probabilities()[2] > 0.5);
    REQUIRE(halves[1].regret < halves[0].regret);
    // Better than playing uniformly at random (mean gap 0.17).
    REQUIRE(halves[1].regret < 0.06);
  }
}

TEST_CASE("the contextual bandit learns a different best arm per feature bin", "[bandit]") {
  ContextualBandit bandit(3, 2, 0.0, 1.0, BanditAlgorithm::tsallis_inf, 7);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u;
  // Feature < 0.5: arm 0 is best; feature >= 0.5: arm 2 is best.
  const std::vector<std::vector<double>> means = {{0.2, 0.5, 0.7}, {0.7, 0.5, 0.2}};
  for (int t = 0; t < 4000; ++t) {
    const double feature = u(rng);
    const std::size_t arm = bandit.choose(feature);
    bandit.update(feature, arm, u(rng) < means[feature < 0.5 ? 0 : 1][arm] ? 1.0 : 0.0);
  }
  REQUIRE(bandit.bin(0.25) == 0);
  REQUIRE(bandit.bin(0.75) == 1);
  REQUIRE(bandit.bin(-3.0) == 0);
  REQUIRE(bandit.bin(7.0) == 1);
  REQUIRE(bandit.bandit(0).most_pulled() == 0);
  REQUIRE(bandit.bandit(1).most_pulled() == 2);
}

TEST_CASE("bandit usage errors are reported", "[bandit]") {
  SolverBandit bandit(3, BanditAlgorithm::exp3, 1);
  const std::size_t arm = bandit.choose();
  REQUIRE_THROWS_WITH(bandit.update((arm + 1) % 3, 0.5), Catch::Contains("was not the last arm"));
  REQUIRE_THROWS_WITH(bandit_algorithm_from_string("ucb"), Catch::Contains("exp3, tsallis_inf"));
  REQUIRE(iteration_loss(50, 100, true) == Approx(0.5));
  REQUIRE(iteration_loss(50, 100, false) == 1.0);
}

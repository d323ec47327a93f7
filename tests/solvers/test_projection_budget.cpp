// The bookkeeping of guess auto on made-up figures: a projection that pays stays on; one that
// costs more than it saves is paused, probed, and paused twice as long after each failed probe
// up to the cap; a growing basis whose guesses improve is kept on at a loss, a fixed window is
// not; a probe counts as improving only against the best guesses before its pause; a probe that
// pays restores the guess and the first pause length.
#include <catch2/catch.hpp>

#include <vector>

#include "core/error.hpp"
#include "solvers/projection_budget.hpp"

namespace ks = kolmo::solvers;

namespace {

// Runs `systems` systems through the budget, each with the guess costing `cost` and saving
// `saved` (gaining `decades(i)` decades); returns which systems had the guess.
template <class Decades>
std::vector<bool> run(ks::ProjectionBudget& budget, int systems, double cost, double saved, bool growing,
                      Decades decades) {
  std::vector<bool> with;
  for (int i = 0; i < systems; ++i) {
    with.push_back(budget.active());
    if (budget.active())
      budget.record(cost, saved, decades(i), growing);
    else
      budget.skip();
  }
  return with;
}

std::vector<bool> pattern(std::initializer_list<std::pair<bool, int>> runs) {
  std::vector<bool> p;
  for (const auto& [value, count] : runs) p.insert(p.end(), static_cast<std::size_t>(count), value);
  return p;
}

}  // namespace

TEST_CASE("a projection that pays is never paused", "[solvers][budget]") {
  ks::ProjectionBudget budget;
  const auto with = run(budget, 200, 1.0, 3.0, false, [](int) { return 1.0; });
  CHECK(with == std::vector<bool>(200, true));
  CHECK(budget.pauses() == 0);
  CHECK(budget.systems_with() == 200);
  CHECK(budget.net_seconds() == Approx(400.0));
}

TEST_CASE("a projection at a loss is paused, probed, and paused longer after each failed probe",
          "[solvers][budget]") {
  ks::ProjectionBudget budget;  // window 8, probe 4, pauses 8, 16, 32, 64, 64, ...
  const auto with = run(budget, 8 + 8 + 4 + 16 + 4 + 32 + 4 + 64 + 4 + 64 + 4, 2.0, 1.0, false,
                        [](int) { return 0.5; });
  const auto expected = pattern({{true, 8}, {false, 8}, {true, 4}, {false, 16}, {true, 4}, {false, 32},
                                 {true, 4}, {false, 64}, {true, 4}, {false, 64}, {true, 4}});
  CHECK(with == expected);
  CHECK(budget.pauses() == 6);  // the last probe failed too
  CHECK(budget.systems_with() == 28);
  CHECK(budget.systems_without() == 184);
  CHECK(budget.net_seconds() == Approx(-28.0));
}

TEST_CASE("a growing basis whose guesses improve is kept on at a loss; a fixed window is not",
          "[solvers][budget]") {
  // Half a decade better with every system, at a loss throughout.
  const auto improving = [](int i) { return 0.5 * i; };
  ks::ProjectionBudget growing, window;
  CHECK(run(growing, 40, 2.0, 1.0, true, improving) == std::vector<bool>(40, true));
  CHECK(growing.pauses() == 0);
  const auto fixed = run(window, 40, 2.0, 1.0, false, improving);
  CHECK(fixed == pattern({{true, 8}, {false, 8}, {true, 4}, {false, 16}, {true, 4}}));
  // Growing but flat: judged on its balance like the window.
  ks::ProjectionBudget flat;
  CHECK(run(flat, 16, 2.0, 1.0, true, [](int) { return 1.0; }) == pattern({{true, 8}, {false, 8}}));
  // Improving by less than improving_decades (0.75) per window: no credit.
  ks::ProjectionBudget slow;
  CHECK(run(slow, 16, 2.0, 1.0, true, [](int i) { return 0.01 * i; }) == pattern({{true, 8}, {false, 8}}));
  // As on advection-diffusion samples: a good first window (its second half 0.48 decades above the
  // first), then 0.4 decades per window: kept on for the second window, paused after it.
  ks::ProjectionBudget slowing;
  const auto advection = [](int i) { return i < 8 ? 0.12 * i : 0.84 + 0.05 * (i - 8); };
  CHECK(run(slowing, 28, 2.0, 1.0, true, advection) == pattern({{true, 16}, {false, 8}, {true, 4}}));
}

TEST_CASE("a probe is measured against the best guesses before its pause, not the window's mean",
          "[solvers][budget]") {
  // A first window whose second half gains 0.3 decades (under the 0.375 bar: paused), then probes
  // at 1.2: 1.05 above that window's mean, but only 0.9 above its last guesses, which used the
  // same basis (the bar is 1). As on advection-diffusion samples: paused longer after each probe.
  ks::ProjectionBudget matching;
  const auto flat_after = [](int i) { return i < 4 ? 0.0 : i < 8 ? 0.3 : 1.2; };
  CHECK(run(matching, 8 + 8 + 4 + 16 + 4, 2.0, 1.0, true, flat_after) ==
        pattern({{true, 8}, {false, 8}, {true, 4}, {false, 16}, {true, 4}}));
  CHECK(matching.pauses() == 3);

  // Ordered samples whose guesses scatter: 3.5 decades before the pause, then probes at 0.7 and
  // 2.8. The second probe beats the first by 2.1 decades but not the best before: paused.
  ks::ProjectionBudget scattered;
  const auto scatter = [](int i) { return i < 4 ? 0.0 : i < 32 ? 3.5 : i < 36 ? 0.7 : 2.8; };
  CHECK(run(scattered, 24 + 8 + 4 + 16 + 4, 2.0, 1.0, true, scatter) ==
        pattern({{true, 24}, {false, 8}, {true, 4}, {false, 16}, {true, 4}}));
}

TEST_CASE("a probe that improves on the best before its pause keeps the guess on at a loss",
          "[solvers][budget]") {
  // As on thermal-block samples in farthest-first order: the first window gains too little
  // (paused), a probe at 0.5 fails (paused 16), the next at 1.6 beats the best before by 1.1 decades:
  // the guess stays on although it loses. A flat window at a loss then pauses it for the length
  // reached (16), not the first (8): a projection kept on only for improving is still on trial.
  ks::ProjectionBudget budget;
  const auto farthest = [](int i) { return i < 4 ? 0.0 : i < 8 ? 0.3 : i < 20 ? 0.5 : 1.6; };
  CHECK(run(budget, 8 + 8 + 4 + 16 + 4 + 8 + 16 + 4, 2.0, 1.0, true, farthest) ==
        pattern({{true, 8}, {false, 8}, {true, 4}, {false, 16}, {true, 12}, {false, 16}, {true, 4}}));
  CHECK(budget.pauses() == 4);  // the last probe, at 1.6 again, failed
}

TEST_CASE("a probe that pays brings the guess back with the first pause length", "[solvers][budget]") {
  ks::ProjectionBudget budget;
  std::vector<bool> with;
  // Loses for 8 + 4 guessed systems (pauses 8 then 16), then pays from the second probe on.
  int guessed = 0;
  for (int i = 0; i < 8 + 8 + 4 + 16 + 4 + 16; ++i) {
    with.push_back(budget.active());
    if (!budget.active()) {
      budget.skip();
      continue;
    }
    const bool paying = guessed++ >= 12;
    budget.record(paying ? 1.0 : 2.0, paying ? 3.0 : 1.0, 1.0, false);
  }
  CHECK(with == pattern({{true, 8}, {false, 8}, {true, 4}, {false, 16}, {true, 20}}));
  // Losing again is judged over a full window and pauses for the first length (8), not 32.
  const auto after = run(budget, 8 + 8 + 4, 2.0, 1.0, false, [](int) { return 1.0; });
  CHECK(after == pattern({{true, 8}, {false, 8}, {true, 4}}));
}

TEST_CASE("the budget rejects bad settings and out-of-turn calls", "[solvers][budget]") {
  ks::ProjectionBudget::Settings bad;
  bad.window = 0;
  CHECK_THROWS_AS(ks::ProjectionBudget(bad), kolmo::Exception);
  bad = {};
  bad.max_pause = 4;  // below first_pause 8
  CHECK_THROWS_AS(ks::ProjectionBudget(bad), kolmo::Exception);
  ks::ProjectionBudget budget;
  CHECK_THROWS_AS(budget.skip(), kolmo::Exception);
}

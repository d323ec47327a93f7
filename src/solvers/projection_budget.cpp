#include "solvers/projection_budget.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace kolmo::solvers {

ProjectionBudget::ProjectionBudget(Settings settings) : settings_(settings), pause_(settings.first_pause) {
  KOLMO_CHECK(settings.window >= 1 && settings.probe >= 1 && settings.first_pause >= 1 &&
                  settings.max_pause >= settings.first_pause,
              "projection budget: window " << settings.window << ", probe " << settings.probe << ", first_pause "
                                            << settings.first_pause << ", max_pause " << settings.max_pause
                                            << " (need window, probe >= 1 and 1 <= first_pause <= max_pause)");
}

void ProjectionBudget::record(double cost_seconds, double saved_seconds, double decades, bool growing) {
  KOLMO_CHECK(active(), "projection budget: a system recorded with the guess during a pause");
  ++with_;
  const double gain = saved_seconds - cost_seconds;
  net_ += gain;
  balance_ += gain;
  decades_.push_back(decades);
  if (++counted_ < (probing_ ? settings_.probe : settings_.window)) return;

  const auto mean = [](auto first, auto last) {
    return std::accumulate(first, last, 0.0) / static_cast<double>(std::distance(first, last));
  };
  const double window_mean = mean(decades_.begin(), decades_.end());
  // A probe is measured against the best the guesses did before, over the last `probe` systems of
  // a window: its guesses use the whole basis the window built, so they beat the window's mean by
  // construction (measured on advection-diffusion: every probe looked improving against it, and
  // the guess stayed on for 59 of 100 systems at a loss). What counts is what changed since: the
  // solutions the probe adds, or points closer to those kept (a farthest-first order fills the
  // domain; measured on thermal-block samples in that order: 0.6 decades before the pause, 1.9 in
  // the probe after it). The best, not the last: ordered advection-diffusion samples scattered
  // 0.7-3.5 decades from one probe to the next.
  bool improving = false;
  if (growing && judged_) {
    improving = probing_ ? window_mean - best_tail_ >= settings_.probe_improving_decades
                         : window_mean - last_decades_ >= settings_.improving_decades;
  } else if (growing && decades_.size() >= 2) {
    const auto middle = decades_.begin() + static_cast<std::ptrdiff_t>(decades_.size() / 2);
    // The halves' means lie half a window apart.
    improving = mean(middle, decades_.end()) - mean(decades_.begin(), middle) >= 0.5 * settings_.improving_decades;
  }
  if (balance_ < 0 && !improving) {
    // A probe that fails again waits twice as long: a projection that never pays costs `probe`
    // systems every max_pause at most.
    if (probing_) pause_ = std::min(2 * pause_, settings_.max_pause);
    pause_left_ = pause_;
    ++pauses_;
  } else if (balance_ >= 0) {
    // Kept on at a loss (improving), a projection is still on trial: the pause length stays.
    pause_ = settings_.first_pause;
  }
  judged_ = true;
  last_decades_ = window_mean;
  const auto tail = std::min<std::size_t>(decades_.size(), static_cast<std::size_t>(settings_.probe));
  best_tail_ = std::max(best_tail_, mean(decades_.end() - static_cast<std::ptrdiff_t>(tail), decades_.end()));
  probing_ = false;
  counted_ = 0;
  balance_ = 0;
  decades_.clear();
}

void ProjectionBudget::skip() {
  KOLMO_CHECK(!active(), "projection budget: a system skipped the guess while it is active");
  ++without_;
  if (--pause_left_ == 0) probing_ = true;
}

}  // namespace kolmo::solvers

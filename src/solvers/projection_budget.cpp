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
  // A probe gets no credit for improving: its guesses all use the basis that the window before it
  // built up, so they beat that window's mean by construction (measured on advection-diffusion:
  // every probe looked improving, and the guess stayed on for 59 of 100 systems at a loss).
  const bool investment = growing && !probing_;
  bool improving = false;
  if (investment && judged_) {
    improving = window_mean - last_decades_ >= settings_.improving_decades;
  } else if (investment && decades_.size() >= 2) {
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
  } else {
    pause_ = settings_.first_pause;
  }
  judged_ = true;
  last_decades_ = window_mean;
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

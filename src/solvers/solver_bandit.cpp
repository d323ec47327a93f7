#include "solvers/solver_bandit.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/exceptions.hpp"

namespace kolmo::solvers {
namespace {

// The 1/2-Tsallis-INF distribution: p_i = 4 / (eta (L_i - x))^2 with x < min L such that the
// p_i sum to 1, found by Newton's method on the increasing, convex sum (from the left).
std::vector<double> tsallis_distribution(const std::vector<double>& estimates, double eta) {
  const double lowest = *std::min_element(estimates.begin(), estimates.end());
  double x = lowest - 2.0 / eta;  // the smallest arm alone has weight 1 here: sum >= 1
  std::vector<double> p(estimates.size());
  for (int it = 0; it < 100; ++it) {
    double sum = 0, slope = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double gap = eta * (estimates[i] - x);
      p[i] = 4.0 / (gap * gap);
      sum += p[i];
      slope += eta * std::pow(p[i], 1.5);
    }
    const double step = (sum - 1.0) / slope;
    x -= step;
    if (std::abs(sum - 1.0) < 1e-12) break;
  }
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& v : p) v /= total;
  return p;
}

std::vector<double> exp3_distribution(const std::vector<double>& estimates, double eta) {
  const double lowest = *std::min_element(estimates.begin(), estimates.end());
  std::vector<double> p(estimates.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = std::exp(-eta * (estimates[i] - lowest));
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& v : p) v /= total;
  return p;
}

}  // namespace

BanditAlgorithm bandit_algorithm_from_string(const std::string& name) {
  if (name == "exp3") return BanditAlgorithm::exp3;
  if (name == "tsallis_inf") return BanditAlgorithm::tsallis_inf;
  KOLMO_INPUT_CHECK(false, "unknown bandit algorithm '" << name << "' (allowed: exp3, tsallis_inf)");
  return BanditAlgorithm::exp3;
}

SolverBandit::SolverBandit(std::size_t arms, BanditAlgorithm algorithm, std::uint64_t seed)
    : algorithm_(algorithm), estimates_(arms, 0.0), pulls_(arms, 0), rng_(seed) {
  KOLMO_CHECK(arms >= 1, "a bandit needs at least one arm");
}

std::vector<double> SolverBandit::probabilities() const {
  const double t = static_cast<double>(rounds_ + 1);
  const double k = static_cast<double>(estimates_.size());
  if (estimates_.size() == 1) return {1.0};
  if (algorithm_ == BanditAlgorithm::exp3)
    return exp3_distribution(estimates_, std::sqrt(2.0 * std::log(k) / (t * k)));
  return tsallis_distribution(estimates_, 2.0 / std::sqrt(t));
}

std::size_t SolverBandit::choose() {
  last_probabilities_ = probabilities();
  std::discrete_distribution<std::size_t> draw(last_probabilities_.begin(), last_probabilities_.end());
  last_arm_ = draw(rng_);
  pending_ = true;
  return last_arm_;
}

void SolverBandit::update(std::size_t arm, double loss) {
  KOLMO_CHECK(pending_ && arm == last_arm_,
              "SolverBandit::update: arm " << arm << " was not the last arm chosen");
  const double l = std::clamp(std::isfinite(loss) ? loss : 1.0, 0.0, 1.0);
  estimates_[arm] += l / last_probabilities_[arm];
  ++pulls_[arm];
  ++rounds_;
  pending_ = false;
}

std::size_t SolverBandit::most_pulled() const {
  return static_cast<std::size_t>(std::max_element(pulls_.begin(), pulls_.end()) - pulls_.begin());
}

double iteration_loss(long iterations, long cap, bool converged) {
  KOLMO_CHECK(cap > 0, "iteration_loss: the cap must be positive, got " << cap);
  if (!converged) return 1.0;
  return std::clamp(static_cast<double>(iterations) / static_cast<double>(cap), 0.0, 1.0);
}

ContextualBandit::ContextualBandit(std::size_t arms, std::size_t bins, double low, double high,
                                   BanditAlgorithm algorithm, std::uint64_t seed)
    : low_(low), high_(high) {
  KOLMO_CHECK(bins >= 1, "a contextual bandit needs at least one bin");
  KOLMO_CHECK(high > low, "contextual bandit: empty feature range [" << low << ", " << high << "]");
  for (std::size_t b = 0; b < bins; ++b) bandits_.emplace_back(arms, algorithm, seed + 7919 * b);
}

std::size_t ContextualBandit::bin(double feature) const {
  const double t = (feature - low_) / (high_ - low_) * static_cast<double>(bandits_.size());
  if (!(t > 0)) return 0;
  return std::min(bandits_.size() - 1, static_cast<std::size_t>(t));
}

std::size_t ContextualBandit::choose(double feature) { return bandits_[bin(feature)].choose(); }

void ContextualBandit::update(double feature, std::size_t arm, double loss) {
  bandits_[bin(feature)].update(arm, loss);
}

}  // namespace kolmo::solvers

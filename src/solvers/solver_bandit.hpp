#pragma once
/// @file
/// Adversarial multi-armed bandits for choosing solver parameters over a sequence of linear
/// systems ("Learning to Relax", Khodak et al.): each system, the bandit picks one of K arms (an
/// SOR relaxation factor, a PETSc option set, ...), the caller solves and reports a loss in [0, 1]
/// (e.g. iterations / cap, or time / budget), and the bandit updates importance-weighted loss
/// estimates. Two algorithms:
///   exp3         p_i ~ exp(-eta_t Lhat_i), eta_t = sqrt(2 ln K / (t K)) (Auer et al. 2002);
///   tsallis_inf  p_i = 4 / (eta_t (Lhat_i - x))^2 with x normalising, eta_t = 2 / sqrt(t)
///                (Zimmert and Seldin 2021, the 1/2-Tsallis-INF), best of both worlds.
/// The contextual variant bins a scalar feature of each system (e.g. a coefficient contrast) and
/// runs one bandit per bin.
///
/// Deterministic given the seed: every rank that constructs a bandit with the same seed and feeds
/// it the same losses picks the same arms, so no communication is needed. Not collective.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kolmo::solvers {

/// The update rule of a SolverBandit.
enum class BanditAlgorithm { exp3, tsallis_inf };

/// "exp3" or "tsallis_inf" to the enum. @throws InputError naming the allowed values.
BanditAlgorithm bandit_algorithm_from_string(const std::string& name);

/// A K-armed adversarial bandit over losses in [0, 1].
class SolverBandit {
 public:
  /// `arms` >= 1 arms; `seed` fixes the random choices.
  SolverBandit(std::size_t arms, BanditAlgorithm algorithm, std::uint64_t seed);

  /// Draw the arm for the next system from probabilities() (does not change the estimates).
  std::size_t choose();
  /// Report the loss (clamped to [0, 1]) of `arm`, which must be the arm choose() returned last.
  void update(std::size_t arm, double loss);

  /// The current sampling distribution over the arms.
  std::vector<double> probabilities() const;
  /// How many times each arm was chosen.
  const std::vector<std::size_t>& pulls() const noexcept { return pulls_; }
  std::size_t arms() const noexcept { return estimates_.size(); }
  std::size_t rounds() const noexcept { return rounds_; }
  /// The arm chosen most often so far (the lowest index on ties).
  std::size_t most_pulled() const;

 private:
  BanditAlgorithm algorithm_;
  std::vector<double> estimates_;  // importance-weighted cumulative losses
  std::vector<std::size_t> pulls_;
  std::vector<double> last_probabilities_;
  std::size_t rounds_ = 0;
  std::size_t last_arm_ = 0;
  bool pending_ = false;
  std::mt19937_64 rng_;
};

/// Loss of a solve from its iteration count: iterations / cap, clamped to [0, 1]; a solve that
/// did not converge has loss 1.
double iteration_loss(long iterations, long cap, bool converged);

/// One SolverBandit per bin of a scalar feature: `bins` equal bins over [low, high] (features
/// outside are put in the end bins). Arm choice and update as SolverBandit, given the feature.
class ContextualBandit {
 public:
  ContextualBandit(std::size_t arms, std::size_t bins, double low, double high,
                   BanditAlgorithm algorithm, std::uint64_t seed);
  /// The bin of `feature`.
  std::size_t bin(double feature) const;
  std::size_t choose(double feature);
  void update(double feature, std::size_t arm, double loss);
  const SolverBandit& bandit(std::size_t bin) const { return bandits_.at(bin); }
  std::size_t bins() const noexcept { return bandits_.size(); }

 private:
  std::vector<SolverBandit> bandits_;
  double low_, high_;
};

}  // namespace kolmo::solvers

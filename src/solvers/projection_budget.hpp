#pragma once
/// @file
/// The bookkeeping of `guess: auto`: a projection guess is worth its cost only when the Krylov
/// iterations (or whole solves) it saves take longer than forming it and keeping its basis. On an
/// affine problem with a few parameters it pays many times over; on a non-affine problem with many
/// parameters, or a nonsymmetric one whose solutions spread, it can cost more than it saves
/// (measured: 0.88-0.95x against the PETSc baseline). ProjectionBudget weighs the two system by
/// system and switches the projection off when it does not pay, probing again after a pause that
/// doubles with every failed probe.
///
/// While its basis grows (the reduced basis of an affine problem), the projection is an
/// investment: the first guesses gain a decade or two and cost more than that, and a few dozen
/// systems later they meet the tolerance outright (measured on i.i.d. thermal-block samples:
/// judged on cost alone, the projection was switched off at the ninth system and the sequence
/// ran 1.5x slower than with it). So a window at a loss keeps the guess on while the basis grows
/// and the guesses get better: by `improving_decades` over the last window judged, or within the
/// window (second half against first, half as much) when it is the first. The bar is set by what
/// pays: on thermal-block samples the guesses gained 0.9 decades per window (within the first
/// window) and then 1.3 and 3.1, and met the tolerance after 4 windows; on advection-diffusion
/// samples they gained 0.4-0.5 decades per window, reached 3 decades after 7 windows and never
/// paid. A probe after a pause is measured against the best the guesses did before it (over the
/// last `probe` systems of a window: its guesses use the basis those built up, so only what
/// changed since counts), by `probe_improving_decades`; a projection kept on at a loss keeps the
/// pause length it had reached. A projection onto a fixed number of recent solutions does not
/// grow, and is judged on its balance alone.
///
/// It holds no PETSc objects and makes no MPI calls: the caller passes figures that are equal on
/// every rank, so every rank takes the same decisions.

#include <cstddef>
#include <vector>

namespace kolmo::solvers {

/// Decides, system by system, whether a sequence forms its projection guess. Not collective.
class ProjectionBudget {
 public:
  struct Settings {
    int window = 8;       ///< systems with the guess over which its balance is judged (>= 1)
    int probe = 4;        ///< systems with the guess after a pause before it is judged again (>= 1)
    int first_pause = 8;  ///< systems without the guess after the first failed judgement (>= 1)
    int max_pause = 64;   ///< the longest pause; each failed probe doubles it up to this
    double improving_decades = 0.75;  ///< a window whose guesses get this much better is kept on
    /// A probe whose guesses beat the best before its pause by this much is kept on. Above
    /// improving_decades: a probe is a sample of `probe` systems, whose means scatter (measured on
    /// advection-diffusion samples: probes 0.74-0.80 decades above the best before, and they never
    /// paid; thermal-block samples in farthest-first order: 1.25-1.33, paying from the next window).
    double probe_improving_decades = 1.0;
  };

  /// @throws kolmo::Exception on a setting below 1 or max_pause < first_pause.
  explicit ProjectionBudget(Settings settings);
  ProjectionBudget() : ProjectionBudget(Settings{}) {}

  /// Whether the next system forms the guess (and adds its solution to the projection basis).
  bool active() const noexcept { return pause_left_ == 0; }

  /// A system solved with the guess: it cost `cost_seconds` (forming it, checking it, keeping the
  /// solution, the extra accuracy the projection asks for) and saved an estimated `saved_seconds`
  /// (iterations it made unnecessary, or the whole set-up and solve when it met the tolerance).
  /// `decades`: how much closer the guess u0 is to the solution than zero, in decades (of the error
  /// or of the residual). `growing`: the solution joins a basis that keeps growing. After `window`
  /// such systems (`probe` after a pause) the balance is judged: a loss pauses the guess unless
  /// the basis grows and the guesses improve. Only while active().
  void record(double cost_seconds, double saved_seconds, double decades, bool growing);

  /// A system solved without the guess (counts down the pause). Only while !active().
  void skip();

  /// Systems recorded with / without the guess so far.
  std::size_t systems_with() const noexcept { return with_; }
  std::size_t systems_without() const noexcept { return without_; }
  /// Times the guess was switched off.
  std::size_t pauses() const noexcept { return pauses_; }
  /// Estimated seconds saved minus seconds spent, over every system recorded.
  double net_seconds() const noexcept { return net_; }

 private:
  Settings settings_;
  int pause_ = 0;       // the next pause's length
  int pause_left_ = 0;  // systems still to skip
  int counted_ = 0;     // systems in the current window
  double balance_ = 0;  // saved - cost over the current window
  std::vector<double> decades_;  // the guesses' gains over the current window
  bool probing_ = false;  // the current window follows a pause
  bool judged_ = false;   // a window has been judged: last_decades_ is its mean gain
  double last_decades_ = 0;
  double best_tail_ = 0;  // the best mean of the last `probe` gains of a window judged
  std::size_t with_ = 0, without_ = 0, pauses_ = 0;
  double net_ = 0;
};

}  // namespace kolmo::solvers

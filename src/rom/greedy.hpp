#pragma once
/// @file
/// The weak greedy algorithm over a training sample, driven by the a posteriori error bound:
/// start at the training point with the largest ||f(mu)||_{X'} (the first one on ties), and
/// repeatedly truth-solve at the point where the bound is largest, X-orthonormalise the solution
/// into the basis (extending the reduced terms and the estimator data incrementally), and
/// evaluate the bound at every training point with the online evaluator.
///
/// For a model with a non-affine right-hand-side term (EIM), the greedy selects and stops on the
/// part of the bound the basis controls, ||r_N(mu)||_X' / alpha_LB(mu), the error against the
/// EIM-approximated problem; the EIM error is a floor no basis vector lowers.
///
/// Stopping criterion: the bound relative to the X-norm of the reduced solution,
/// max_mu Delta_N(mu) / ||u_N(mu)||_X <= tolerance (||u_N||_X = |u_N|_2 since the basis is
/// X-orthonormal), or N = max_size, or a new snapshot numerically in the span of the basis, or a
/// maximiser already in the basis (the bound is then at round-off level).
#include <functional>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "rom/online/reduced_model.hpp"
#include "rom/reduced_model_builder.hpp"
#include "solvers/truth_solver.hpp"

namespace kolmo::rom {

/// Parameters of run_greedy.
struct GreedyOptions {
  double tolerance = 1e-6;         ///< on max_mu Delta_N(mu) / ||u_N(mu)||_X
  int max_size = 50;
  std::string estimator = "stable";  ///< "stable" | "classical"
  bool quiet = false;              ///< no progress line
};

/// What the greedy did.
struct GreedyResult {
  /// max_mu Delta_N(mu) / ||u_N(mu)||_X over the training sample for N = 1, 2, ... (entry N-1);
  /// stored as the model's singular_values for a greedy model.
  std::vector<double> max_relative_bound;
  /// The same maximum of the absolute bound Delta_N(mu).
  std::vector<double> max_bound;
  std::vector<std::size_t> selected;  ///< training indices of the snapshots, in order
  bool converged = false;             ///< the tolerance was reached
  std::string stop_reason;            ///< why it stopped, for reports
  double truth_seconds = 0, estimator_seconds = 0, builder_seconds = 0;
};

/// A truth solve u = u(mu) for the greedy, e.g. TruthSolver::solve or SequenceSolver::solve (a
/// sequence solver's `projection` / `auto` guess is then the projection onto the snapshots taken
/// so far). Collective.
using TruthSolve = std::function<void(const Mu& mu, Vec u)>;

/// Run the weak greedy: extends `builder` (which may already hold vectors; usually empty) with
/// truth solutions of `truth` at points of `training` until the stopping criterion holds. The
/// bound uses `stability` (the model's StabilityBound). The training points are split over the
/// ranks for the bound evaluation and the maximiser is agreed on with an allreduce, so every rank
/// takes the same decisions. Collective on the builder's problem's communicator.
/// @throws InputError when the training sample is empty.
GreedyResult run_greedy(ReducedModelBuilder& builder, const TruthSolve& truth,
                        const std::vector<Mu>& training, const StabilityBound& stability,
                        const GreedyOptions& options);
/// The same with independent solves by `truth`.
GreedyResult run_greedy(ReducedModelBuilder& builder, solvers::TruthSolver& truth,
                        const std::vector<Mu>& training, const StabilityBound& stability,
                        const GreedyOptions& options);

}  // namespace kolmo::rom

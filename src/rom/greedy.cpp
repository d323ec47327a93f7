#include "rom/greedy.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/mpi.hpp"
#include "core/progress.hpp"
#include "rom/online/online_evaluator.hpp"

namespace kolmo::rom {
namespace {

struct ValueIndex {
  double value;
  int index;
};

// The largest value over all ranks and the lowest training index attaining it (MPI_MAXLOC).
ValueIndex global_max(MPI_Comm comm, ValueIndex local) {
  ValueIndex global{};
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm);
  return global;
}

double sanitized(double value) {
  return std::isnan(value) ? std::numeric_limits<double>::infinity() : value;
}

std::string status_line(int size, double max_relative) {
  char text[96];
  std::snprintf(text, sizeof text, "N=%d max bound %.3e", size, max_relative);
  return text;
}

}  // namespace

GreedyResult run_greedy(ReducedModelBuilder& builder, solvers::TruthSolver& truth,
                        const std::vector<Mu>& training, const StabilityBound& stability,
                        const GreedyOptions& options) {
  return run_greedy(
      builder, [&truth](const Mu& mu, Vec u) { truth.solve(mu, u); }, training, stability, options);
}

GreedyResult run_greedy(ReducedModelBuilder& builder, const TruthSolve& truth,
                        const std::vector<Mu>& training, const StabilityBound& stability,
                        const GreedyOptions& options) {
  const auto& problem = builder.problem();
  const MPI_Comm comm = problem.comm();
  KOLMO_INPUT_CHECK(!training.empty(), "greedy: the training sample is empty");
  KOLMO_INPUT_CHECK(training.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()),
                    "greedy: the training sample is too large");
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  const auto count = static_cast<int>(training.size());

  GreedyResult result;
  // Start where the right-hand side is largest: the N = 0 residual is f itself.
  ValueIndex start{-1.0, 0};
  for (int i = rank; i < count; i += ranks) {
    const double value = sanitized(builder.rhs_dual_norm(training[static_cast<std::size_t>(i)]));
    if (value > start.value) start = {value, i};
  }
  int next = global_max(comm, start).index;

  Progress progress(comm, "greedy", static_cast<std::size_t>(options.max_size), options.quiet);
  VecHandle u = problem.create_vector();
  std::vector<char> in_basis(training.size(), 0);
  OnlineResult evaluation;
  while (true) {
    if (in_basis[static_cast<std::size_t>(next)]) {
      result.stop_reason = "the largest bound is at a point already in the basis (round-off level)";
      break;
    }
    double t0 = MPI_Wtime();
    truth(training[static_cast<std::size_t>(next)], u);
    double t1 = MPI_Wtime();
    result.truth_seconds += t1 - t0;
    const bool added = builder.add(u);
    if (!added) {
      result.builder_seconds += MPI_Wtime() - t1;
      result.stop_reason = "the next snapshot is numerically in the span of the basis";
      break;
    }
    result.selected.push_back(static_cast<std::size_t>(next));
    in_basis[static_cast<std::size_t>(next)] = 1;
    ReducedModel model = builder.model(options.estimator);
    model.stability = stability;
    model.estimator = options.estimator;
    double t2 = MPI_Wtime();
    result.builder_seconds += t2 - t1;

    const int size = builder.size();
    OnlineEvaluator evaluator(model);
    ValueIndex local_relative{-1.0, 0};
    double local_absolute = 0.0;
    for (int i = rank; i < count; i += ranks) {
      evaluator.evaluate(training[static_cast<std::size_t>(i)], size, options.estimator, evaluation);
      // The basis can only reduce the residual part of the bound; a non-affine term (the EIM
      // error of the right-hand side) is a floor that would otherwise steer the selection.
      const double bound = sanitized(
          evaluation.rhs_error > 0
              ? evaluation.residual_dual_norm / evaluation.stability_lower_bound
              : evaluation.error_bound);
      const double norm = evaluation.coefficients.norm();
      const double relative = norm > 0 ? bound / norm : std::numeric_limits<double>::infinity();
      if (relative > local_relative.value) local_relative = {relative, i};
      local_absolute = std::max(local_absolute, bound);
    }
    const ValueIndex worst = global_max(comm, local_relative);
    double max_absolute = 0.0;
    MPI_Allreduce(&local_absolute, &max_absolute, 1, MPI_DOUBLE, MPI_MAX, comm);
    result.estimator_seconds += MPI_Wtime() - t2;
    result.max_relative_bound.push_back(worst.value);
    result.max_bound.push_back(max_absolute);
    progress.advance(1, status_line(size, worst.value));
    if (worst.value <= options.tolerance) {
      result.converged = true;
      result.stop_reason = "the tolerance is reached";
      break;
    }
    if (size >= options.max_size) {
      result.stop_reason = "the maximal size is reached";
      break;
    }
    next = worst.index;
  }
  progress.finish();
  return result;
}

}  // namespace kolmo::rom

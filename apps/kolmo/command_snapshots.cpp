// kolmo snapshots CASE: truth solves over the training sample into a resumable snapshot file.
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/progress.hpp"
#include "core/sampler.hpp"
#include "core/snapshot_store.hpp"
#include "core/text.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/sequence_solver.hpp"
#include "study.hpp"

namespace kolmo::app {

namespace {

volatile std::sig_atomic_t g_stop_requested = 0;
extern "C" void request_stop(int) { g_stop_requested = 1; }

// Test hook: KOLMO_TEST_KILL_AFTER=N makes rank 0 kill itself with SIGKILL after N new snapshots,
// in the middle of the next truth solve, to prove that an interrupted run loses nothing.
long kill_after() {
  const char* value = std::getenv("KOLMO_TEST_KILL_AFTER");
  return value ? std::atol(value) : -1;
}

}  // namespace

int run_snapshots(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"restart", "json"});
  const CaseFile c = load_case(comm, line);
  const auto sample = required_sample(comm, c, "training", line.command);
  check_output_path(comm, c.snapshots.file, "snapshots.file", {c.path});
  auto problem = operators::make_problem(comm, c);
  // The solver before --restart deletes anything: a case file whose solver PETSc rejects keeps
  // the snapshots it has.
  solvers::SequenceSolver solver(*problem, c.solver, solvers::sequence_policy(c.solver.sequence),
                                 "truth_");

  if (line.has("restart") && comm_rank(comm) == 0) std::filesystem::remove(c.snapshots.file);
  MPI_Barrier(comm);

  SnapshotHeader header;
  header.problem_type = problem->type();
  header.parameter_names = c.parameters.names();
  header.output_names = problem->output_names();
  header.case_text = c.text;
  header.definition = "problem " + c.problem.settings.canonical() + " solved to rtol " +
                      format_number(c.solver.rtol) + ", atol " + format_number(c.solver.atol);
  header.vector_size = problem->global_size();
  header.layout = problem->field_layout();
  auto store = SnapshotStore::create_or_resume(comm, c.snapshots.file, header, sample);

  const std::size_t already = store.count_complete();
  print_root(comm, "%s: %zu training points, %zu already in %s\n", c.name.c_str(), sample.size(),
             already, c.snapshots.file.c_str());

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  // Solved in the sequence order, stored at the sample's own indices, so that a resumed run (which
  // computes the same order) finds every finished point where it left it.
  const std::vector<std::size_t> sequence = solver.order(sample);
  VecHandle u = problem->create_vector();
  VecHandle natural = problem->create_natural_vector();
  Progress progress(comm, "snapshots", sample.size() - already);
  const long kill_threshold = kill_after();
  long new_snapshots = 0;
  PetscInt total_iterations = 0;
  double total_seconds = 0;
  bool interrupted = false;
  for (const std::size_t i : sequence) {
    if (store.is_complete(i)) continue;
    if (any_rank(comm, g_stop_requested != 0)) {
      interrupted = true;
      break;
    }
    if (kill_threshold >= 0 && new_snapshots == kill_threshold && comm_rank(comm) == 0)
      std::raise(SIGKILL);
    const auto stats = solver.solve(sample[i], u);
    problem->to_natural(u, natural);
    SolveRecord record;
    record.iterations = stats.iterations;
    record.residual = stats.relative_residual;
    record.seconds = stats.setup_seconds + stats.solve_seconds;
    record.reason = static_cast<int>(stats.reason);
    store.write(i, natural, problem->evaluate_outputs(sample[i], u), record);
    ++new_snapshots;
    total_iterations += stats.iterations;
    total_seconds += record.seconds;
    progress.advance(1, std::to_string(stats.iterations) + " its");
  }
  progress.finish();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  const std::size_t complete = store.count_complete();
  print_root(comm, "%s: %ld solved now, %zu/%zu complete", c.snapshots.file.c_str(), new_snapshots,
             complete, sample.size());
  if (new_snapshots > 0)
    print_root(comm, ", mean %.1f iterations and %.3f s per solve", double(total_iterations) / new_snapshots,
               total_seconds / new_snapshots);
  print_root(comm, "\n");
  // What the guess did: how often it met the tolerance (nothing set up or solved), and under auto
  // on how many systems the projection was formed, so that a user can tell whether it paid.
  const auto guess = solver.policy().guess;
  const bool kolmo_guess = guess == solvers::InitialGuess::previous || guess == solvers::InitialGuess::projection ||
                           guess == solvers::InitialGuess::automatic;
  const auto& budget = solver.projection_budget();
  if (!solver.policy().is_default() && new_snapshots > 0) {
    print_root(comm, "sequence: %s; %s KSP, %zu preconditioner build%s", solvers::describe(solver.policy()).c_str(),
               solver.ksp_type().c_str(), solver.pc_builds(), solver.pc_builds() == 1 ? "" : "s");
    if (kolmo_guess) print_root(comm, ", %zu guesses met the tolerance", solver.guesses_accepted());
    if (guess == solvers::InitialGuess::automatic)
      print_root(comm, ", projection formed for %zu of the %zu systems after the first", budget.systems_with(),
                 budget.systems_with() + budget.systems_without());
    print_root(comm, "\n");
  }
  write_json_report(comm, line,
                    Json::object()
                        .set("file", c.snapshots.file)
                        .set("sample_size", static_cast<long long>(sample.size()))
                        .set("complete", static_cast<long long>(complete))
                        .set("solved_now", static_cast<long long>(new_snapshots))
                        .set("mean_iterations", new_snapshots ? double(total_iterations) / new_snapshots : 0.0)
                        .set("mean_seconds", new_snapshots ? total_seconds / new_snapshots : 0.0)
                        .set("pc_builds", static_cast<long long>(solver.pc_builds()))
                        .set("guesses_accepted", static_cast<long long>(solver.guesses_accepted()))
                        .set("projection_systems", static_cast<long long>(budget.systems_with()))
                        .set("interrupted", interrupted));
  if (interrupted) {
    print_root(comm, "interrupted: run the same command again to resume\n");
    return 130;
  }
  return 0;
}

}  // namespace kolmo::app

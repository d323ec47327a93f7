// kolmo check CASE: validate everything a case file says without solving anything. The problem
// is built (its operators assembled), because some of what a case says can only be checked
// against it: the output names, and whether the grid can be split over the ranks.
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/sampler.hpp"
#include "core/text.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/truth_solver.hpp"
#include "study.hpp"

namespace kolmo::app {

namespace {
std::string describe_sample(bool given, const SampleSpec& spec, std::size_t drawn) {
  if (!given) return "none (the commands that need it say so)";
  std::string text = std::to_string(drawn) + " points (" + spec.method;
  if (spec.method == "random" || spec.method == "lhs") text += ", seed " + std::to_string(spec.seed);
  if (spec.method == "file") text += " " + spec.file;
  return text + ")";
}
}  // namespace

int run_check(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {});
  const CaseFile c = load_case(comm, line);
  operators::validate_problem_settings(c);
  const auto unread = solvers::check_solver_section(comm, c.solver, "truth_");
  const auto problem = operators::make_problem(comm, c);
  const auto outputs = selected_outputs(c, *problem);
  // Only the samples the case file has: each is needed by some commands only.
  const auto training = c.has_training ? required_sample(comm, c, "training", "check") : std::vector<Mu>{};
  const auto test = c.has_test ? required_sample(comm, c, "test", "check") : std::vector<Mu>{};
  if (c.sweep.has_sample) draw_sample(comm, c.parameters, c.sweep.sample);

  const auto names = problem->output_names();
  std::vector<std::string> output_list;
  for (const auto i : outputs) output_list.push_back(names[i]);
  print_root(comm, "%s: OK\n  name        %s\n  problem     %s, %lld unknowns, outputs: %s\n  parameters ",
             c.path.c_str(), c.name.c_str(), c.problem.type.c_str(),
             static_cast<long long>(problem->global_size()),
             output_list.empty() ? "none" : join(output_list).c_str());
  for (const auto& p : c.parameters.parameters())
    print_root(comm, " %s in [%g, %g]%s", p.name.c_str(), p.min, p.max,
               p.scale == Scale::log ? " (log)" : "");
  print_root(comm, "\n  training    %s\n  test        %s\n", describe_sample(c.has_training, c.training, training.size()).c_str(),
             describe_sample(c.has_test, c.test, test.size()).c_str());
  print_root(comm, "  solver      %s + %s, rtol %g, max_it %d\n", c.solver.ksp_type.c_str(),
             c.solver.pc_type.c_str(), c.solver.rtol, c.solver.max_it);
  // Not an error: PETSc reads some options only at set-up (multigrid levels, for one).
  if (!unread.empty())
    print_root(comm, "  note        solver.petsc: not read when the solver was configured: %s "
                     "(misspelled, meant for another solver type, or read only at set-up)\n",
               join(unread).c_str());
  print_root(comm, "  snapshots   %s\n  rom         %s, tolerance %g, max size %d -> %s\n",
             c.snapshots.file.c_str(), c.rom.method.c_str(), c.rom.tolerance, c.rom.max_size,
             c.rom.model.c_str());
  return 0;
}

}  // namespace kolmo::app

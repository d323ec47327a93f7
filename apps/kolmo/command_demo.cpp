// kolmo demo CASE: the study end to end (check, training snapshots, a sweep over the test
// sample) with a short summary. `make demo` runs it on the thermal block at 2 ranks.
#include <algorithm>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/results_table.hpp"
#include "study.hpp"

namespace kolmo::app {

int run_demo(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"restart"});
  const double start = MPI_Wtime();
  CommandLine step = line;
  step.options.erase("restart");
  print_root(comm, "== 1. case file ==\n");
  step.command = "check";
  if (int status = run_check(comm, step)) return status;

  print_root(comm, "\n== 2. truth snapshots over the training sample ==\n");
  step.command = "snapshots";
  if (line.has("restart")) step.options["restart"] = "";
  if (int status = run_snapshots(comm, step)) return status;

  print_root(comm, "\n== 3. truth outputs over the test sample ==\n");
  step.command = "sweep";
  step.options.erase("restart");
  if (int status = run_sweep(comm, step)) return status;

  const CaseFile c = load_case(comm, line);
  if (comm_rank(comm) == 0) {
    const auto table = ResultsTable::read(c.sweep.file);
    std::printf("\n== summary (%d ranks, %.1f s) ==\n", comm_size(comm), MPI_Wtime() - start);
    std::printf("%-6s", "point");
    for (const auto& p : table.parameter_names) std::printf(" %10s", p.c_str());
    for (const auto& o : table.output_names) std::printf(" %16s", o.c_str());
    std::printf(" %6s\n", "its");
    for (std::size_t r = 0; r < table.rows(); ++r) {
      std::printf("%-6lld", static_cast<long long>(table.indices[r]));
      for (double v : table.parameters[r]) std::printf(" %10.4g", v);
      for (double v : table.outputs[r]) std::printf(" %16.10g", v);
      std::printf(" %6lld\n", static_cast<long long>(table.iterations[r]));
    }
  }
  return 0;
}

}  // namespace kolmo::app

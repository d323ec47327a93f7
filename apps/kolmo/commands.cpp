#include "commands.hpp"

#include "core/error.hpp"

namespace kolmo::app {

const std::string& positional(const CommandLine& line, std::size_t index, const char* what) {
  if (line.positional.size() <= index)
    throw InputError("kolmo " + line.command + ": missing argument: " + what + "; see 'kolmo " +
                     line.command + " --help'");
  return line.positional[index];
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"check", "validate a case file and print what it describes",
       "usage: kolmo check CASE.yaml\n\n"
       "Reads and validates the case file (every key, range and referenced file) without solving\n"
       "anything, and prints a summary. Errors name the file, line, column and key.\n",
       run_check},
      {"solve", "one truth solve at a parameter point",
       "usage: [mpiexec -n P] kolmo solve CASE.yaml --mu a,b,... [--output FIELD.h5] [--json FILE]\n\n"
       "Solves the full-order problem at mu (values in the order of the case file's parameters),\n"
       "prints the outputs and solver statistics, and writes the field to FIELD.h5 with an XDMF\n"
       "sidecar for ParaView (default: NAME_solution.h5 in the current directory).\n"
       "Solver options: -truth_ksp_type, -truth_pc_type, -truth_ksp_monitor, ...\n",
       run_solve},
      {"snapshots", "truth solves over the training sample into an HDF5 snapshot file",
       "usage: [mpiexec -n P] kolmo snapshots CASE.yaml [--quiet] [--restart] [--json FILE]\n\n"
       "Solves at every point of the case file's training sample and stores the fields, outputs and\n"
       "solver statistics in snapshots.file. Resumable: run it again after an interruption and it\n"
       "skips what is complete. --restart deletes the file first.\n",
       run_snapshots},
      {"info", "describe an HDF5 file written by Kolmo",
       "usage: kolmo info FILE.h5\n", run_info},
      {"sweep", "evaluate outputs over a sample, split over groups of ranks or job-array shards",
       "usage: [mpiexec -n P] kolmo sweep CASE.yaml [--groups G] [--shard i/n] [--output FILE.h5]\n"
       "                                      [--quiet] [--json FILE]\n\n"
       "Evaluates the truth outputs at every point of sweep.sample (default: the test sample).\n"
       "--groups G splits the P ranks into G groups that solve different points at the same time.\n"
       "--shard i/n takes every n-th point starting at i (0 <= i < n), for scheduler job arrays;\n"
       "join the shard files with 'kolmo merge'. Results do not depend on how the work is split.\n",
       run_sweep},
      {"merge", "join sweep shard files into one",
       "usage: kolmo merge OUTPUT.h5 SHARD.h5 [SHARD.h5 ...]\n\n"
       "Checks that the shards come from the same study and together cover its sample exactly once.\n",
       run_merge},
      {"demo", "the thermal-block study end to end, with a short summary",
       "usage: [mpiexec -n P] kolmo demo CASE.yaml [--quiet] [--restart]\n\n"
       "Checks the case, computes the training snapshots (resumable), runs a sweep over the test\n"
       "sample and prints a summary of outputs, iterations and timings.\n",
       run_demo},
  };
  return table;
}

}  // namespace kolmo::app

// kolmo: the command-line driver. main() is a thin shell: it splits the command line, starts
// MPI/PETSc/SLEPc, runs one subcommand and turns every exception into one clear message and a
// non-zero exit status on every rank.
#include <petscsys.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "core/config_node.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/progress.hpp"
#include "core/version.hpp"

namespace {

void print_general_help() {
  std::printf(
      "kolmo %s: parametrized PDEs and certified reduced-order models\n\n"
      "usage: [mpiexec -n P] kolmo COMMAND [ARGS] [--OPTIONS] [-petsc_options]\n\ncommands:\n",
      kolmo::version_string);
  for (const auto& c : kolmo::app::commands()) std::printf("  %-10s %s\n", c.name, c.summary);
  std::printf(
      "\nglobal options:\n"
      "  --help      help for kolmo or for one command (kolmo COMMAND --help)\n"
      "  --quiet     no progress output\n"
      "  --version   print the version\n"
      "PETSc options (-ksp_monitor, -log_view, -truth_pc_type lu, ...) go after the arguments.\n");
}

// A rank that failed reports it; if every rank failed alike (the usual case: input is read on
// every rank and errors are detected collectively), they agree within a grace period and all exit
// with status 1. If some rank does not join (it is busy or blocked in a collective), abort the job
// rather than hang.
int fail_collectively(MPI_Comm comm, const char* message) {
  MPI_Request request;
  MPI_Ibarrier(comm, &request);
  const double deadline = MPI_Wtime() + 10.0;
  int done = 0;
  while (!done && MPI_Wtime() < deadline) MPI_Test(&request, &done, MPI_STATUS_IGNORE);
  if (!done) kolmo::abort_all_ranks(comm, message);
  if (kolmo::comm_rank(comm) == 0) std::fprintf(stderr, "kolmo: error: %s\n", message);
  return 1;
}

bool has_argument(const std::vector<std::string>& arguments, std::string_view name) {
  return std::find(arguments.begin(), arguments.end(), name) != arguments.end();
}

// PETSc prints its help for -help (optionally -help intro) and -h.
bool has_petsc_help(const std::vector<std::string>& arguments) {
  return has_argument(arguments, "-help") || has_argument(arguments, "-h");
}

}  // namespace

int main(int argc, char** argv) {
  auto line = kolmo::app::parse_command_line(argc, argv);
  // `kolmo online` evaluates a reduced model without MPI and PETSc (only --field needs them), so
  // it starts no MPI runtime: it runs on a laptop without mpiexec, or inside another job.
  if (kolmo::app::runs_without_mpi(line)) return kolmo::app::run_online_without_mpi(line);
  int petsc_argc = static_cast<int>(line.petsc_arguments.size());
  std::vector<char*> petsc_argv;
  for (auto& a : line.petsc_arguments) petsc_argv.push_back(a.data());
  petsc_argv.push_back(nullptr);
  char** petsc_args = petsc_argv.data();

  // PETSc catches SIGPIPE and prints a crash report; for a command-line tool whose reader went
  // away (`kolmo info f.h5 | head`) the Unix convention is to stop quietly. With -help, PETSc
  // prints inside PetscInitialize, after installing its handler: its handler is then installed
  // only once initialisation is over (unless the user turned it off).
  const bool petsc_help = has_petsc_help(line.petsc_arguments);
  const bool user_handler_off = has_argument(line.petsc_arguments, "-no_signal_handler");
  // (Before PETSc starts, a failure here only means PETSc installs its handler as usual.)
  if (petsc_help) (void)PetscOptionsSetValue(nullptr, "-no_signal_handler", nullptr);
  kolmo::Environment environment(petsc_argc, petsc_args);
  if (petsc_help && !user_handler_off &&
      (PetscOptionsClearValue(nullptr, "-no_signal_handler") != 0 ||
       PetscPushSignalHandler(PetscSignalHandlerDefault, nullptr) != 0))
    std::fprintf(stderr, "kolmo: warning: PETSc's signal handler could not be installed\n");
  std::signal(SIGPIPE, SIG_DFL);
  MPI_Comm comm = PETSC_COMM_WORLD;
  const bool root = kolmo::comm_rank(comm) == 0;
  if (line.has("quiet")) kolmo::Progress::set_quiet(true);

  if (line.has("version")) {
    if (root) std::printf("kolmo %s\n", kolmo::version_string);
    return 0;
  }
  if (line.command.empty() || line.command == "help") {
    if (root) print_general_help();
    return line.command.empty() && !line.has("help") ? 1 : 0;
  }
  const kolmo::app::Command* command = nullptr;
  for (const auto& c : kolmo::app::commands())
    if (line.command == c.name) command = &c;
  if (!command) {
    std::vector<std::string> names;
    for (const auto& c : kolmo::app::commands()) names.push_back(c.name);
    std::string message = "unknown command '" + line.command + "'";
    if (auto near = kolmo::nearest_word(line.command, names); !near.empty())
      message += " (did you mean '" + near + "'?)";
    if (root) std::fprintf(stderr, "kolmo: error: %s; see 'kolmo --help'\n", message.c_str());
    return 1;
  }
  if (line.has("help")) {
    if (root) std::printf("%s", command->usage);
    return 0;
  }
  try {
    return command->run(comm, line);
  } catch (const std::exception& e) {
    return fail_collectively(comm, e.what());
  }
}

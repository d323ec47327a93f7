#pragma once
// The subcommands of `kolmo`. Each runs collectively on `comm` and returns the exit status;
// errors are thrown (InputError for bad input) and reported by main().
#include <mpi.h>

#include <string>
#include <vector>

#include "command_line.hpp"

namespace kolmo::app {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;   // full help text
  int (*run)(MPI_Comm comm, const CommandLine& line);
};

int run_check(MPI_Comm comm, const CommandLine& line);
int run_solve(MPI_Comm comm, const CommandLine& line);
int run_snapshots(MPI_Comm comm, const CommandLine& line);
int run_info(MPI_Comm comm, const CommandLine& line);
int run_sweep(MPI_Comm comm, const CommandLine& line);
int run_merge(MPI_Comm comm, const CommandLine& line);
int run_demo(MPI_Comm comm, const CommandLine& line);
int run_offline(MPI_Comm comm, const CommandLine& line);
int run_validate(MPI_Comm comm, const CommandLine& line);
int run_online(MPI_Comm comm, const CommandLine& line);
int run_tensor(MPI_Comm comm, const CommandLine& line);
int run_train_pc(MPI_Comm comm, const CommandLine& line);

/// True for a command line that `kolmo online` serves without MPI and PETSc (no --field, no
/// --help): main() then calls run_online_without_mpi before starting them.
bool runs_without_mpi(const CommandLine& line);
/// kolmo online on this process alone, MPI never initialised; prints "kolmo: error: ..." and
/// returns 1 on failure.
int run_online_without_mpi(const CommandLine& line);

/// All subcommands, in the order `kolmo --help` lists them.
const std::vector<Command>& commands();

/// The positional argument `index`, or InputError naming what is missing.
const std::string& positional(const CommandLine& line, std::size_t index, const char* what);

}  // namespace kolmo::app

#pragma once
// What most subcommands start from: the case file, its problem, and the outputs to report.
#include <mpi.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "core/case_file.hpp"
#include "core/json.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::app {

/// Read and validate the case file named by the first positional argument. Collective.
CaseFile load_case(MPI_Comm comm, const CommandLine& line);

/// Indices of the problem outputs the case file asks for (`outputs:`; all when empty).
/// @throws InputError naming an unknown output and the available ones.
std::vector<std::size_t> selected_outputs(const CaseFile& case_file,
                                          const operators::ParametrizedProblem& problem);

/// Write `report` to the file named by --json, when given (rank 0 writes). Collective on comm, so
/// that a failure to write is reported on every rank.
void write_json_report(MPI_Comm comm, const CommandLine& line, const Json& report);

/// printf on rank 0 of comm only.
template <class... Args>
void print_root(MPI_Comm comm, const char* format, Args... args) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    std::printf(format, args...);
    std::fflush(stdout);
  }
}

}  // namespace kolmo::app

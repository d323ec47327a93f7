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

/// The case's `training:` or `test:` sample (`key`), drawn alike on every rank. InputError naming
/// the case file and `command` when the section is absent or draws no points. Collective.
std::vector<Mu> required_sample(MPI_Comm comm, const CaseFile& case_file, const std::string& key,
                                const std::string& command);

/// Why `path` cannot be written as a file ("the directory 'x' does not exist", "it is the same
/// file as 'y'; writing it would destroy ..."), or "" when it can. `inputs` are the files the
/// command reads and the study's results it must not overwrite (the case's snapshots, its model).
/// Not collective: looks at the file system of this process.
std::string output_path_problem(const std::string& path, const std::vector<std::string>& inputs);

/// Checks, before any work, that `path` (named by `what`: an option or a case key) can be written
/// as a file and is none of `inputs` (as in output_path_problem). InputError otherwise.
/// Collective (rank 0 looks, every rank throws alike).
void check_output_path(MPI_Comm comm, const std::string& path, const std::string& what,
                       const std::vector<std::string>& inputs);

/// Indices of the problem outputs the case file asks for (`outputs:`; all when empty).
/// @throws InputError naming an unknown output and the available ones.
std::vector<std::size_t> selected_outputs(const CaseFile& case_file,
                                          const operators::ParametrizedProblem& problem);

/// check_output_path for --json, when given, against the command's positional files. For
/// commands that work long before they write the report. Collective.
void check_json_path(MPI_Comm comm, const CommandLine& line);

/// Write `report` to the file named by --json, when given (rank 0 writes). Collective on comm, so
/// that a failure to write is reported on every rank. A --json naming one of the command's
/// positional files is refused before anything is written.
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

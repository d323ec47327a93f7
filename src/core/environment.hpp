#pragma once
/// @file
/// RAII initialisation of MPI, PETSc and SLEPc for programs (apps, examples, benchmarks).
#include <mpi.h>

namespace kolmo {

/// Initialises SLEPc (hence PETSc and MPI) on construction and finalises on destruction, and
/// installs Kolmo's PETSc error handler. Create exactly one, first thing in main(); every PETSc
/// handle must be destroyed before it. Collective over all processes of the program.
class Environment {
 public:
  /// Command-line arguments are handed to PETSc's options database (e.g. -ksp_monitor).
  Environment(int& argc, char**& argv, const char* help = nullptr);
  /// Initialise with no command-line options (argv belongs to someone else, e.g. Catch2).
  Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment();
};

}  // namespace kolmo

// The one Catch2 main of every Kolmo test executable. PETSc/SLEPc are initialised without
// arguments so that argv belongs to Catch; the result is reduced over all ranks so that a failure
// on one rank fails the test on every rank (and ctest sees it whatever rank it reads).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <petscsys.h>

#include "core/environment.hpp"

int main(int argc, char* argv[]) {
  int result = 0;
  {
    kolmo::Environment environment;
    result = Catch::Session().run(argc, argv);
    int global = 0;
    MPI_Allreduce(&result, &global, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
    result = global;
  }
  return result;
}

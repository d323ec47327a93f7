#pragma once
// Helpers for tests that run on several ranks: every rank must reach the same verdict, or a
// REQUIRE failing on one rank only leaves the others waiting in the next collective.
#include <petscsys.h>

#include "core/mpi.hpp"

namespace kolmo::testing {

/// The communicator tests run on.
inline MPI_Comm test_comm() { return PETSC_COMM_WORLD; }

/// True on every rank iff `local_ok` holds on every rank of the test communicator. Collective.
inline bool on_all_ranks(bool local_ok) { return kolmo::all_ranks(test_comm(), local_ok); }

}  // namespace kolmo::testing

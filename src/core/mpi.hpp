#pragma once
/// @file
/// Small MPI conveniences. Every function takes its communicator explicitly.
#include <mpi.h>

#include <string>

namespace kolmo {

/// This process's rank in `comm` (MPI_Comm_rank). Not collective.
int comm_rank(MPI_Comm comm);
/// The number of processes in `comm` (MPI_Comm_size). Not collective.
int comm_size(MPI_Comm comm);
/// True on every rank iff `local` is true on every rank. Collective on comm.
bool all_ranks(MPI_Comm comm, bool local);
/// True on every rank iff `local` is true on at least one rank. Collective on comm.
bool any_rank(MPI_Comm comm, bool local);
/// Broadcast a string from `root` to every rank of `comm`. Collective on comm.
void broadcast_string(MPI_Comm comm, std::string& text, int root = 0);

/// Print `message` as "[rank r] error: message" to stderr and abort every process of `comm`
/// (MPI_Abort): the way out when one rank fails alone and the others may wait in a collective.
[[noreturn]] void abort_all_ranks(MPI_Comm comm, const std::string& message);

}  // namespace kolmo

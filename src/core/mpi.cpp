#include "core/mpi.hpp"

#include <cstdio>
#include <cstdlib>

namespace kolmo {

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

int comm_size(MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  return size;
}

bool all_ranks(MPI_Comm comm, bool local) {
  int value = local ? 1 : 0, result = 0;
  MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_LAND, comm);
  return result != 0;
}

bool any_rank(MPI_Comm comm, bool local) {
  int value = local ? 1 : 0, result = 0;
  MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_LOR, comm);
  return result != 0;
}

void broadcast_string(MPI_Comm comm, std::string& text, int root) {
  unsigned long long length = text.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, comm);
  text.resize(length);
  if (length > 0) MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, comm);
}

void abort_all_ranks(MPI_Comm comm, const std::string& message) {
  std::fprintf(stderr, "[rank %d] error: %s\n", comm_rank(comm), message.c_str());
  std::fflush(stderr);
  MPI_Abort(comm, 1);
  std::abort();
}

}  // namespace kolmo

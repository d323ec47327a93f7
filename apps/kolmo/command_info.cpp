// kolmo info FILE: what a Kolmo HDF5 file holds.
#include "commands.hpp"
#include "core/snapshot_store.hpp"
#include "study.hpp"

namespace kolmo::app {

int run_info(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"json"});
  const std::string& path = positional(line, 0, "an HDF5 file written by Kolmo");
  const std::string text = describe_hdf5_file(comm, path);
  print_root(comm, "%s", text.c_str());
  if (line.has("json")) write_json_report(comm, line, describe_hdf5_file_json(comm, path));
  return 0;
}

}  // namespace kolmo::app

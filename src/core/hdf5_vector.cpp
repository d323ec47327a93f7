#include "core/hdf5_vector.hpp"

#include <type_traits>
#include <vector>

#include "core/error.hpp"

namespace kolmo::h5 {

static_assert(std::is_same_v<PetscScalar, double>,
              "Kolmo's HDF5 files store vectors as doubles: PETSc must be real, double precision");

namespace {

/// The file-space block of `natural`'s ownership range in row `row`, after checking shapes and
/// communicators.
void vec_block(const File& file, const std::string& object_path, std::int64_t row, Vec natural,
               std::vector<hsize_t>& start, std::vector<hsize_t>& count) {
  const std::string& path = file.path();
  const MPI_Comm vec_comm = PetscObjectComm(reinterpret_cast<PetscObject>(natural));
  int relation = MPI_UNEQUAL;
  MPI_Comm_compare(vec_comm, file.comm(), &relation);
  KOLMO_CHECK(
      relation == MPI_IDENT || relation == MPI_CONGRUENT,
      path << ": " << object_path << ": the vector lives on another communicator than the file");
  PetscInt global = 0, low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetSize(natural, &global));
  KOLMO_PETSC_CALL(VecGetOwnershipRange(natural, &low, &high));
  const std::vector<hsize_t> dims = file.shape(object_path);
  if (row < 0) {
    KOLMO_INPUT_CHECK(dims.size() == 1, path << ": " << object_path
                                             << ": expected a 1-D dataset, found rank "
                                             << dims.size());
    KOLMO_INPUT_CHECK(dims[0] == static_cast<hsize_t>(global),
                      path << ": " << object_path << ": holds " << dims[0]
                           << " values, the vector has " << global);
    start = {static_cast<hsize_t>(low)};
    count = {static_cast<hsize_t>(high - low)};
  } else {
    KOLMO_INPUT_CHECK(dims.size() == 2, path << ": " << object_path
                                             << ": expected a 2-D dataset, found rank "
                                             << dims.size());
    KOLMO_CHECK(static_cast<hsize_t>(row) < dims[0], path << ": " << object_path << ": row " << row
                                                          << " out of range (" << dims[0]
                                                          << " rows)");
    KOLMO_INPUT_CHECK(dims[1] == static_cast<hsize_t>(global),
                      path << ": " << object_path << ": rows hold " << dims[1]
                           << " values, the vector has " << global);
    start = {static_cast<hsize_t>(row), static_cast<hsize_t>(low)};
    count = {1, static_cast<hsize_t>(high - low)};
  }
}

}  // namespace

void write_vec(File& file, const std::string& object_path, std::int64_t row, Vec natural) {
  std::vector<hsize_t> start, count;
  vec_block(file, object_path, row, natural, start, count);
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(natural, &values));
  try {
    file.write_block(object_path, start, count, H5T_NATIVE_DOUBLE, values, true);
  } catch (...) {
    VecRestoreArrayRead(natural, &values);
    throw;
  }
  KOLMO_PETSC_CALL(VecRestoreArrayRead(natural, &values));
}

void read_vec(const File& file, const std::string& object_path, std::int64_t row, Vec natural) {
  std::vector<hsize_t> start, count;
  vec_block(file, object_path, row, natural, start, count);
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayWrite(natural, &values));
  try {
    file.read_block(object_path, start, count, H5T_NATIVE_DOUBLE, values, true);
  } catch (...) {
    VecRestoreArrayWrite(natural, &values);
    throw;
  }
  KOLMO_PETSC_CALL(VecRestoreArrayWrite(natural, &values));
}

}  // namespace kolmo::h5

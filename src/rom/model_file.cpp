#include "rom/model_file.hpp"

#include <cstdio>
#include <vector>

#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "core/xdmf.hpp"
#include "rom/basis_vectors.hpp"
#include "rom/online/reduced_model_io.hpp"

namespace kolmo::rom {
namespace {

constexpr const char* kBasis = "/basis";
constexpr const char* kLayout = "/layout";

struct NaturalRows {
  PetscInt start = 0, count = 0;
};

NaturalRows natural_rows(Vec natural) {
  NaturalRows rows;
  PetscInt end = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(natural, &rows.start, &end));
  rows.count = end - rows.start;
  return rows;
}

}  // namespace

void write_model_file(const std::string& path, const ReducedModel& model, BV basis,
                      const operators::ParametrizedProblem& problem,
                      const std::function<void(h5::File&)>& extra) {
  const MPI_Comm comm = problem.comm();
  const int size = model.max_size();
  KOLMO_CHECK(column_count(basis) >= size, "write_model_file: the basis has "
                                               << column_count(basis) << " vectors, the model "
                                               << size);
  const std::string temporary = path + ".partial";
  {
    h5::File file = h5::File::create(comm, temporary, true);
    write_reduced_model(file, model);
    write_field_layout(file, kLayout, problem.field_layout());

    // Each rank writes its rows of the natural ordering, row-major (row i = entry i of every
    // basis vector), in one collective hyperslab write.
    VecHandle natural = problem.create_natural_vector();
    const NaturalRows rows = natural_rows(natural);
    const auto n = static_cast<hsize_t>(problem.global_size());
    file.create_fixed_dataset(kBasis, H5T_IEEE_F64LE, {n, static_cast<hsize_t>(size)}, false,
                              true);
    std::vector<double> block(static_cast<std::size_t>(rows.count) * static_cast<std::size_t>(size));
    for (int j = 0; j < size; ++j) {
      Vec column = nullptr;
      KOLMO_PETSC_CALL(BVGetColumn(basis, j, &column));
      problem.to_natural(column, natural);
      KOLMO_PETSC_CALL(BVRestoreColumn(basis, j, &column));
      const PetscScalar* values = nullptr;
      KOLMO_PETSC_CALL(VecGetArrayRead(natural, &values));
      for (PetscInt i = 0; i < rows.count; ++i)
        block[static_cast<std::size_t>(i) * size + static_cast<std::size_t>(j)] = values[i];
      KOLMO_PETSC_CALL(VecRestoreArrayRead(natural, &values));
    }
    file.write_block(kBasis, {static_cast<hsize_t>(rows.start), 0},
                     {static_cast<hsize_t>(rows.count), static_cast<hsize_t>(size)},
                     H5T_NATIVE_DOUBLE, block.data(), rows.count > 0 && size > 0);
    if (extra) extra(file);
    file.close();
  }
  std::string failure;
  if (comm_rank(comm) == 0 && std::rename(temporary.c_str(), path.c_str()) != 0)
    failure = "cannot rename " + temporary + " to " + path;
  broadcast_string(comm, failure);
  KOLMO_INPUT_CHECK(failure.empty(), failure);
}

BVHandle read_model_basis(const std::string& path, const operators::ParametrizedProblem& problem,
                          int size) {
  h5::File file = h5::File::open(problem.comm(), path, h5::Access::read_only);
  KOLMO_INPUT_CHECK(file.exists(kBasis), path << ": no reduced basis (/basis) in this file; it was "
                                                 "not written by 'kolmo offline'");
  const auto shape = file.shape(kBasis);
  KOLMO_INPUT_CHECK(shape.size() == 2, path << ": /basis is not a 2-D dataset");
  KOLMO_INPUT_CHECK(static_cast<PetscInt>(shape[0]) == problem.global_size(),
                    path << ": the basis vectors have " << shape[0] << " entries, the problem "
                         << problem.global_size() << " unknowns (another discretization?)");
  KOLMO_INPUT_CHECK(size >= 1 && static_cast<hsize_t>(size) <= shape[1],
                    path << ": asked for " << size << " basis vectors, the file holds " << shape[1]);
  VecHandle natural = problem.create_natural_vector();
  const NaturalRows rows = natural_rows(natural);
  std::vector<double> block(static_cast<std::size_t>(rows.count) * static_cast<std::size_t>(size));
  file.read_block(kBasis, {static_cast<hsize_t>(rows.start), 0},
                  {static_cast<hsize_t>(rows.count), static_cast<hsize_t>(size)}, H5T_NATIVE_DOUBLE,
                  block.data(), rows.count > 0);
  VecHandle global = problem.create_vector();
  BVHandle basis = create_basis_vectors(global, size, problem.inner_product());
  for (int j = 0; j < size; ++j) {
    PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(VecGetArray(natural, &values));
    for (PetscInt i = 0; i < rows.count; ++i)
      values[i] = block[static_cast<std::size_t>(i) * size + static_cast<std::size_t>(j)];
    KOLMO_PETSC_CALL(VecRestoreArray(natural, &values));
    problem.from_natural(natural, global);
    KOLMO_PETSC_CALL(BVInsertVec(basis, j, global));
  }
  return basis;
}

}  // namespace kolmo::rom

#pragma once
/// @file
/// PETSc vectors in Kolmo's HDF5 files: each rank writes or reads its ownership range of a
/// natural-ordering Vec as one hyperslab of a dataset, so a file does not depend on the number of
/// ranks that wrote it. Kept apart from core/hdf5_file.hpp, which is PETSc-free (the online stage
/// of a reduced model reads HDF5 files without PETSc).
#include <petscvec.h>

#include <cstdint>
#include <string>

#include "core/hdf5_file.hpp"

namespace kolmo::h5 {

/// Write this rank's ownership range of `natural` (VecGetOwnershipRange) into row `row` of the
/// existing 2-D dataset of doubles `object_path` of `file` (row < 0: into a 1-D dataset), one
/// collective hyperslab write. `natural` lives on a communicator congruent to the file's (any
/// contiguous layout), and its global size equals the row length. Collective.
/// @throws InputError when the dataset's shape does not fit the vector.
void write_vec(File& file, const std::string& object_path, std::int64_t row, Vec natural);

/// Read row `row` (or the 1-D dataset when row < 0) of `object_path` into this rank's ownership
/// range of `natural`, whatever the partition that wrote it. Collective.
/// @throws InputError when the dataset's shape does not fit the vector.
void read_vec(const File& file, const std::string& object_path, std::int64_t row, Vec natural);

}  // namespace kolmo::h5

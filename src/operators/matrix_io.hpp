#pragma once
/// @file
/// Readers and writers of matrices and vectors made by other codes (the nonintrusive path):
/// Matrix Market, PETSc binary and HDF5 (CSR layout, docs/file-formats.md "External matrices").
/// Every reader is collective and returns an object distributed with PETSc's default row layout
/// (PETSC_DECIDE), which depends only on the global size and the number of ranks.
#include <mpi.h>

#include <string>
#include <string_view>

#include "core/petsc_handle.hpp"

namespace kolmo::operators {

/// The file format of an external matrix or vector.
enum class MatrixFormat {
  automatic,      ///< from the file name's extension (see detect_matrix_format)
  matrix_market,  ///< NIST Matrix Market text (.mtx)
  petsc_binary,   ///< PETSc's MatView/VecView binary format (.bin, .petsc, .dat)
  hdf5,           ///< HDF5: CSR datasets indptr/indices/data + shape, or a 1-D dataset (.h5, .hdf5)
};

/// The case-file spelling: "auto", "matrix_market", "petsc_binary", "hdf5".
const char* to_string(MatrixFormat format);

/// Parse the case-file spelling of a format. @throws InputError listing the allowed names.
MatrixFormat parse_matrix_format(std::string_view text);

/// The format of `path` by its extension: .mtx -> matrix_market; .bin, .petsc, .dat ->
/// petsc_binary; .h5, .hdf5 -> hdf5. An HDF5 object suffix ("file.h5:/group") is ignored.
/// @throws InputError naming the path when the extension is none of these.
MatrixFormat detect_matrix_format(const std::string& path);

/// Read a matrix from `path` into a new AIJ matrix on `comm`, rows and columns distributed with
/// PETSC_DECIDE. `format` automatic picks the format by extension. Matrix Market: coordinate
/// real/integer, general/symmetric/skew-symmetric (symmetric files are expanded), 1-based,
/// duplicate entries summed. HDF5: `path` is "file.h5" (CSR datasets at the root) or
/// "file.h5:/group". The caller owns the result.
/// @throws InputError naming the file and, for Matrix Market, the line (for HDF5, the dataset)
/// on a missing file, a wrong banner or header, an index out of range or an entry count that
/// disagrees with the header; identically on every rank. Collective on comm.
MatHandle read_matrix(MPI_Comm comm, const std::string& path,
                      MatrixFormat format = MatrixFormat::automatic);

/// Read a vector from `path` into a new Vec on `comm` (PETSC_DECIDE layout). Matrix Market:
/// array format n x 1 (or 1 x n), or coordinate n x 1 (or 1 x n). HDF5: "file.h5" reads the
/// dataset "/data", "file.h5:/name" the dataset /name, or /name/data when /name is a group; the
/// dataset is 1-D (or 2-D with one dimension 1). The caller owns the result.
/// @throws InputError as read_matrix. Collective on comm.
VecHandle read_vector(MPI_Comm comm, const std::string& path,
                      MatrixFormat format = MatrixFormat::automatic);

/// Write `matrix` as Matrix Market "coordinate real general", 1-based, 17 significant digits
/// (every stored entry, explicit zeros included). Ranks append their rows in turn.
/// @throws Exception when the file cannot be written. Collective on the matrix's communicator.
void write_matrix_market(Mat matrix, const std::string& path);
/// Write `vector` as Matrix Market "array real general" (n x 1). Collective on its communicator.
void write_matrix_market(Vec vector, const std::string& path);

/// Write `matrix` with MatView to a PETSc binary file (no .info side file). Collective.
void write_petsc_binary(Mat matrix, const std::string& path);
/// Write `vector` with VecView to a PETSc binary file (no .info side file). Collective.
void write_petsc_binary(Vec vector, const std::string& path);

/// Write `matrix` in the HDF5 CSR layout into "file.h5" (root group) or "file.h5:/group":
/// int64 datasets indptr and indices (0-based), double dataset data, int64 attribute shape. The
/// file is created if absent, otherwise opened for writing; an existing object of that name is
/// replaced. Parallel HDF5, collective on the matrix's communicator.
void write_hdf5(Mat matrix, const std::string& path);
/// Write `vector` as a 1-D double dataset: "file.h5" writes "/data", "file.h5:/name" writes the
/// dataset /name (groups created as needed). Collective on the vector's communicator.
void write_hdf5(Vec vector, const std::string& path);

}  // namespace kolmo::operators

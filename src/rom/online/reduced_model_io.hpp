#pragma once
/// @file
/// Reading and writing a ReducedModel as one HDF5 file (layout: docs/file-formats.md, "Reduced
/// model files"). PETSc-free; the serial functions make no MPI call, so a model is read and
/// written by a program that never initialises MPI.
#include <Eigen/Dense>

#include <string>

#include "core/hdf5_file.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// The value of the root attribute `kolmo_format` of a reduced model file.
inline constexpr const char* reduced_model_format = "kolmo-reduced-model";
/// The newest layout version this Kolmo writes and reads (root attribute `kolmo_format_version`).
/// Version 2 adds the group /nonaffine_rhs, version 3 the group /operator_eim (the matrix-EIM
/// error of a sampled operator); a model is written with the oldest version that holds what it
/// has, so only the files an older reader would misread (by ignoring an EIM error) are refused by
/// it. Files of versions 1 and 2 are read with no operator EIM error (eps_A = 0).
inline constexpr int reduced_model_format_version = 3;

/// Check that the sizes of `model` agree with each other (every term N x N or N, one expression
/// per term, Gram and orthonormal matrices of the documented sizes, a known estimator and
/// stability kind, a valid parameter box, a non-affine rhs term with matrices of agreeing sizes,
/// at least one indicator point and a positive factor). Not collective.
/// @throws InputError "<where>: <what is inconsistent>".
void check_reduced_model(const ReducedModel& model, const std::string& where);

/// Write `model` to a new file `path` (replaced if it exists) on this process only (serial HDF5).
/// The file is written under a temporary name and renamed into place, so a reader never sees half
/// a model. Not collective; no MPI call.
/// @throws InputError when the model is inconsistent (check_reduced_model) or the file cannot be
/// created; Exception when writing fails.
void write_reduced_model(const ReducedModel& model, const std::string& path);

/// Write `model` into `file`, which must be new (empty) and writable: root attributes, then the
/// groups and datasets of the layout. For a collective file every rank passes the same model and
/// the data is taken from rank 0 (HDF5's rules, see core/hdf5_file.hpp): the offline stage uses
/// this to write the model and its distributed basis (/basis) into one file. Collective for a
/// collective file.
void write_reduced_model(h5::File& file, const ReducedModel& model);

/// Read the model stored in the file `path` (serial HDF5). Not collective; no MPI call.
/// @throws InputError naming the file and the dataset when the file is missing, is not a reduced
/// model file, has a newer format version, or holds datasets of inconsistent sizes.
ReducedModel read_reduced_model(const std::string& path);

/// Read the model stored in an open file. Collective for a collective file.
/// @throws InputError as read_reduced_model(path).
ReducedModel read_reduced_model(const h5::File& file);

/// True iff the file holds the reduced basis (the dataset /basis, written by the offline stage).
bool has_reduced_basis(const h5::File& file);

/// The first `size` basis vectors as the columns of an n x size matrix, from the dataset /basis of
/// shape [n, N] (row i = the natural-ordering entry i of every basis vector). Reads on this
/// process; memory n x size doubles. Collective for a collective file.
/// @throws InputError when /basis is missing or has fewer than `size` columns.
Eigen::MatrixXd read_reduced_basis(const h5::File& file, int size);

}  // namespace kolmo::rom

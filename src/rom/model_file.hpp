#pragma once
/// @file
/// The reduced model file as the offline stage writes it: the model (reduced_model_io.hpp) plus
/// the basis vectors in natural ordering as the dataset /basis of shape [n, N] (row i holds entry
/// i of every basis vector) and the field layout under /layout, for `kolmo online --field`.
/// Written collectively, each rank its rows; nothing in the file depends on the number of ranks.
#include <functional>
#include <string>

#include "core/hdf5_file.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// Write `model` and the first model.max_size() columns of `basis` (PETSc ordering of `problem`)
/// to `path`, replacing it: written under a temporary name and renamed into place once complete,
/// so a crash never leaves half a model under the final name. `extra`, if set, is called with the
/// open (collective) file before it is closed, to add further groups (e.g. /surrogate, see
/// rom/online/chebyshev_tucker_surrogate.hpp) inside the same atomic write; it must make the same
/// HDF5 calls on every rank. Collective on the problem's comm.
/// @throws InputError when the file cannot be created; Exception when writing fails.
void write_model_file(const std::string& path, const ReducedModel& model, BV basis,
                      const operators::ParametrizedProblem& problem,
                      const std::function<void(h5::File&)>& extra = {});

/// The first `size` basis vectors of the model file `path` as a new BV in the PETSc ordering of
/// `problem`, X-orthonormal as written (the caller owns it). Collective on the problem's comm.
/// @throws InputError when the file has no /basis, fewer than `size` vectors, or vectors of
/// another length than the problem's unknowns.
BVHandle read_model_basis(const std::string& path, const operators::ParametrizedProblem& problem,
                          int size);

}  // namespace kolmo::rom

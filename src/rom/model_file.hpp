#pragma once
/// @file
/// The reduced model file as the offline stage writes it: the model (reduced_model_io.hpp) plus
/// the basis vectors in natural ordering as the dataset /basis of shape [n, N] (row i holds entry
/// i of every basis vector) and the field layout under /layout, for `kolmo online --field`.
/// Written collectively, each rank its rows; nothing in the file depends on the number of ranks.
#include <string>

#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::rom {

/// Write `model` and the first model.max_size() columns of `basis` (PETSc ordering of `problem`)
/// to `path`, replacing it: written under a temporary name and renamed into place once complete,
/// so a crash never leaves half a model under the final name. Collective on the problem's comm.
/// @throws InputError when the file cannot be created; Exception when writing fails.
void write_model_file(const std::string& path, const ReducedModel& model, BV basis,
                      const operators::ParametrizedProblem& problem);

/// The first `size` basis vectors of the model file `path` as a new BV in the PETSc ordering of
/// `problem`, X-orthonormal as written (the caller owns it). Collective on the problem's comm.
/// @throws InputError when the file has no /basis, fewer than `size` vectors, or vectors of
/// another length than the problem's unknowns.
BVHandle read_model_basis(const std::string& path, const operators::ParametrizedProblem& problem,
                          int size);

}  // namespace kolmo::rom

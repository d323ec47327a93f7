#pragma once
/// @file
/// The built-in problems by name: builds the problem a case file describes, or only checks its
/// `problem:` settings (for `kolmo check`).
#include <mpi.h>

#include <memory>

#include "core/case_file.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::operators {

/// Build the problem of `c.problem.type` (thermal_block, advection_diffusion, elasticity,
/// helmholtz, external, gaussian) on `comm`; the caller owns it. Collective on comm.
/// @throws InputError on invalid settings, or for a type this build cannot make.
std::unique_ptr<ParametrizedProblem> make_problem(MPI_Comm comm, const CaseFile& c);

/// Read and check the `problem:` settings of `c` without assembling anything. Not collective.
/// @throws InputError exactly as make_problem would for the same settings.
void validate_problem_settings(const CaseFile& c);

}  // namespace kolmo::operators

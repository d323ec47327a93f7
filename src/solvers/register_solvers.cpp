#include "solvers/register_solvers.hpp"

#include <petscksp.h>

#include "core/error.hpp"
#include "solvers/ksp_gcrodr.hpp"
#include "solvers/ksp_rcg.hpp"

namespace kolmo {
namespace {

// Registers `create` under `name` unless PETSc's KSP list already has it. Looking the name up
// (rather than keeping a static flag) stays right when PETSc is finalised and initialised again
// in one process, which empties the list.
void register_once(const char* name, PetscErrorCode (*create)(KSP)) {
  KOLMO_PETSC_CALL(KSPInitializePackage());
  PetscErrorCode (*existing)(KSP) = nullptr;
  KOLMO_PETSC_CALL(PetscFunctionListFind(KSPList, name, &existing));
  if (!existing) KOLMO_PETSC_CALL(KSPRegister(name, create));
}

}  // namespace

void register_solvers() {
  register_once(solvers::ksp_type_gcrodr, solvers::ksp_create_gcrodr);
  register_once(solvers::ksp_type_rcg, solvers::ksp_create_rcg);
}

}  // namespace kolmo

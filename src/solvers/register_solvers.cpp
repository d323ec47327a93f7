#include "solvers/register_solvers.hpp"

#include <petscksp.h>

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "solvers/ksp_gcrodr.hpp"
#include "solvers/ksp_rcg.hpp"
#include "solvers/learned_ic_model.hpp"
#include "solvers/pc_learned.hpp"
#include "solvers/pc_polynomial.hpp"

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

void register_pc_once(const char* name, PetscErrorCode (*create)(PC)) {
  KOLMO_PETSC_CALL(PCInitializePackage());
  PetscErrorCode (*existing)(PC) = nullptr;
  KOLMO_PETSC_CALL(PetscFunctionListFind(PCList, name, &existing));
  if (!existing) KOLMO_PETSC_CALL(PCRegister(name, create));
}

}  // namespace

void register_solvers() {
  register_once(solvers::ksp_type_gcrodr, solvers::ksp_create_gcrodr);
  register_once(solvers::ksp_type_rcg, solvers::ksp_create_rcg);
  register_pc_once(solvers::pc_type_learned, solvers::pc_create_learned);
  register_pc_once(solvers::pc_type_polynomial, solvers::pc_create_polynomial);
  // Built-in learned models; a user's own models are registered the same way.
  const auto names = solvers::learned_model_names();
  if (std::find(names.begin(), names.end(), solvers::LearnedIcModel::type_name) == names.end())
    solvers::register_learned_model(solvers::LearnedIcModel::type_name,
                                    [] { return std::make_unique<solvers::LearnedIcModel>(); });
}

}  // namespace kolmo

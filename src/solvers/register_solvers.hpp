#pragma once
/// @file
/// Registration of Kolmo's Krylov solvers as PETSc KSP types.

namespace kolmo {

/// Register Kolmo's KSP types with PETSc so that KSPSetType and -ksp_type accept them:
/// "gcrodr" (GCRO-DR, solvers/ksp_gcrodr.hpp) and "rcg" (recycled CG, solvers/ksp_rcg.hpp).
/// Call once after PETSc is initialised (kolmo::Environment or PetscInitialize) and before
/// KSPSetFromOptions reads -ksp_type; further calls do nothing. Not collective.
/// @throws kolmo::PetscException if PETSc refuses the registration.
void register_solvers();

}  // namespace kolmo

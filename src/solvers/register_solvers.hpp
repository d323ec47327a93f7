#pragma once
/// @file
/// Registration of Kolmo's Krylov solvers and preconditioners with PETSc, and of the built-in
/// learned preconditioner models.

namespace kolmo {

/// Register Kolmo's solver pieces so that PETSc's type names and options accept them:
/// - KSP types (KSPSetType, -ksp_type): "gcrodr" (GCRO-DR, solvers/ksp_gcrodr.hpp) and "rcg"
///   (recycled CG, solvers/ksp_rcg.hpp);
/// - PC types (PCSetType, -pc_type): "kolmo_learned" (a preconditioner that delegates to a
///   learned model, solvers/pc_learned.hpp) and "kolmo_poly" (Chebyshev or least-squares
///   polynomial preconditioner, solvers/pc_polynomial.hpp);
/// - learned models (solvers::create_learned_model, -pc_kolmo_learned_model): "learned_ic"
///   (learned incomplete Cholesky, solvers/learned_ic_model.hpp), the default model of
///   "kolmo_learned".
/// Call once after PETSc is initialised (kolmo::Environment or PetscInitialize) and before
/// KSPSetFromOptions reads -ksp_type or -pc_type; further calls do nothing (each name is looked
/// up first, so this stays right if PETSc is finalised and initialised again). Not collective,
/// but call it identically on every rank so that all ranks know the same names.
/// @throws kolmo::PetscException if PETSc refuses the registration.
void register_solvers();

}  // namespace kolmo

#pragma once
/// @file
/// The PETSc preconditioner type "kolmo_learned": delegates setup and application to a
/// kolmo::solvers::LearnedModel (solvers/learned_model.hpp) chosen by name.
///
/// Usage: call kolmo::register_solvers() once, then PCSetType(pc, "kolmo_learned") or
/// -pc_type kolmo_learned. Options database keys (with the PC's prefix):
///   -pc_kolmo_learned_model <learned_ic>  registered model name (learned_model_names())
///   -pc_kolmo_learned_file <file.h5>      weights written by LearnedModel::save (default: the
///                                         model's unfitted starting weights)
/// Or hand a fitted model over in code with learned_pc_set_model().
///
/// Pairing: a model whose symmetric_positive() is false (nonlinear or nonsymmetric) must be used
/// with a flexible Krylov method (fcg, fgmres, gcrodr). The PC cannot see its KSP, so it checks
/// what it can: at setup it reads -<prefix>ksp_type from the options database and prints a warning
/// on stderr when it names a non-flexible method; learned_pc_pairing_warning(ksp) gives the same
/// verdict for a KSP configured in code and check_learned_pc_pairing(ksp) prints it.
#include <petscksp.h>

#include <functional>
#include <memory>
#include <string>

#include "solvers/learned_model.hpp"

namespace kolmo::solvers {

/// The PETSc type name, valid after kolmo::register_solvers().
inline constexpr const char* pc_type_learned = "kolmo_learned";
/// The default model name.
inline constexpr const char* default_learned_model = "learned_ic";

/// The PCCreate_ routine for PCRegister (kolmo::register_solvers() registers it). Called by PETSc
/// through PCSetType; returns a PETSc error code, never throws.
PetscErrorCode pc_create_learned(PC pc);

/// Use `model` (shared; it must outlive its use by the PC) in the kolmo_learned `pc`, replacing
/// the one named by options; the next PCSetUp calls model->setup. Logically collective.
/// @throws kolmo::Exception if `pc` is not of type kolmo_learned.
void learned_pc_set_model(PC pc, std::shared_ptr<LearnedModel> model);
/// The model of a kolmo_learned `pc` (nullptr before setup unless set). Not collective.
/// @throws kolmo::Exception if `pc` is not of type kolmo_learned.
std::shared_ptr<LearnedModel> learned_pc_model(PC pc);

/// Creates the model of one sub-preconditioner (see learned_pc_set_sub_models).
using SubModelFactory = std::function<std::shared_ptr<LearnedModel>()>;

/// Give each kolmo_learned sub-PC of the block preconditioner `outer` (PCASM or PCBJACOBI) on this
/// process a model of its own from `make`, so that the learned factor can be the subdomain solver
/// of additive Schwarz with overlap, -pc_type asm -sub_pc_type kolmo_learned (with CG use
/// -pc_asm_type basic: PETSc's default restricted variant is not symmetric). Each
/// sub-PC gets a separate model because a model holds the factor of the matrix it was set up on.
/// Call it after PCSetUp(outer) (KSPSetUp) and before the sub-PCs are set up (KSPSetUpOnBlocks or
/// the first solve). Sub-PCs of other types are left alone. Returns how many sub-PCs on this
/// process got a model. Not collective (the sub-PCs live on PETSC_COMM_SELF). Without code, the
/// options -sub_pc_kolmo_learned_model / -sub_pc_kolmo_learned_file do the same.
/// @throws kolmo::Exception if `outer` is neither PCASM nor PCBJACOBI or is not set up.
int learned_pc_set_sub_models(PC outer, const SubModelFactory& make);

/// Empty when `ksp` may use its preconditioner as it is; otherwise a sentence saying that the
/// kolmo_learned model is not symmetric positive definite and that the KSP type is not flexible.
/// The PC must have been set up (KSPSetUp). Not collective.
std::string learned_pc_pairing_warning(KSP ksp);
/// Print learned_pc_pairing_warning(ksp) on stderr (rank 0 of the KSP) if it is not empty and
/// return whether it was. Collective on ksp.
bool check_learned_pc_pairing(KSP ksp);

}  // namespace kolmo::solvers

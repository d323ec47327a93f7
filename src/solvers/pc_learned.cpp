// The kolmo_learned PC, written as PETSc writes its own PC types (ops table, data in pc->data).
#include "solvers/pc_learned.hpp"

#include <petsc/private/pcimpl.h>

#include <array>
#include <cstring>
#include <sstream>
#include <utility>

#include "core/error.hpp"

namespace kolmo::solvers {
namespace {

struct LearnedPc {
  std::shared_ptr<LearnedModel> model;
  std::string model_name = default_learned_model;
  std::string file;
  bool warned = false;
};

LearnedPc* data_of(PC pc) { return static_cast<LearnedPc*>(pc->data); }

bool is_learned(PC pc) {
  PetscBool match = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), pc_type_learned, &match));
  return match == PETSC_TRUE;
}

// KSP types that need a fixed SPD preconditioner (or at least a fixed linear one).
bool needs_spd_preconditioner(const std::string& ksp_type) {
  static constexpr std::array<const char*, 9> types = {"cg", "rcg", "pipecg", "pipecgrr", "cr",
                                                       "pipecr", "minres", "symmlq", "groppcg"};
  for (const char* t : types)
    if (ksp_type == t) return true;
  return false;
}

std::string warning_text(const std::string& model, const std::string& ksp_type) {
  std::ostringstream out;
  out << "kolmo_learned: model '" << model
      << "' is not a fixed symmetric positive definite operator, but the KSP type is '" << ksp_type
      << "'; use a flexible method (-ksp_type fcg, fgmres or gcrodr), or CG may stagnate or "
         "diverge";
  return out.str();
}

PetscErrorCode PCSetUp_Learned(PC pc) {
  LearnedPc* d = data_of(pc);
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] {
    const MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(pc));
    if (!d->model) {
      auto model = create_learned_model(d->model_name);
      if (!d->file.empty()) model->load(comm, d->file);
      d->model = std::move(model);
    }
    d->model->setup(pc->pmat);
    if (!d->model->symmetric_positive() && !d->warned) {
      const char* prefix = nullptr;
      KOLMO_PETSC_CALL(PCGetOptionsPrefix(pc, &prefix));
      std::array<char, 64> type{};
      PetscBool set = PETSC_FALSE;
      KOLMO_PETSC_CALL(PetscOptionsGetString(reinterpret_cast<PetscObject>(pc)->options, prefix,
                                             "-ksp_type", type.data(), type.size(), &set));
      if (set && needs_spd_preconditioner(type.data())) {
        const std::string text = warning_text(d->model->name(), type.data());
        KOLMO_PETSC_CALL(PetscFPrintf(comm, PETSC_STDERR, "WARNING: %s\n", text.c_str()));
        d->warned = true;
      }
    }
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCApply_Learned(PC pc, Vec r, Vec z) {
  LearnedPc* d = data_of(pc);
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { d->model->apply(r, z); }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCSetFromOptions_Learned(PC pc, PetscOptionItems* PetscOptionsObject) {
  LearnedPc* d = data_of(pc);
  std::array<char, PETSC_MAX_PATH_LEN> model{}, file{};
  PetscBool model_set = PETSC_FALSE, file_set = PETSC_FALSE;
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Kolmo learned preconditioner options");
  PetscCall(PetscOptionsString("-pc_kolmo_learned_model", "registered model name", "PCKOLMOLEARNED",
                               d->model_name.c_str(), model.data(), model.size(), &model_set));
  PetscCall(PetscOptionsString("-pc_kolmo_learned_file", "HDF5 file of fitted weights",
                               "PCKOLMOLEARNED", d->file.c_str(), file.data(), file.size(),
                               &file_set));
  PetscOptionsHeadEnd();
  PetscCall(kolmo::petsc_callback([&] {
    if (model_set && d->model_name != model.data()) {
      d->model_name = model.data();
      d->model.reset();
    }
    if (file_set && d->file != file.data()) {
      d->file = file.data();
      d->model.reset();
    }
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCView_Learned(PC pc, PetscViewer viewer) {
  LearnedPc* d = data_of(pc);
  PetscBool ascii = PETSC_FALSE;
  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  if (ascii) {
    const std::string name = d->model ? d->model->name() : d->model_name;
    PetscCall(PetscViewerASCIIPrintf(viewer, "  model: %s%s\n", name.c_str(),
                                     d->model && !d->model->symmetric_positive()
                                         ? " (not SPD: use a flexible KSP)"
                                         : ""));
    if (!d->file.empty()) PetscCall(PetscViewerASCIIPrintf(viewer, "  weights from: %s\n", d->file.c_str()));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDestroy_Learned(PC pc) {
  PetscFunctionBegin;
  delete data_of(pc);
  pc->data = nullptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

PetscErrorCode pc_create_learned(PC pc) {
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { pc->data = new LearnedPc(); }));
  pc->ops->setup = PCSetUp_Learned;
  pc->ops->apply = PCApply_Learned;
  pc->ops->setfromoptions = PCSetFromOptions_Learned;
  pc->ops->view = PCView_Learned;
  pc->ops->destroy = PCDestroy_Learned;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void learned_pc_set_model(PC pc, std::shared_ptr<LearnedModel> model) {
  KOLMO_CHECK(is_learned(pc), "learned_pc_set_model: the PC is not of type " << pc_type_learned);
  KOLMO_CHECK(model != nullptr, "learned_pc_set_model: no model");
  LearnedPc* d = data_of(pc);
  d->model_name = model->name();
  d->model = std::move(model);
  d->warned = false;
  // Force PCSetUp to call the new model's setup even if the operator did not change.
  pc->setupcalled = 0;
}

std::shared_ptr<LearnedModel> learned_pc_model(PC pc) {
  KOLMO_CHECK(is_learned(pc), "learned_pc_model: the PC is not of type " << pc_type_learned);
  return data_of(pc)->model;
}

int learned_pc_set_sub_models(PC outer, const SubModelFactory& make) {
  const auto object = reinterpret_cast<PetscObject>(outer);
  PetscBool is_asm = PETSC_FALSE, is_bjacobi = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(object, PCASM, &is_asm));
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(object, PCBJACOBI, &is_bjacobi));
  KOLMO_CHECK(is_asm || is_bjacobi, "learned_pc_set_sub_models: the PC is of type '"
                                        << (object->type_name ? object->type_name : "(none)")
                                        << "', not " << PCASM << " or " << PCBJACOBI);
  KOLMO_CHECK(outer->setupcalled, "learned_pc_set_sub_models: call it after PCSetUp (KSPSetUp) of "
                                  "the outer PC, which creates the sub-KSPs");
  PetscInt count = 0;
  KSP* sub = nullptr;
  if (is_asm)
    KOLMO_PETSC_CALL(PCASMGetSubKSP(outer, &count, nullptr, &sub));
  else
    KOLMO_PETSC_CALL(PCBJacobiGetSubKSP(outer, &count, nullptr, &sub));
  int set = 0;
  for (PetscInt i = 0; i < count; ++i) {
    PC pc = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(sub[i], &pc));
    if (!is_learned(pc)) continue;
    learned_pc_set_model(pc, make());
    ++set;
  }
  return set;
}

std::string learned_pc_pairing_warning(KSP ksp) {
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  if (!is_learned(pc)) return {};
  const auto model = data_of(pc)->model;
  if (!model || model->symmetric_positive()) return {};
  KSPType type = nullptr;
  KOLMO_PETSC_CALL(KSPGetType(ksp, &type));
  if (!type || !needs_spd_preconditioner(type)) return {};
  return warning_text(model->name(), type);
}

bool check_learned_pc_pairing(KSP ksp) {
  const std::string text = learned_pc_pairing_warning(ksp);
  if (text.empty()) return false;
  KOLMO_PETSC_CALL(PetscFPrintf(PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_STDERR,
                                "WARNING: %s\n", text.c_str()));
  return true;
}

}  // namespace kolmo::solvers

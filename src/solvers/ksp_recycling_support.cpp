#include "solvers/ksp_recycling_support.hpp"

#include "core/error.hpp"

namespace kolmo::solvers::recycling {

PetscErrorCode current_operator_key(KSP ksp, OperatorKey* key) {
  Mat amat = nullptr, pmat = nullptr;
  PetscFunctionBegin;
  PetscCall(PCGetOperators(ksp->pc, &amat, &pmat));
  PetscCall(PetscObjectGetId(reinterpret_cast<PetscObject>(amat), &key->amat_id));
  PetscCall(PetscObjectStateGet(reinterpret_cast<PetscObject>(amat), &key->amat_state));
  PetscCall(PetscObjectGetId(reinterpret_cast<PetscObject>(pmat), &key->pmat_id));
  PetscCall(PetscObjectStateGet(reinterpret_cast<PetscObject>(pmat), &key->pmat_state));
  key->side = ksp->pc_side;
  key->transpose = ksp->transpose_solve;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode destroy_vecs(PetscInt n, Vec** vecs) {
  PetscFunctionBegin;
  if (*vecs) PetscCall(VecDestroyVecs(n, vecs));
  *vecs = nullptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode check_norm(KSP ksp, PetscReal value) {
  PetscFunctionBegin;
  KSPCheckNorm(ksp, value);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode check_dot(KSP ksp, PetscScalar value) {
  PetscFunctionBegin;
  KSPCheckDot(ksp, value);
  PetscFunctionReturn(PETSC_SUCCESS);
}

bool diverged_on_nan(KSP ksp) {
  return ksp->reason == KSP_DIVERGED_NANORINF || ksp->reason == KSP_DIVERGED_PC_FAILED;
}

bool is_type(KSP ksp, const char* type) {
  PetscBool same = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ksp), type, &same));
  return same == PETSC_TRUE;
}

void require_type(KSP ksp, const char* type) {
  KOLMO_CHECK(ksp != nullptr, type << ": null KSP");
  KSPType actual = nullptr;
  KOLMO_PETSC_CALL(KSPGetType(ksp, &actual));
  KOLMO_CHECK(is_type(ksp, type), type << ": the KSP is of type '" << (actual ? actual : "(not set)")
                                        << "', not '" << type << "'");
}

}  // namespace kolmo::solvers::recycling

#pragma once
/// @file
/// What Kolmo's recycling KSP implementations (gcrodr, rcg) share: the key that tells whether the
/// preconditioned operator changed since the recycle space was fitted, NaN/Inf checks that set
/// PETSc's diverged reasons, and the type check behind their public accessors. Internal to
/// src/solvers: it includes PETSc's private KSP header and is not installed.

#include <petsc/private/kspimpl.h>

namespace kolmo::solvers::recycling {

/// What a recycle space was fitted to: the preconditioned operator depends on both matrices
/// (identity and state, so an in-place change counts), the PC side and transposition.
struct OperatorKey {
  PetscObjectId amat_id = 0, pmat_id = 0;
  PetscObjectState amat_state = -1, pmat_state = -1;
  PCSide side = PC_SIDE_DEFAULT;
  PetscBool transpose = PETSC_FALSE;
  bool operator==(const OperatorKey&) const = default;
};

/// The key of `ksp`'s current operators. Not collective.
PetscErrorCode current_operator_key(KSP ksp, OperatorKey* key);

/// VecDestroyVecs on `*vecs` (n vectors) if it is set, then nulls it. Collective.
PetscErrorCode destroy_vecs(PetscInt n, Vec** vecs);

/// Sets ksp->reason and returns when `value` is NaN or Inf (PETSc's KSPCheckNorm /
/// KSPCheckDot, which also tell a failed preconditioner apart from a NaN in the data).
/// Collective (the value is a global reduction, so every rank decides alike).
PetscErrorCode check_norm(KSP ksp, PetscReal value);
PetscErrorCode check_dot(KSP ksp, PetscScalar value);  ///< @copydoc check_norm

/// True when a check above stopped the solve.
bool diverged_on_nan(KSP ksp);

/// True when `ksp` is of type `type`. Not collective.
bool is_type(KSP ksp, const char* type);

/// Throws kolmo::Error (naming the actual type) unless `ksp` is non-null and of type `type`.
/// For public accessors that only make sense on one KSP type. Not collective.
void require_type(KSP ksp, const char* type);

}  // namespace kolmo::solvers::recycling

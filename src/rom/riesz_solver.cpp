#include "rom/riesz_solver.hpp"

namespace kolmo::rom {

RieszSolver::RieszSolver(Mat inner_product, std::string prefix, PetscInt direct_limit) {
  PetscInt n = 0;
  KOLMO_PETSC_CALL(MatGetSize(inner_product, &n, nullptr));
  KOLMO_PETSC_CALL(KSPCreate(object_comm(inner_product), ksp_.out()));
  KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp_, prefix.c_str()));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp_, inner_product, inner_product));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp_, &pc));
  if (n < direct_limit) {
    KOLMO_PETSC_CALL(KSPSetType(ksp_, KSPPREONLY));
    KOLMO_PETSC_CALL(PCSetType(pc, PCCHOLESKY));
    KOLMO_PETSC_CALL(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
    description_ = "MUMPS Cholesky";
  } else {
    KOLMO_PETSC_CALL(KSPSetType(ksp_, KSPCG));
    KOLMO_PETSC_CALL(PCSetType(pc, PCGAMG));
    KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, 1e-13, 1e-300, PETSC_DEFAULT, 20000));
    KOLMO_PETSC_CALL(KSPSetNormType(ksp_, KSP_NORM_UNPRECONDITIONED));
    description_ = "CG + GAMG (rtol 1e-13)";
  }
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp_));
  KOLMO_PETSC_CALL(KSPSetUp(ksp_));
}

void RieszSolver::solve(Vec g, Vec out) const {
  KOLMO_PETSC_CALL(KSPSolve(ksp_, g, out));
  check_converged();
}

void RieszSolver::solve(Mat g, Mat out) const {
  KOLMO_PETSC_CALL(KSPMatSolve(ksp_, g, out));
  check_converged();
}

void RieszSolver::check_converged() const {
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp_, &reason));
  if (reason < 0) {
    PetscInt iterations = 0;
    KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp_, &iterations));
    KOLMO_CHECK(false, "Riesz representer solve with the inner-product matrix X ("
                           << description_ << ") failed: " << KSPConvergedReasons[reason]
                           << " after " << iterations
                           << " iterations; the error bound needs accurate representers, try "
                              "-riesz_ksp_type preonly -riesz_pc_type cholesky");
  }
}

}  // namespace kolmo::rom

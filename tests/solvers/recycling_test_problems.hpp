#pragma once
// Small test systems for the recycling Krylov solvers: 5-point finite-difference matrices on an
// n x n grid (Dirichlet boundary), built by hand with MatCreateAIJ on any communicator so that the
// same system can be solved distributed and on PETSC_COMM_SELF, plus deterministic vectors that do
// not depend on the number of ranks.
#include <petscksp.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/petsc_handle.hpp"

namespace kolmo::testing {

/// 5-point matrix on an n x n grid: 4 + shift(g) on the diagonal, -1 - c to the west and south,
/// -1 + c to the east and north (c = 0: the SPD Laplacian; c != 0: central differences of
/// convection-diffusion with cell Peclet number 2c, nonsymmetric). Collective on comm.
inline MatHandle grid_matrix(MPI_Comm comm, PetscInt n, PetscReal c = 0.0,
                             const std::function<PetscReal(PetscInt)>& shift = {}) {
  MatHandle a;
  const PetscInt size = n * n;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, size, size, 5, nullptr, 4, nullptr, a.out()));
  KOLMO_PETSC_CALL(MatSetOption(a, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  for (PetscInt row = low; row < high; ++row) {
    const PetscInt i = row % n, j = row / n;
    std::vector<PetscInt> cols;
    std::vector<PetscScalar> values;
    auto add = [&](PetscInt col, PetscScalar v) {
      cols.push_back(col);
      values.push_back(v);
    };
    if (j > 0) add(row - n, -1.0 - c);
    if (i > 0) add(row - 1, -1.0 - c);
    add(row, 4.0 + (shift ? shift(row) : 0.0));
    if (i + 1 < n) add(row + 1, -1.0 + c);
    if (j + 1 < n) add(row + n, -1.0 + c);
    KOLMO_PETSC_CALL(MatSetValues(a, 1, &row, static_cast<PetscInt>(cols.size()), cols.data(),
                                  values.data(), INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

/// A pseudo-random value in [-1, 1) determined by (global index, seed) only.
inline PetscReal hashed_value(PetscInt global, unsigned seed) {
  std::uint64_t x = static_cast<std::uint64_t>(global) * 0x9E3779B97F4A7C15ULL + seed * 0xBF58476D1CE4E5B9ULL + 1;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return static_cast<PetscReal>(x >> 11) / static_cast<PetscReal>(1ULL << 52) - 1.0;
}

/// A vector compatible with `a` with entries f(global index). Collective.
inline VecHandle make_vector(Mat a, const std::function<PetscReal(PetscInt)>& f) {
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(a, v.out(), nullptr));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  PetscScalar* x = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(v, &x));
  for (PetscInt g = low; g < high; ++g) x[g - low] = f(g);
  KOLMO_PETSC_CALL(VecRestoreArray(v, &x));
  return v;
}

/// A pseudo-random right-hand side, the same on any number of ranks. Collective.
inline VecHandle random_vector(Mat a, unsigned seed) {
  return make_vector(a, [seed](PetscInt g) { return hashed_value(g, seed); });
}

/// ||b - A x|| / ||b||. Collective.
inline PetscReal relative_residual(Mat a, Vec b, Vec x) {
  VecHandle r;
  KOLMO_PETSC_CALL(VecDuplicate(b, r.out()));
  KOLMO_PETSC_CALL(MatMult(a, x, r));
  KOLMO_PETSC_CALL(VecAYPX(r, -1.0, b));
  PetscReal rn = 0, bn = 0;
  KOLMO_PETSC_CALL(VecNorm(r, NORM_2, &rn));
  KOLMO_PETSC_CALL(VecNorm(b, NORM_2, &bn));
  return bn > 0 ? rn / bn : rn;
}

/// ||x - y|| / ||y||. Collective.
inline PetscReal relative_difference(Vec x, Vec y) {
  VecHandle d;
  KOLMO_PETSC_CALL(VecDuplicate(x, d.out()));
  KOLMO_PETSC_CALL(VecWAXPY(d, -1.0, y, x));
  PetscReal dn = 0, yn = 0;
  KOLMO_PETSC_CALL(VecNorm(d, NORM_2, &dn));
  KOLMO_PETSC_CALL(VecNorm(y, NORM_2, &yn));
  return yn > 0 ? dn / yn : dn;
}

/// The entries of a distributed vector, gathered on every rank. Collective.
inline std::vector<PetscReal> gather_all(Vec x) {
  VecScatterHandle scatter;
  VecHandle all;
  KOLMO_PETSC_CALL(VecScatterCreateToAll(x, scatter.out(), all.out()));
  KOLMO_PETSC_CALL(VecScatterBegin(scatter, x, all, INSERT_VALUES, SCATTER_FORWARD));
  KOLMO_PETSC_CALL(VecScatterEnd(scatter, x, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(all, &n));
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(all, &values));
  std::vector<PetscReal> out(values, values + n);
  KOLMO_PETSC_CALL(VecRestoreArrayRead(all, &values));
  return out;
}

/// A KSP of `type` on `a` with tolerances rtol/atol=0/max_it and PC `pc_type`, options prefix
/// `prefix` (so that tests can set options without touching other KSPs). Collective.
inline KSPHandle make_ksp(Mat a, const char* type, const char* pc_type, PetscReal rtol,
                          PetscInt max_it = 10000, const char* prefix = nullptr) {
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(PetscObjectComm(reinterpret_cast<PetscObject>(a)), ksp.out()));
  if (prefix) KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp, prefix));
  KOLMO_PETSC_CALL(KSPSetType(ksp, type));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, pc_type));
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp, rtol, 0.0, PETSC_DEFAULT, max_it));
  return ksp;
}

/// Solve and return the iteration count; `reason` receives PETSc's reason. Collective.
inline PetscInt solve(KSP ksp, Vec b, Vec x, KSPConvergedReason* reason = nullptr) {
  KOLMO_PETSC_CALL(KSPSolve(ksp, b, x));
  PetscInt its = 0;
  KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp, &its));
  KSPConvergedReason r = KSP_CONVERGED_ITERATING;
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp, &r));
  if (reason) *reason = r;
  return its;
}

}  // namespace kolmo::testing

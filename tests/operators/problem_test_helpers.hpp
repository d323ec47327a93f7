#pragma once
// Shared pieces of the built-in problem tests: exact solves, convergence orders, random vectors
// and parameter spaces built in code.
#include <petscksp.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::testing {

/// A parameter space of `names`, each in [min, max], linear scale.
inline ParameterSpace make_space(const std::vector<std::string>& names, double min, double max) {
  std::vector<Parameter> parameters;
  for (const auto& name : names) parameters.push_back({name, min, max, Scale::linear});
  return ParameterSpace(parameters);
}

/// Solve matrix u = rhs with a direct LU (MUMPS, which factors in parallel), so that the result
/// does not depend on the number of ranks beyond rounding. Collective.
inline void solve_direct(Mat matrix, Vec rhs, Vec u) {
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(object_comm(matrix), ksp.out()));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, matrix, matrix));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPPREONLY));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, PCLU));
  KOLMO_PETSC_CALL(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
  KOLMO_PETSC_CALL(KSPSolve(ksp, rhs, u));
  KSPConvergedReason reason;
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp, &reason));
  KOLMO_CHECK(reason > 0, "direct solve failed: " << KSPConvergedReasons[reason]);
}

/// Solve the problem's truth system A(mu) u = f(mu) directly; returns u. Collective.
inline VecHandle solve_problem(const operators::ParametrizedProblem& problem, const Mu& mu) {
  MatHandle a;
  problem.assemble_operator(mu, a);
  VecHandle f = problem.create_vector(), u = problem.create_vector();
  problem.assemble_rhs(mu, f);
  solve_direct(a, f, u);
  return u;
}

/// Observed orders log2(e[i-1] / e[i]) of errors on grids halved one after another.
inline std::vector<double> observed_orders(const std::vector<double>& errors) {
  std::vector<double> orders;
  for (std::size_t i = 1; i < errors.size(); ++i)
    orders.push_back(std::log2(errors[i - 1] / errors[i]));
  return orders;
}

/// A vector with the layout of `like` and reproducible random entries. Collective.
inline VecHandle random_vector(Vec like, unsigned long seed) {
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(like, x.out()));
  PetscRandom random = nullptr;
  KOLMO_PETSC_CALL(PetscRandomCreate(object_comm(like), &random));
  KOLMO_PETSC_CALL(PetscRandomSetSeed(random, seed));
  KOLMO_PETSC_CALL(PetscRandomSeed(random));
  KOLMO_PETSC_CALL(PetscRandomSetInterval(random, -1.0, 1.0));
  KOLMO_PETSC_CALL(VecSetRandom(x, random));
  KOLMO_PETSC_CALL(PetscRandomDestroy(&random));
  return x;
}

/// ||a - b||_inf / max(||b||_inf, tiny) for two matrices applied to the same random vectors.
/// Collective.
inline double relative_action_difference(Mat a, Mat b, int probes = 3) {
  VecHandle x, ya, yb;
  KOLMO_PETSC_CALL(MatCreateVecs(a, x.out(), ya.out()));
  KOLMO_PETSC_CALL(VecDuplicate(ya, yb.out()));
  double worst = 0;
  for (int k = 0; k < probes; ++k) {
    VecHandle r = random_vector(x, 17 + 31 * k);
    KOLMO_PETSC_CALL(MatMult(a, r, ya));
    KOLMO_PETSC_CALL(MatMult(b, r, yb));
    PetscReal scale = 0, diff = 0;
    KOLMO_PETSC_CALL(VecNorm(yb, NORM_INFINITY, &scale));
    KOLMO_PETSC_CALL(VecAXPY(ya, -1.0, yb));
    KOLMO_PETSC_CALL(VecNorm(ya, NORM_INFINITY, &diff));
    worst = std::max(worst, diff / std::max(scale, 1e-300));
  }
  return worst;
}

/// Check that `to_natural` puts the value of node (i, j), component c, at natural index
/// (j * nodes_x + i) * components + c, and that `from_natural` inverts it exactly. `value(x, y, c)`
/// is the field interpolated for the check. Returns true on this rank when all holds. Collective.
template <class Problem, class Field>
bool natural_ordering_round_trip(const Problem& problem, Field&& value) {
  const auto& grid = problem.grid();
  const int components = grid.spec().components;
  VecHandle u = grid.interpolate([&](double x, double y, std::span<double> values) {
    for (int c = 0; c < components; ++c) values[c] = value(x, y, c);
  });
  VecHandle natural = problem.create_natural_vector();
  problem.to_natural(u, natural);
  const auto layout = problem.field_layout();
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(natural, &lo, &hi));
  const PetscScalar* entries = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(natural, &entries));
  bool ok = true;
  for (PetscInt k = lo; k < hi; ++k) {
    const PetscInt node = k / components, c = k % components;
    const double x = layout.origin[0] + static_cast<double>(node % layout.nodes[0]) * layout.spacing[0];
    const double y = layout.origin[1] + static_cast<double>(node / layout.nodes[0]) * layout.spacing[1];
    ok = ok && std::abs(entries[k - lo] - value(x, y, static_cast<int>(c))) < 1e-12;
  }
  KOLMO_PETSC_CALL(VecRestoreArrayRead(natural, &entries));
  VecHandle back = problem.create_vector();
  problem.from_natural(natural, back);
  PetscBool equal = PETSC_FALSE;
  KOLMO_PETSC_CALL(VecEqual(u, back, &equal));
  return ok && equal == PETSC_TRUE;
}

}  // namespace kolmo::testing

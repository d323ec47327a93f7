#pragma once
/// @file
/// The truth (full-order) solve A(mu) u = f(mu) with a PETSc KSP configured from the case file.
#include <petscksp.h>

#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/error.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::solvers {

/// What one truth solve did.
struct SolveStats {
  PetscInt iterations = 0;
  double relative_residual = 0;   ///< true ||f - A u|| / ||f||, recomputed after the solve
  double setup_seconds = 0;       ///< assembly of A(mu), f(mu) and preconditioner set-up
  double solve_seconds = 0;       ///< the Krylov iterations
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
};

/// A truth solve that did not converge. what() names the parameter point, PETSc's reason and the
/// iteration count, and suggests what to change in the case file.
class SolverError : public Exception {
 public:
  SolverError(const std::string& what, KSPConvergedReason reason) : Exception(what), reason_(reason) {}
  KSPConvergedReason reason() const noexcept { return reason_; }

 private:
  KSPConvergedReason reason_;
};

/// Apply the `petsc:` map of a solver section to PETSc's options database under `prefix`, without
/// overriding options given on the command line (those win). Not collective.
void apply_petsc_options(const SolverSection& settings, const std::string& prefix);

/// KSPSetType and PCSetType on `ksp` with the case file's names. A name PETSc does not know is a
/// mistake in the case file: InputError naming `solver.ksp_type` or `solver.pc_type`, thrown alike
/// on every rank. Collective on the KSP's communicator.
void set_solver_types(KSP ksp, const std::string& ksp_type, const std::string& pc_type);

/// KSPSetFromOptions on `ksp`. When PETSc cannot read a value that the `petsc:` map gave, the
/// InputError names its key: "solver.petsc.pc_gamg_threshold: PETSc cannot use the value 'abc'
/// (Input string abc has no numeric value)". Collective on the KSP's communicator.
void set_from_options(KSP ksp, const SolverSection& settings);

/// The keys of the `petsc:` map that PETSc has not read so far under `prefix` (misspelled, or for
/// another solver type, or read only later, at set-up). Not collective.
std::vector<std::string> unread_petsc_options(const SolverSection& settings,
                                              const std::string& prefix);

/// What `kolmo check` asks of a solver section: apply_petsc_options, set_solver_types and
/// set_from_options on a throw-away KSP on `comm` with options prefix `prefix`. Returns
/// unread_petsc_options after that. Collective.
std::vector<std::string> check_solver_section(MPI_Comm comm, const SolverSection& settings,
                                              const std::string& prefix);

/// Solves the problem's truth system for any parameter point. Keeps the KSP and the assembled
/// operator between solves (the matrix is re-filled, not re-allocated). The problem must outlive
/// the solver. Collective on the problem's communicator.
class TruthSolver {
 public:
  /// `prefix` is the KSP's options prefix (e.g. "truth_"): case-file settings are defaults that
  /// -<prefix>ksp_type, -<prefix>pc_type, ... on the command line override.
  TruthSolver(const operators::ParametrizedProblem& problem, const SolverSection& settings,
              std::string prefix = "");

  /// Solve A(mu) u = f(mu) into `u` (its content is the initial guess only if
  /// KSPSetInitialGuessNonzero was set). @throws SolverError if the KSP diverged. Collective.
  SolveStats solve(const Mu& mu, Vec u);

  KSP ksp() const noexcept { return ksp_; }
  const operators::ParametrizedProblem& problem() const noexcept { return problem_; }

 private:
  const operators::ParametrizedProblem& problem_;
  std::string prefix_;
  KSPHandle ksp_;
  MatHandle matrix_;
  VecHandle rhs_, residual_;
};

}  // namespace kolmo::solvers

#include "solvers/truth_solver.hpp"

#include <cmath>

#include "core/parameter_space.hpp"
#include "core/text.hpp"
#include "solvers/register_solvers.hpp"

namespace kolmo::solvers {

void apply_petsc_options(const SolverSection& settings, const std::string& prefix) {
  for (const auto& [key, value] : settings.petsc) {
    std::string name = key;
    if (!name.empty() && name.front() == '-') name.erase(0, 1);
    const std::string option = "-" + prefix + name;
    PetscBool given = PETSC_FALSE;
    KOLMO_PETSC_CALL(PetscOptionsHasName(nullptr, nullptr, option.c_str(), &given));
    if (!given)
      KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, option.c_str(), value.empty() ? nullptr : value.c_str()));
  }
}

void set_solver_types(KSP ksp, const std::string& ksp_type, const std::string& pc_type) {
  register_solvers();  // Kolmo's own types (gcrodr, rcg, kolmo_learned, ...) are names too
  const auto unknown = [](const PetscException& e, const char* key, const char* kind, const std::string& name) {
    if (e.code() != PETSC_ERR_ARG_UNKNOWN_TYPE) throw;
    throw InputError(std::string("solver.") + key + ": PETSc knows no " + kind + " type '" + name +
                     "' (a misspelling, or a type of a package this PETSc was built without)");
  };
  try {
    KOLMO_PETSC_CALL(KSPSetType(ksp, ksp_type.c_str()));
  } catch (const PetscException& e) {
    unknown(e, "ksp_type", "KSP", ksp_type);
  }
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  try {
    KOLMO_PETSC_CALL(PCSetType(pc, pc_type.c_str()));
  } catch (const PetscException& e) {
    unknown(e, "pc_type", "PC", pc_type);
  }
}

void check_solver_types(MPI_Comm comm, const SolverSection& settings) {
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(comm, ksp.out()));
  set_solver_types(ksp, settings.ksp_type, settings.pc_type);
}

TruthSolver::TruthSolver(const operators::ParametrizedProblem& problem,
                         const SolverSection& settings, std::string prefix)
    : problem_(problem), prefix_(std::move(prefix)) {
  register_solvers();  // so that -<prefix>ksp_type gcrodr / -pc_type kolmo_learned etc. resolve
  apply_petsc_options(settings, prefix_);
  KOLMO_PETSC_CALL(KSPCreate(problem.comm(), ksp_.out()));
  if (!prefix_.empty()) KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp_, prefix_.c_str()));
  set_solver_types(ksp_, settings.ksp_type, settings.pc_type);
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, settings.rtol, settings.atol, PETSC_DEFAULT, settings.max_it));
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp_));
  rhs_ = problem.create_vector();
  residual_ = problem.create_vector();
}

SolveStats TruthSolver::solve(const Mu& mu, Vec u) {
  SolveStats stats;
  const double start = MPI_Wtime();
  problem_.assemble_operator(mu, matrix_);
  problem_.assemble_rhs(mu, rhs_);
  KOLMO_PETSC_CALL(KSPSetOperators(ksp_, matrix_, matrix_));
  KOLMO_PETSC_CALL(KSPSetUp(ksp_));
  const double after_setup = MPI_Wtime();
  KOLMO_PETSC_CALL(KSPSolve(ksp_, rhs_, u));
  stats.setup_seconds = after_setup - start;
  stats.solve_seconds = MPI_Wtime() - after_setup;
  KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp_, &stats.iterations));
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp_, &stats.reason));

  PetscReal rhs_norm = 0, residual_norm = 0;
  KOLMO_PETSC_CALL(MatMult(matrix_, u, residual_));
  KOLMO_PETSC_CALL(VecAYPX(residual_, -1.0, rhs_));
  KOLMO_PETSC_CALL(VecNorm(residual_, NORM_2, &residual_norm));
  KOLMO_PETSC_CALL(VecNorm(rhs_, NORM_2, &rhs_norm));
  stats.relative_residual = rhs_norm > 0 ? residual_norm / rhs_norm : residual_norm;

  if (stats.reason < 0 || !std::isfinite(stats.relative_residual)) {
    throw SolverError("truth solve at " + format_mu(problem_.parameter_space(), mu) +
                          " did not converge: " + KSPConvergedReasons[stats.reason] + " after " +
                          std::to_string(stats.iterations) + " iterations (relative residual " +
                          format_short(stats.relative_residual) +
                          "); change solver.ksp_type / solver.pc_type / solver.max_it in the case "
                          "file, or pass -" + prefix_ + "ksp_monitor to watch it",
                      stats.reason);
  }
  return stats;
}

}  // namespace kolmo::solvers

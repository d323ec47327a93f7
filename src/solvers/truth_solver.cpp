#include "solvers/truth_solver.hpp"

#include <cctype>
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

namespace {

// PETSc's own sentence in a PetscException's text ("Input string abc has no numeric value").
std::string petsc_sentence(const std::string& what) {
  auto begin = what.find("PETSc error");
  begin = begin == std::string::npos ? 0 : what.find("): ", begin);
  begin = begin == std::string::npos ? 0 : begin + 3;
  return what.substr(begin, what.find(" [in ", begin) - begin);
}

// True when `word` occurs in `text` with no letter, digit, '.', '_' or '-' on either side.
bool contains_word(const std::string& text, const std::string& word) {
  const auto part_of_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  };
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !part_of_word(text[at - 1]);
    const bool ends = at + word.size() == text.size() || !part_of_word(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

void set_from_options(KSP ksp, const SolverSection& settings) {
  try {
    KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  } catch (const PetscException& e) {
    // PETSc names the value it could not read, not the option; find the case-file key holding it.
    const std::string sentence = petsc_sentence(e.what());
    for (const auto& [key, value] : settings.petsc)
      if (!value.empty() && contains_word(sentence, value))
        throw InputError("solver.petsc." + key + ": PETSc cannot use the value '" + value + "' (" +
                         sentence + ")");
    throw;
  }
}

std::vector<std::string> unread_petsc_options(const SolverSection& settings,
                                              const std::string& prefix) {
  std::vector<std::string> unread;
  for (const auto& [key, value] : settings.petsc) {
    const std::string option = "-" + prefix + (key.starts_with("-") ? key.substr(1) : key);
    PetscBool used = PETSC_FALSE;
    KOLMO_PETSC_CALL(PetscOptionsUsed(nullptr, option.c_str(), &used));
    if (!used) unread.push_back(key);
  }
  return unread;
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

std::vector<std::string> check_solver_section(MPI_Comm comm, const SolverSection& settings,
                                              const std::string& prefix) {
  apply_petsc_options(settings, prefix);
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(comm, ksp.out()));
  if (!prefix.empty()) KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp, prefix.c_str()));
  set_solver_types(ksp, settings.ksp_type, settings.pc_type);
  set_from_options(ksp, settings);
  return unread_petsc_options(settings, prefix);
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
  set_from_options(ksp_, settings);
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

// Benchmarks of issue 6 (learned preconditioners, solver-parameter bandit, polynomial
// preconditioning) on variable-coefficient 2-D Darcy systems (tests/solvers/test_pc_problems.hpp).
// A program that prints its tables (not a test); README.md quotes a run and the command.
//
//   bench_learned [-n 128] [-train_n 64] [-train 8] [-test 4] [-bandit_systems 3000]
//                 [-bandit_n 32] [-smoke]
//
// 1. Fit learned_ic on `train` Darcy draws (train_n^2 cells, two right-hand sides each), report
//    the loss before and after and the fit time.
// 2. On `test` unseen draws of the same distribution (n^2 cells): CG to rtol 1e-8 with Jacobi,
//    IC(0), ILU(0), GAMG, BoomerAMG, the learned IC at its IC(0) start and fitted, and the
//    Chebyshev / least-squares polynomials: mean iterations, products with A, setup and solve time.
// 3. Over `bandit_systems` small Darcy systems with a random contrast: CG + SSOR(omega), omega from
//    a bandit (EXP3, Tsallis-INF, contextual Tsallis-INF on the log diagonal contrast) against
//    Gauss-Seidel (omega = 1), the best fixed omega in hindsight and the per-instance best.
#include <petscksp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "solvers/learned_ic_model.hpp"
#include "solvers/pc_learned.hpp"
#include "solvers/register_solvers.hpp"
#include "solvers/solver_bandit.hpp"
#include "solvers/test_pc_problems.hpp"

using namespace kolmo;
using namespace kolmo::solvers;

namespace {

PetscInt int_option(const char* name, PetscInt fallback) {
  PetscInt v = fallback;
  KOLMO_PETSC_CALL(PetscOptionsGetInt(nullptr, nullptr, name, &v, nullptr));
  return v;
}

struct Config {
  std::string label;
  std::string options;  // PETSc options for the KSP's prefix
  int products_per_iteration = 1;
  std::shared_ptr<LearnedModel> model;  // for kolmo_learned
};

struct Result {
  double iterations = 0, setup = 0, solve = 0;
  bool converged = true;
};

Result run(MPI_Comm comm, const Config& c, int index, Mat a, Vec b) {
  const std::string prefix = "cfg" + std::to_string(index) + "_";
  // Give every option of the configuration the KSP's prefix: "-pc_type x" -> "-cfgN_pc_type x".
  std::string opts;
  std::size_t start = 0;
  while (start < c.options.size()) {
    std::size_t end = c.options.find(' ', start);
    if (end == std::string::npos) end = c.options.size();
    const std::string token = c.options.substr(start, end - start);
    if (!token.empty()) opts += (token[0] == '-' ? "-" + prefix + token.substr(1) : token) + " ";
    start = end + 1;
  }
  KOLMO_PETSC_CALL(PetscOptionsInsertString(nullptr, opts.c_str()));
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(comm, ksp.out()));
  KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp, prefix.c_str()));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPCG));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 0.0, PETSC_DEFAULT, 5000));
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  if (c.model) learned_pc_set_model(pc, c.model);
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  Result r;
  MPI_Barrier(comm);
  double t0 = MPI_Wtime();
  KOLMO_PETSC_CALL(KSPSetUp(ksp));
  KOLMO_PETSC_CALL(KSPSetUpOnBlocks(ksp));
  MPI_Barrier(comm);
  r.setup = MPI_Wtime() - t0;
  t0 = MPI_Wtime();
  KOLMO_PETSC_CALL(KSPSolve(ksp, b, x));
  MPI_Barrier(comm);
  r.solve = MPI_Wtime() - t0;
  PetscInt its = 0;
  KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp, &its));
  KSPConvergedReason reason{};
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp, &reason));
  r.iterations = static_cast<double>(its);
  r.converged = reason > 0;
  return r;
}

void learned_benchmark(MPI_Comm comm, bool smoke) {
  const PetscInt n = int_option("-n", smoke ? 24 : 128);
  const PetscInt train_n = int_option("-train_n", smoke ? 16 : 64);
  const PetscInt train = int_option("-train", smoke ? 2 : 8);
  const PetscInt tests = int_option("-test", smoke ? 1 : 4);
  int size = 1;
  MPI_Comm_size(comm, &size);

  TrainingData data;
  for (PetscInt s = 0; s < train; ++s) {
    TrainingSystem sys;
    sys.matrix = testing::darcy_matrix(comm, train_n, 100 + static_cast<std::uint64_t>(s));
    for (int which = 0; which < 2; ++which) {
      VecHandle b = testing::darcy_rhs(sys.matrix, train_n, which, static_cast<std::uint64_t>(s));
      sys.solutions.push_back(testing::darcy_solve(sys.matrix, b));
    }
    data.systems.push_back(std::move(sys));
  }
  auto fitted = std::make_shared<LearnedIcModel>();
  fitted->set_max_iterations(smoke ? 5 : 40);
  const double t0 = MPI_Wtime();
  const FitReport fit = fitted->fit(data);
  const double fit_seconds = MPI_Wtime() - t0;
  KOLMO_PETSC_CALL(PetscPrintf(comm,
      "== learned_ic fit: %d training draws of %dx%d (2 rhs each), %d ranks\n"
      "loss %.4e -> %.4e in %d L-BFGS iterations (%d loss evaluations), %.2f s\n",
      static_cast<int>(train), static_cast<int>(train_n), static_cast<int>(train_n), size,
      fit.initial_loss, fit.final_loss, fit.iterations, fit.loss_evaluations, fit_seconds));
  KOLMO_PETSC_CALL(PetscPrintf(comm, "weights (theta | psi | chi):"));
  for (Eigen::Index i = 0; i < fitted->weights().size(); ++i)
    KOLMO_PETSC_CALL(PetscPrintf(comm, " %.3f", fitted->weights()(i)));
  KOLMO_PETSC_CALL(PetscPrintf(comm, "\n\n"));

  const bool serial = size == 1;
  std::vector<Config> configs = {
      {"Jacobi", "-pc_type jacobi", 1, nullptr},
      {"IC(0)", serial ? "-pc_type icc" : "-pc_type bjacobi -sub_pc_type icc", 1, nullptr},
      {"ILU(0)", serial ? "-pc_type ilu" : "-pc_type bjacobi -sub_pc_type ilu", 1, nullptr},
      {"GAMG", "-pc_type gamg", 1, nullptr},
      {"BoomerAMG", "-pc_type hypre -pc_hypre_type boomeramg", 1, nullptr},
      {"learned_ic start", "-pc_type kolmo_learned", 1, std::make_shared<LearnedIcModel>()},
      {"learned_ic fitted", "-pc_type kolmo_learned", 1, fitted},
      {"Chebyshev deg 8", "-pc_type kolmo_poly -pc_kolmo_poly_degree 8", 8, nullptr},
      {"LSQ poly deg 8", "-pc_type kolmo_poly -pc_kolmo_poly_type lsq -pc_kolmo_poly_degree 8", 8, nullptr},
  };
  std::vector<Result> mean(configs.size());
  for (PetscInt s = 0; s < tests; ++s) {
    MatHandle a = testing::darcy_matrix(comm, n, 5000 + static_cast<std::uint64_t>(s));
    VecHandle b = testing::darcy_rhs(a, n, static_cast<int>(s % 2), static_cast<std::uint64_t>(s) + 77);
    for (std::size_t c = 0; c < configs.size(); ++c) {
      const Result r = run(comm, configs[c], static_cast<int>(c), a, b);
      mean[c].iterations += r.iterations / tests;
      mean[c].setup += r.setup / tests;
      mean[c].solve += r.solve / tests;
      mean[c].converged = mean[c].converged && r.converged;
    }
  }
  KOLMO_PETSC_CALL(PetscPrintf(comm,
      "== CG to rtol 1e-8 on %d unseen Darcy draws of %dx%d, %d ranks (means)\n"
      "%-20s %10s %12s %10s %10s %10s\n", static_cast<int>(tests), static_cast<int>(n),
      static_cast<int>(n), size, "preconditioner", "iterations", "A products", "setup s", "solve s",
      "total s"));
  for (std::size_t c = 0; c < configs.size(); ++c)
    KOLMO_PETSC_CALL(PetscPrintf(comm, "%-20s %10.1f %12.0f %10.4f %10.4f %10.4f%s\n",
        configs[c].label.c_str(), mean[c].iterations,
        mean[c].iterations * configs[c].products_per_iteration, mean[c].setup, mean[c].solve,
        mean[c].setup + mean[c].solve, mean[c].converged ? "" : "  (not converged)"));
  KOLMO_PETSC_CALL(PetscPrintf(comm, "learned_ic fitted vs IC(0): %.2fx fewer iterations\n\n",
                               mean[1].iterations / mean[6].iterations));
}

void bandit_benchmark(MPI_Comm comm, bool smoke) {
  const PetscInt systems = int_option("-bandit_systems", smoke ? 100 : 3000);
  const PetscInt m = int_option("-bandit_n", smoke ? 12 : 32);
  const std::vector<double> omegas = {1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9};
  const PetscInt cap = 200;
  if (systems < 2) return;
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> contrast(0.2, 3.0);
  // its[s][k]: CG + SSOR(omega_k) iterations on system s; feature: log of the diagonal contrast.
  std::vector<std::vector<PetscInt>> its(static_cast<std::size_t>(systems));
  std::vector<double> feature(static_cast<std::size_t>(systems));
  const double t0 = MPI_Wtime();
  for (PetscInt s = 0; s < systems; ++s) {
    const double sigma = contrast(rng);
    MatHandle a = testing::darcy_matrix(comm, m, 20000 + static_cast<std::uint64_t>(s), sigma);
    VecHandle d, b = testing::darcy_rhs(a, m, 0, 1), x;
    KOLMO_PETSC_CALL(MatCreateVecs(a, d.out(), nullptr));
    KOLMO_PETSC_CALL(MatGetDiagonal(a, d));
    PetscReal dmax = 0, dmin = 0;
    KOLMO_PETSC_CALL(VecMax(d, nullptr, &dmax));
    KOLMO_PETSC_CALL(VecMin(d, nullptr, &dmin));
    feature[static_cast<std::size_t>(s)] = std::log(dmax / dmin);
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    KSPHandle ksp;
    KOLMO_PETSC_CALL(KSPCreate(comm, ksp.out()));
    KOLMO_PETSC_CALL(KSPSetType(ksp, KSPCG));
    KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
    KOLMO_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 0.0, PETSC_DEFAULT, cap));
    PC pc = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
    KOLMO_PETSC_CALL(PCSetType(pc, PCSOR));
    KOLMO_PETSC_CALL(PCSORSetSymmetric(pc, SOR_SYMMETRIC_SWEEP));
    for (double w : omegas) {
      KOLMO_PETSC_CALL(PCSORSetOmega(pc, w));
      KOLMO_PETSC_CALL(KSPSolve(ksp, b, x));
      PetscInt k = 0;
      KSPConvergedReason reason{};
      KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp, &k));
      KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp, &reason));
      its[static_cast<std::size_t>(s)].push_back(reason > 0 ? k : cap);
    }
  }
  const double table_seconds = MPI_Wtime() - t0;
  const std::size_t half = static_cast<std::size_t>(systems) / 2;
  auto mean_over = [&](auto&& pick, std::size_t from, std::size_t to) {
    double sum = 0;
    for (std::size_t s = from; s < to; ++s) sum += static_cast<double>(pick(s));
    return sum / static_cast<double>(to - from);
  };
  const std::size_t total = static_cast<std::size_t>(systems);
  std::size_t best_fixed = 0;
  for (std::size_t k = 1; k < omegas.size(); ++k)
    if (mean_over([&](std::size_t s) { return its[s][k]; }, 0, total) <
        mean_over([&](std::size_t s) { return its[s][best_fixed]; }, 0, total))
      best_fixed = k;
  auto instance_best = [&](std::size_t s) { return *std::min_element(its[s].begin(), its[s].end()); };
  KOLMO_PETSC_CALL(PetscPrintf(comm,
      "== bandit over %d Darcy systems of %dx%d (contrast s in [0.2, 3]), CG + SSOR(omega), "
      "omega in {1.0, 1.1, ..., 1.9}; table of all %d x %d solves in %.1f s\n"
      "%-34s %12s %12s %12s\n", static_cast<int>(systems), static_cast<int>(m), static_cast<int>(m),
      static_cast<int>(systems), static_cast<int>(omegas.size()), table_seconds, "policy",
      "mean its", "1st half", "2nd half"));
  auto row = [&](const std::string& label, auto&& pick) {
    KOLMO_PETSC_CALL(PetscPrintf(comm, "%-34s %12.2f %12.2f %12.2f\n", label.c_str(),
                                 mean_over(pick, 0, total), mean_over(pick, 0, half),
                                 mean_over(pick, half, total)));
  };
  row("Gauss-Seidel (SSOR omega 1.0)", [&](std::size_t s) { return its[s][0]; });
  char label[64];
  std::snprintf(label, sizeof label, "best fixed omega in hindsight (%.1f)", omegas[best_fixed]);
  row(label, [&](std::size_t s) { return its[s][best_fixed]; });
  row("per-instance best omega", instance_best);
  for (auto algorithm : {BanditAlgorithm::exp3, BanditAlgorithm::tsallis_inf}) {
    SolverBandit bandit(omegas.size(), algorithm, 11);
    std::vector<PetscInt> chosen(total);
    for (std::size_t s = 0; s < total; ++s) {
      const std::size_t k = bandit.choose();
      chosen[s] = its[s][k];
      bandit.update(k, iteration_loss(its[s][k], cap, its[s][k] < cap));
    }
    row(algorithm == BanditAlgorithm::exp3 ? "bandit EXP3" : "bandit Tsallis-INF",
        [&](std::size_t s) { return chosen[s]; });
  }
  const double fmin = *std::min_element(feature.begin(), feature.end());
  const double fmax = *std::max_element(feature.begin(), feature.end());
  ContextualBandit contextual(omegas.size(), 4, fmin, fmax + 1e-9, BanditAlgorithm::tsallis_inf, 11);
  std::vector<PetscInt> chosen(total);
  for (std::size_t s = 0; s < total; ++s) {
    const std::size_t k = contextual.choose(feature[s]);
    chosen[s] = its[s][k];
    contextual.update(feature[s], k, iteration_loss(its[s][k], cap, its[s][k] < cap));
  }
  row("contextual Tsallis-INF (4 bins)", [&](std::size_t s) { return chosen[s]; });
  // The per-bin best fixed omega in hindsight: what the contextual bandit can reach.
  std::vector<PetscInt> bin_best(total);
  for (std::size_t bin = 0; bin < contextual.bins(); ++bin) {
    std::vector<double> sums(omegas.size(), 0.0);
    for (std::size_t s = 0; s < total; ++s)
      if (contextual.bin(feature[s]) == bin)
        for (std::size_t k = 0; k < omegas.size(); ++k) sums[k] += static_cast<double>(its[s][k]);
    const std::size_t k = static_cast<std::size_t>(std::min_element(sums.begin(), sums.end()) - sums.begin());
    for (std::size_t s = 0; s < total; ++s)
      if (contextual.bin(feature[s]) == bin) bin_best[s] = its[s][k];
  }
  row("best fixed omega per bin (hindsight)", [&](std::size_t s) { return bin_best[s]; });
}

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment env(argc, argv);
  try {
    register_solvers();
    PetscBool smoke = PETSC_FALSE;
    KOLMO_PETSC_CALL(PetscOptionsHasName(nullptr, nullptr, "-smoke", &smoke));
    learned_benchmark(PETSC_COMM_WORLD, smoke);
    bandit_benchmark(PETSC_COMM_WORLD, smoke);
    KOLMO_PETSC_CALL(PetscPrintf(PETSC_COMM_WORLD, "== done\n"));
  } catch (const std::exception& e) {
    kolmo::abort_all_ranks(PETSC_COMM_WORLD, e.what());
  }
  return 0;
}

// Benchmarks of issue 6 (learned preconditioners, solver-parameter bandit, polynomial
// preconditioning) on variable-coefficient 2-D Darcy systems (tests/solvers/test_pc_problems.hpp).
// A program that prints its tables (not a test); README.md quotes a run and the command.
//
//   bench_learned [-cases 2d,3d,tb,bandit] [-n 128] [-train_n 64] [-train 8] [-test 4]
//                 [-n3d 64] [-train3d_n 20] [-train3d 6] [-test3d 2]
//                 [-tb_cells 256] [-tb_train_cells 64] [-tb_train 12] [-tb_test 4]
//                 [-bandit_systems 3000] [-bandit_n 32] [-smoke]
//
// 1. Fit learned_ic on `train` Darcy draws (train_n^2 cells, two right-hand sides each), report
//    the loss before and after and the fit time.
// 2. On `test` unseen draws of the same distribution (n^2 cells): CG to rtol 1e-8 with Jacobi,
//    IC(0), ILU(0), GAMG, BoomerAMG, the learned IC at its IC(0) start and fitted, and the
//    Chebyshev / least-squares polynomials: mean iterations, products with A, setup and solve time.
//    The same (without the least-squares polynomial) on 3-D Darcy (fitted on 3-D draws) and on
//    the thermal_block problem (fitted on thermal_block parameter draws on a coarser grid).
//    On more than one process also the per-block limit (block Jacobi with exact block solves) and
//    additive Schwarz with overlap 1 and 2 with IC(0), the learned factor (weights fitted on one
//    process, on the ASM subdomain problems, or the block-Jacobi fit) and exact subdomain solves.
// 3. Over `bandit_systems` small Darcy systems with a random contrast: CG + SSOR(omega), omega from
//    a bandit (EXP3, Tsallis-INF, contextual Tsallis-INF on the log diagonal contrast) against
//    Gauss-Seidel (omega = 1), the best fixed omega in hindsight and the per-instance best.
#include <petscksp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "operators/problem_factory.hpp"
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
  // For -pc_type asm/bjacobi -sub_pc_type kolmo_learned: each sub-PC gets a copy of these weights.
  std::shared_ptr<const LearnedIcModel> sub_model;
};


struct Result {
  double iterations = 0, setup = 0, solve = 0;
  bool converged = true;
};

// True on every rank iff `local` is true on every rank.
bool all_ranks(MPI_Comm comm, bool local) {
  int ok = local ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
  return ok != 0;
}

Result run(MPI_Comm comm, const Config& c, int index, Mat a, Vec b) {
  const std::string prefix = "cfg" + std::to_string(index) + "_";
  // Give every option of the configuration the KSP's prefix: "-pc_type x" -> "-cfgN_pc_type x".
  std::string opts;
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < c.options.size()) {
    std::size_t end = c.options.find(' ', start);
    if (end == std::string::npos) end = c.options.size();
    const std::string token = c.options.substr(start, end - start);
    if (!token.empty() && token[0] == '-') names.push_back("-" + prefix + token.substr(1));
    if (!token.empty()) opts += (token[0] == '-' ? names.back() : token) + " ";
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
  if (c.sub_model) {
    // The sub-KSPs exist only after the outer PCSetUp; their PCs are set up in KSPSetUpOnBlocks.
    const int set = learned_pc_set_sub_models(
        pc, [&] { return std::make_shared<LearnedIcModel>(*c.sub_model); });
    KOLMO_CHECK(all_ranks(comm, set > 0), c.label << ": a process has no kolmo_learned sub-PC");
  }
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
  // The next table may give another configuration this index (sub-PC options are read late).
  for (const std::string& name : names) KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, name.c_str()));
  return r;
}

// A test system of one table.
struct TestSystem {
  MatHandle a;
  VecHandle b;
};

// Fit learned_ic to `data` and print the fit.
std::shared_ptr<LearnedIcModel> fit_learned_ic(MPI_Comm comm, const TrainingData& data,
                                               const std::string& what, int iterations) {
  auto fitted = std::make_shared<LearnedIcModel>();
  fitted->set_max_iterations(iterations);
  const double t0 = MPI_Wtime();
  const FitReport fit = fitted->fit(data);
  const double fit_seconds = MPI_Wtime() - t0;
  KOLMO_PETSC_CALL(PetscPrintf(comm,
      "== learned_ic fit: %s, %d ranks\n"
      "loss %.4e -> %.4e in %d L-BFGS iterations (%d loss evaluations), %.2f s\n",
      what.c_str(), comm_size(comm), fit.initial_loss, fit.final_loss, fit.iterations,
      fit.loss_evaluations, fit_seconds));
  KOLMO_PETSC_CALL(PetscPrintf(comm, "weights (theta | psi | chi):"));
  for (Eigen::Index i = 0; i < fitted->weights().size(); ++i)
    KOLMO_PETSC_CALL(PetscPrintf(comm, " %.3f", fitted->weights()(i)));
  KOLMO_PETSC_CALL(PetscPrintf(comm, "\n\n"));
  return fitted;
}

// The training systems of a table, built on any communicator (the ASM rows need a fit on one
// process).
using TrainingMaker = std::function<TrainingData(MPI_Comm)>;

// On more than one process: learned_ic fitted on rank 0 alone (PETSC_COMM_SELF) to the training
// systems of `make`, weights broadcast. These weights describe a sequential factor (no lumping
// head), which is what a subdomain solver of ASM is. nullptr on one process.
std::shared_ptr<const LearnedIcModel> fit_on_one_process(MPI_Comm comm, const TrainingMaker& make,
                                                         const std::string& what, int iterations) {
  if (comm_size(comm) == 1) return nullptr;
  auto model = std::make_shared<LearnedIcModel>();
  Eigen::VectorXd w = model->weights();
  if (comm_rank(comm) == 0) {
    const TrainingData data = make(PETSC_COMM_SELF);
    w = fit_learned_ic(PETSC_COMM_SELF, data, what + " [on rank 0 alone, for the ASM sub-PCs]",
                       iterations)->weights();
  }
  MPI_Bcast(w.data(), static_cast<int>(w.size()), MPI_DOUBLE, 0, comm);
  model->set_weights(w);
  return model;
}

// The training systems of `data` as the sub-PCs of ASM with `overlap` see them: each process's
// overlapped subdomain matrix A_s (MatIncreaseOverlap of its rows, as PCASM builds it, couplings
// to rows outside the subdomain dropped) becomes the diagonal block of a block-diagonal matrix on
// the same communicator, and the training pairs are the subdomain problems A_s y = b|_s with the
// training right-hand sides b = A x restricted (zero Dirichlet data on the cut). Restricting x
// itself instead would make A_s x|_s large on the cut rows (the dropped couplings times x), and
// the fit would chase those rows (tried: 3-D 64^3 ASM(1) 90.5 iterations against 49 with the
// one-process fit). Collective.
TrainingData subdomain_training(const TrainingData& data, PetscInt overlap) {
  TrainingData out;
  for (const TrainingSystem& sys : data.systems) {
    Mat a = sys.matrix;
    const MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(a));
    PetscInt low = 0, high = 0;
    KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
    IS is = nullptr;
    KOLMO_PETSC_CALL(ISCreateStride(PETSC_COMM_SELF, high - low, low, 1, &is));
    KOLMO_PETSC_CALL(MatIncreaseOverlap(a, 1, &is, overlap));
    KOLMO_PETSC_CALL(ISSort(is));
    Mat* sub = nullptr;
    KOLMO_PETSC_CALL(MatCreateSubMatrices(a, 1, &is, &is, MAT_INITIAL_MATRIX, &sub));
    PetscInt m = 0;
    KOLMO_PETSC_CALL(ISGetLocalSize(is, &m));
    std::vector<PetscInt> nnz(static_cast<std::size_t>(m));
    for (PetscInt i = 0; i < m; ++i) {
      PetscInt count = 0;  // MatRestoreRow zeroes it
      KOLMO_PETSC_CALL(MatGetRow(sub[0], i, &count, nullptr, nullptr));
      nnz[i] = count;
      KOLMO_PETSC_CALL(MatRestoreRow(sub[0], i, &count, nullptr, nullptr));
    }
    TrainingSystem block;
    KOLMO_PETSC_CALL(MatCreateAIJ(comm, m, m, PETSC_DETERMINE, PETSC_DETERMINE, 0, nnz.data(), 0,
                                  nullptr, block.matrix.out()));
    PetscInt start = 0;
    KOLMO_PETSC_CALL(MatGetOwnershipRange(block.matrix, &start, nullptr));
    std::vector<PetscInt> shifted;
    for (PetscInt i = 0; i < m; ++i) {
      PetscInt count = 0;
      const PetscInt* cols = nullptr;
      const PetscScalar* values = nullptr;
      KOLMO_PETSC_CALL(MatGetRow(sub[0], i, &count, &cols, &values));
      shifted.assign(cols, cols + count);
      for (PetscInt& c : shifted) c += start;
      const PetscInt row = start + i;
      KOLMO_PETSC_CALL(MatSetValues(block.matrix, 1, &row, count, shifted.data(), values, INSERT_VALUES));
      KOLMO_PETSC_CALL(MatRestoreRow(sub[0], i, &count, &cols, &values));
    }
    KOLMO_PETSC_CALL(MatAssemblyBegin(block.matrix, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatAssemblyEnd(block.matrix, MAT_FINAL_ASSEMBLY));
    KOLMO_PETSC_CALL(MatDestroySubMatrices(1, &sub));
    for (const VecHandle& x : sys.solutions) {
      VecHandle b, local, restricted;
      KOLMO_PETSC_CALL(VecDuplicate(x, b.out()));
      KOLMO_PETSC_CALL(MatMult(a, x, b));
      KOLMO_PETSC_CALL(VecCreateSeq(PETSC_COMM_SELF, m, local.out()));
      VecScatter scatter = nullptr;
      KOLMO_PETSC_CALL(VecScatterCreate(b, is, local, nullptr, &scatter));
      KOLMO_PETSC_CALL(VecScatterBegin(scatter, b, local, INSERT_VALUES, SCATTER_FORWARD));
      KOLMO_PETSC_CALL(VecScatterEnd(scatter, b, local, INSERT_VALUES, SCATTER_FORWARD));
      KOLMO_PETSC_CALL(VecScatterDestroy(&scatter));
      KOLMO_PETSC_CALL(MatCreateVecs(block.matrix, restricted.out(), nullptr));
      const PetscScalar* from = nullptr;
      PetscScalar* to = nullptr;
      KOLMO_PETSC_CALL(VecGetArrayRead(local, &from));
      KOLMO_PETSC_CALL(VecGetArray(restricted, &to));
      std::copy(from, from + m, to);
      KOLMO_PETSC_CALL(VecRestoreArray(restricted, &to));
      KOLMO_PETSC_CALL(VecRestoreArrayRead(local, &from));
      block.solutions.push_back(testing::darcy_solve(block.matrix, restricted));
    }
    KOLMO_PETSC_CALL(ISDestroy(&is));
    out.systems.push_back(std::move(block));
  }
  return out;
}

// The preconditioners of every table. On more than one process also the per-block limit (exact
// block solves) and additive Schwarz with overlap, with IC(0) and with the learned factor (weights
// `serial_fitted`) on the subdomains; "ASM" is PETSc's -pc_asm_type basic (symmetric, what CG
// assumes), "RAS" its default restricted variant (2-D table only, `with_lsq`).
// The fitted learned_ic models of a table.
struct Fits {
  std::shared_ptr<LearnedIcModel> fitted;  // on the training systems, this run's processes
  std::shared_ptr<const LearnedIcModel> serial;     // on one process (fit_on_one_process)
  std::shared_ptr<const LearnedIcModel> subdomain;  // on the ASM(1) subdomains (subdomain_training)
};

// All fits of a table: the plain one and, on more than one process, the two for ASM.
Fits fit_all(MPI_Comm comm, const TrainingMaker& make, const std::string& what, int iterations) {
  Fits fits;
  const TrainingData data = make(comm);
  fits.fitted = fit_learned_ic(comm, data, what, iterations);
  if (comm_size(comm) > 1) {
    fits.serial = fit_on_one_process(comm, make, what, iterations);
    fits.subdomain = fit_learned_ic(comm, subdomain_training(data, 1),
                                    what + " [restricted to the ASM(1) subdomains]", iterations);
  }
  return fits;
}

std::vector<Config> standard_configs(MPI_Comm comm, const Fits& fits, bool with_lsq) {
  const auto& fitted = fits.fitted;
  const auto& serial_fitted = fits.serial;
  const bool serial = comm_size(comm) == 1;
  std::vector<Config> configs = {
      {"Jacobi", "-pc_type jacobi", 1, nullptr, nullptr},
      {"IC(0)", serial ? "-pc_type icc" : "-pc_type bjacobi -sub_pc_type icc", 1, nullptr, nullptr},
      {"ILU(0)", serial ? "-pc_type ilu" : "-pc_type bjacobi -sub_pc_type ilu", 1, nullptr, nullptr},
      {"GAMG", "-pc_type gamg", 1, nullptr, nullptr},
      {"BoomerAMG", "-pc_type hypre -pc_hypre_type boomeramg", 1, nullptr, nullptr},
      {"learned_ic start", "-pc_type kolmo_learned", 1, std::make_shared<LearnedIcModel>(), nullptr},
      {"learned_ic fitted", "-pc_type kolmo_learned", 1, fitted, nullptr},
      {"Chebyshev deg 8", "-pc_type kolmo_poly -pc_kolmo_poly_degree 8", 8, nullptr, nullptr},
  };
  if (with_lsq)
    configs.push_back({"LSQ poly deg 8",
                       "-pc_type kolmo_poly -pc_kolmo_poly_type lsq -pc_kolmo_poly_degree 8", 8,
                       nullptr, nullptr});
  if (!serial) {
    const std::string exact = "-sub_pc_type cholesky -sub_pc_factor_mat_solver_type mumps";
    const std::string learned = "-sub_pc_type kolmo_learned";
    auto schwarz = [](int overlap, bool restricted) {
      return "-pc_type asm -pc_asm_overlap " + std::to_string(overlap) + " -pc_asm_type " +
             (restricted ? "restrict " : "basic ");
    };
    configs.push_back({"bjacobi + exact", "-pc_type bjacobi " + exact, 1, nullptr, nullptr});
    configs.push_back({"ASM(1) + IC(0)", schwarz(1, false) + "-sub_pc_type icc", 1, nullptr, nullptr});
    configs.push_back({"ASM(1) + learned", schwarz(1, false) + learned, 1, nullptr, serial_fitted});
    configs.push_back({"ASM(1) + learned bj-fit", schwarz(1, false) + learned, 1, nullptr, fitted});
    configs.push_back({"ASM(1) + learned sub-fit", schwarz(1, false) + learned, 1, nullptr, fits.subdomain});
    configs.push_back({"ASM(1) + exact", schwarz(1, false) + exact, 1, nullptr, nullptr});
    // Restricted ASM is not symmetric, so CG may fail with it (RAS + IC(0) does on these
    // problems, after 5000 iterations); only in the cheap 2-D table.
    if (with_lsq) {
      configs.push_back({"RAS(1) + IC(0)", schwarz(1, true) + "-sub_pc_type icc", 1, nullptr, nullptr});
      configs.push_back({"RAS(1) + learned", schwarz(1, true) + learned, 1, nullptr, serial_fitted});
    }
    configs.push_back({"ASM(2) + IC(0)", schwarz(2, false) + "-sub_pc_type icc", 1, nullptr, nullptr});
    configs.push_back({"ASM(2) + learned", schwarz(2, false) + learned, 1, nullptr, serial_fitted});
    configs.push_back({"ASM(2) + learned sub-fit", schwarz(2, false) + learned, 1, nullptr, fits.subdomain});
  }
  return configs;
}

// CG with every configuration on every system; print the means.
void compare(MPI_Comm comm, const std::string& title, const std::vector<Config>& configs,
             const std::vector<TestSystem>& systems) {
  std::vector<Result> mean(configs.size());
  const double count = static_cast<double>(systems.size());
  for (const TestSystem& sys : systems)
    for (std::size_t c = 0; c < configs.size(); ++c) {
      const Result r = run(comm, configs[c], static_cast<int>(c), sys.a, sys.b);
      mean[c].iterations += r.iterations / count;
      mean[c].setup += r.setup / count;
      mean[c].solve += r.solve / count;
      mean[c].converged = mean[c].converged && r.converged;
    }
  KOLMO_PETSC_CALL(PetscPrintf(comm,
      "== CG to rtol 1e-8 on %s, %d ranks (means)\n%-24s %10s %12s %10s %10s %10s\n",
      title.c_str(), comm_size(comm), "preconditioner", "iterations", "A products", "setup s",
      "solve s", "total s"));
  for (std::size_t c = 0; c < configs.size(); ++c)
    KOLMO_PETSC_CALL(PetscPrintf(comm, "%-24s %10.1f %12.0f %10.4f %10.4f %10.4f%s\n",
        configs[c].label.c_str(), mean[c].iterations,
        mean[c].iterations * configs[c].products_per_iteration, mean[c].setup, mean[c].solve,
        mean[c].setup + mean[c].solve, mean[c].converged ? "" : "  (not converged)"));
  auto iterations = [&](const char* label) {
    for (std::size_t c = 0; c < configs.size(); ++c)
      if (configs[c].label == label) return mean[c].iterations;
    return std::nan("");
  };
  auto ratio = [&](const char* base, const char* learned) {
    KOLMO_PETSC_CALL(PetscPrintf(comm, "%s vs %s: %.2fx fewer iterations (%.1f vs %.1f)\n", learned,
                                 base, iterations(base) / iterations(learned), iterations(learned),
                                 iterations(base)));
  };
  if (comm_size(comm) == 1) {
    ratio("IC(0)", "learned_ic fitted");
  } else {
    // bjacobi/bjacobi, ASM/ASM, and the learned ASM against PETSc's default parallel IC(0).
    ratio("IC(0)", "learned_ic fitted");
    ratio("ASM(1) + IC(0)", "ASM(1) + learned");
    ratio("ASM(1) + IC(0)", "ASM(1) + learned sub-fit");
    ratio("ASM(2) + IC(0)", "ASM(2) + learned");
    ratio("ASM(2) + IC(0)", "ASM(2) + learned sub-fit");
    ratio("IC(0)", "ASM(1) + learned");
    ratio("IC(0)", "ASM(1) + learned sub-fit");
    ratio("IC(0)", "ASM(2) + learned");
    ratio("IC(0)", "ASM(2) + learned sub-fit");
    ratio("IC(0)", "bjacobi + exact");
    ratio("IC(0)", "ASM(1) + exact");
  }
  KOLMO_PETSC_CALL(PetscPrintf(comm, "(IC(0) is %s)\n\n",
                               comm_size(comm) == 1 ? "PETSc icc" : "bjacobi + icc per block"));
}

void learned_benchmark(MPI_Comm comm, bool smoke) {
  const PetscInt n = int_option("-n", smoke ? 24 : 128);
  const PetscInt train_n = int_option("-train_n", smoke ? 16 : 64);
  const PetscInt train = int_option("-train", smoke ? 2 : 8);
  const PetscInt tests = int_option("-test", smoke ? 1 : 4);

  const TrainingMaker make = [&](MPI_Comm on) {
    return testing::darcy_training_data(on, train_n, static_cast<int>(train));
  };
  std::ostringstream what;
  what << train << " training draws of " << train_n << "x" << train_n << " (2 rhs each)";
  const Fits fits = fit_all(comm, make, what.str(), smoke ? 5 : 40);

  std::vector<TestSystem> systems;
  for (PetscInt s = 0; s < tests; ++s) {
    TestSystem sys;
    sys.a = testing::darcy_matrix(comm, n, 5000 + static_cast<std::uint64_t>(s));
    sys.b = testing::darcy_rhs(sys.a, n, static_cast<int>(s % 2), static_cast<std::uint64_t>(s) + 77);
    systems.push_back(std::move(sys));
  }
  std::ostringstream title;
  title << tests << " unseen Darcy draws of " << n << "x" << n;
  compare(comm, title.str(), standard_configs(comm, fits, true), systems);
}

// 3-D variable-coefficient Darcy: cell-centred finite volumes on an n^3 grid of the unit cube,
// Dirichlet boundary, harmonic face averages of the log-normal-like coefficient
//   log k = s * sum_{p,q,r < 3, not all 0} xi_pqr cos(pi p x) cos(pi q y) cos(pi r z) / (1 + p^2 + q^2 + r^2),
// xi_pqr standard normal from `seed` (the 3-D analogue of tests/solvers/test_pc_problems.hpp;
// matrix scaled by 1/h, so entries are harmonic means of k). Collective.
MatHandle darcy3d_matrix(MPI_Comm comm, PetscInt n, std::uint64_t seed, double s = 1.5) {
  std::mt19937_64 rng(seed * 7919 + 23);
  std::normal_distribution<double> normal;
  constexpr int modes = 3;
  double xi[modes][modes][modes];
  for (auto& plane : xi)
    for (auto& row : plane)
      for (double& v : row) v = normal(rng);
  const auto cells = static_cast<std::size_t>(n);
  std::vector<double> waves(modes * cells);  // cos(pi p (i + 1/2) / n)
  for (int p = 0; p < modes; ++p)
    for (std::size_t i = 0; i < cells; ++i)
      waves[p * cells + i] = std::cos(M_PI * p * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
  PetscInt low = 0, high = 0;
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, n * n * n, n * n * n, 7, nullptr,
                                6, nullptr, a.out()));
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  auto coefficient = [&](PetscInt cell) {
    const auto i = static_cast<std::size_t>(cell % n), j = static_cast<std::size_t>((cell / n) % n),
               k = static_cast<std::size_t>(cell / (n * n));
    double g = 0;
    for (int p = 0; p < modes; ++p)
      for (int q = 0; q < modes; ++q)
        for (int r = 0; r < modes; ++r)
          if (p + q + r > 0)
            g += xi[p][q][r] * waves[p * cells + i] * waves[q * cells + j] * waves[r * cells + k] /
                 (1.0 + p * p + q * q + r * r);
    return std::exp(s * g);
  };
  std::vector<PetscInt> cols;
  std::vector<PetscScalar> vals;
  for (PetscInt row = low; row < high; ++row) {
    const PetscInt i = row % n, j = (row / n) % n, k = row / (n * n);
    const double kc = coefficient(row);
    cols.clear();
    vals.clear();
    double diag = 0;
    auto neighbour = [&](bool inside, PetscInt col) {
      if (inside) {
        const double kn = coefficient(col), t = 2.0 * kc * kn / (kc + kn);
        cols.push_back(col);
        vals.push_back(-t);
        diag += t;
      } else {
        diag += 2.0 * kc;  // Dirichlet face at half a cell
      }
    };
    neighbour(k > 0, row - n * n);
    neighbour(j > 0, row - n);
    neighbour(i > 0, row - 1);
    neighbour(i + 1 < n, row + 1);
    neighbour(j + 1 < n, row + n);
    neighbour(k + 1 < n, row + n * n);
    cols.push_back(row);
    vals.push_back(diag);
    KOLMO_PETSC_CALL(MatSetValues(a, 1, &row, static_cast<PetscInt>(cols.size()), cols.data(),
                                  vals.data(), INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatSetOption(a, MAT_SPD, PETSC_TRUE));
  return a;
}

// Right-hand side `which` of the 3-D systems: 0 a unit source, 1 a Gaussian bump whose centre
// depends on `seed`; scaled by h^2 to match the matrix. Collective.
VecHandle darcy3d_rhs(Mat a, PetscInt n, int which, std::uint64_t seed) {
  VecHandle b;
  KOLMO_PETSC_CALL(MatCreateVecs(a, b.out(), nullptr));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(b, &low, &high));
  const double cx = 0.3 + 0.4 * static_cast<double>((seed * 37) % 11) / 10.0,
               cy = 0.3 + 0.4 * static_cast<double>((seed * 53) % 13) / 12.0,
               cz = 0.3 + 0.4 * static_cast<double>((seed * 71) % 7) / 6.0;
  const double h = 1.0 / static_cast<double>(n);
  PetscScalar* v = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(b, &v));
  for (PetscInt g = low; g < high; ++g) {
    const double x = (static_cast<double>(g % n) + 0.5) * h, y = (static_cast<double>((g / n) % n) + 0.5) * h,
                 z = (static_cast<double>(g / (n * n)) + 0.5) * h;
    const double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz);
    v[g - low] = h * h * (which == 0 ? 1.0 : 20.0 * std::exp(-r2 / 0.01));
  }
  KOLMO_PETSC_CALL(VecRestoreArray(b, &v));
  return b;
}

void learned_benchmark_3d(MPI_Comm comm, bool smoke) {
  const PetscInt n = int_option("-n3d", smoke ? 10 : 64);
  const PetscInt train_n = int_option("-train3d_n", smoke ? 8 : 20);
  const PetscInt train = int_option("-train3d", smoke ? 2 : 6);
  const PetscInt tests = int_option("-test3d", smoke ? 1 : 2);
  const TrainingMaker make = [&](MPI_Comm on) {
    TrainingData data;
    for (PetscInt s = 0; s < train; ++s) {
      TrainingSystem sys;
      sys.matrix = darcy3d_matrix(on, train_n, 300 + static_cast<std::uint64_t>(s));
      for (int which = 0; which < 2; ++which) {
        VecHandle b = darcy3d_rhs(sys.matrix, train_n, which, static_cast<std::uint64_t>(s));
        sys.solutions.push_back(testing::darcy_solve(sys.matrix, b));
      }
      data.systems.push_back(std::move(sys));
    }
    return data;
  };
  std::ostringstream what;
  what << train << " 3-D training draws of " << train_n << "^3 (2 rhs each)";
  const Fits fits = fit_all(comm, make, what.str(), smoke ? 5 : 30);
  std::vector<TestSystem> systems;
  for (PetscInt s = 0; s < tests; ++s) {
    TestSystem sys;
    sys.a = darcy3d_matrix(comm, n, 7000 + static_cast<std::uint64_t>(s));
    sys.b = darcy3d_rhs(sys.a, n, static_cast<int>(s % 2), static_cast<std::uint64_t>(s) + 91);
    systems.push_back(std::move(sys));
  }
  std::ostringstream title;
  title << tests << " unseen 3-D Darcy draws of " << n << "^3";
  compare(comm, title.str(), standard_configs(comm, fits, false), systems);
}

// The thermal_block problem of examples/thermal_block (2 x 2 blocks, conductivities log-uniform in
// [0.1, 1]) with `cells` x `cells` Q1 cells.
std::unique_ptr<operators::ParametrizedProblem> thermal_block(MPI_Comm comm, PetscInt cells,
                                                              CaseFile* c) {
  std::ostringstream yaml;
  yaml << "name: bench_thermal_block\nproblem:\n  type: thermal_block\n  blocks: [2, 2]\n"
       << "  cells: " << cells << "\n  source: 1\nparameters:\n";
  for (int i = 0; i < 4; ++i) yaml << "  - {name: mu" << i << ", range: [0.1, 1.0], scale: log}\n";
  *c = parse_case_file(yaml.str(), "bench_thermal_block.yaml");
  return operators::make_problem(comm, *c);
}

void learned_benchmark_thermal_block(MPI_Comm comm, bool smoke) {
  const PetscInt cells = int_option("-tb_cells", smoke ? 16 : 256);
  const PetscInt train_cells = int_option("-tb_train_cells", smoke ? 16 : 64);
  const PetscInt train = int_option("-tb_train", smoke ? 2 : 12);
  const PetscInt tests = int_option("-tb_test", smoke ? 1 : 4);
  std::mt19937_64 rng(4242);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto draw = [&](const CaseFile& c) {
    std::vector<double> t(c.parameters.dimension());
    for (double& v : t) v = unit(rng);
    return c.parameters.from_unit(t);
  };
  CaseFile train_case, test_case;
  auto train_problem = thermal_block(comm, train_cells, &train_case);
  auto test_problem = thermal_block(comm, cells, &test_case);
  // Draw the training parameters first (operator, then right-hand side), in the order of the
  // test draws below, so that every process and every fit sees the same ones.
  std::vector<std::pair<Mu, Mu>> train_mus;
  for (PetscInt s = 0; s < train; ++s) {
    Mu op = draw(train_case);
    train_mus.emplace_back(std::move(op), draw(train_case));
  }
  const TrainingMaker make = [&](MPI_Comm on) {
    CaseFile on_case;
    auto problem = on == comm ? nullptr : thermal_block(on, train_cells, &on_case);
    operators::ParametrizedProblem& p = problem ? *problem : *train_problem;
    TrainingData data;
    for (const auto& [op, rhs] : train_mus) {
      TrainingSystem sys;
      p.assemble_operator(op, sys.matrix);
      VecHandle b = p.create_vector();
      p.assemble_rhs(rhs, b);
      sys.solutions.push_back(testing::darcy_solve(sys.matrix, b));
      data.systems.push_back(std::move(sys));
    }
    return data;
  };
  std::ostringstream what;
  what << train << " thermal_block draws, " << train_cells << "^2 Q1 cells";
  const Fits fits = fit_all(comm, make, what.str(), smoke ? 5 : 40);
  std::vector<TestSystem> systems;
  for (PetscInt s = 0; s < tests; ++s) {
    TestSystem sys;
    const Mu mu = draw(test_case);
    test_problem->assemble_operator(mu, sys.a);
    sys.b = test_problem->create_vector();
    test_problem->assemble_rhs(mu, sys.b);
    systems.push_back(std::move(sys));
  }
  std::ostringstream title;
  title << tests << " unseen thermal_block parameters, " << cells << "^2 Q1 cells";
  compare(comm, title.str(), standard_configs(comm, fits, false), systems);
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
    // -cases selects the tables: 2d (Darcy 2-D), 3d (Darcy 3-D), tb (thermal_block), bandit.
    std::array<char, 256> cases{};
    PetscBool set = PETSC_FALSE;
    KOLMO_PETSC_CALL(PetscOptionsGetString(nullptr, nullptr, "-cases", cases.data(), cases.size(), &set));
    const std::string selected = set ? std::string(",") + cases.data() + "," : ",2d,3d,tb,bandit,";
    auto wanted = [&](const char* name) {
      return selected.find(std::string(",") + name + ",") != std::string::npos;
    };
    if (wanted("2d")) learned_benchmark(PETSC_COMM_WORLD, smoke);
    if (wanted("3d")) learned_benchmark_3d(PETSC_COMM_WORLD, smoke);
    if (wanted("tb")) learned_benchmark_thermal_block(PETSC_COMM_WORLD, smoke);
    if (wanted("bandit")) bandit_benchmark(PETSC_COMM_WORLD, smoke);
    KOLMO_PETSC_CALL(PetscPrintf(PETSC_COMM_WORLD, "== done\n"));
  } catch (const std::exception& e) {
    kolmo::abort_all_ranks(PETSC_COMM_WORLD, e.what());
  }
  return 0;
}

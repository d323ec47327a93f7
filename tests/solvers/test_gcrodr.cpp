// GCRO-DR ("gcrodr" KSP): agreement with GMRES on a fixed matrix, fewer iterations with recycling
// on sequences (identical and slowly varying matrices), identical results on 1 and 2 ranks,
// breakdowns, options and the true residual seen by monitors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/ksp_gcrodr.hpp"
#include "solvers/register_solvers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace kt = kolmo::testing;
namespace ks = kolmo::solvers;

namespace {

constexpr PetscInt kGrid = 32;           // 1024 unknowns
constexpr PetscReal kConvection = 0.05;  // cell Peclet number 0.1
// Shifting the diagonal by -0.03 makes the operator indefinite with a few eigenvalues near zero:
// restarted GMRES stagnates on it, and these are the directions that recycling keeps.
constexpr PetscReal kShift = -0.03;

kolmo::MatHandle test_matrix(MPI_Comm comm, PetscInt n = kGrid) {
  return kt::grid_matrix(comm, n, kConvection, [](PetscInt) { return kShift; });
}

std::string counts_text(const std::vector<PetscInt>& its) {
  std::ostringstream out;
  for (std::size_t i = 0; i < its.size(); ++i) out << (i ? " " : "") << its[i];
  return out.str();
}

}  // namespace

TEST_CASE("gcrodr is a PETSc KSP type selectable from the options database", "[solvers][gcrodr]") {
  kolmo::register_solvers();
  kolmo::register_solvers();  // idempotent
  auto a = kt::grid_matrix(test_comm(), 8, kConvection);
  kolmo::KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(test_comm(), ksp.out()));
  KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp, "gcrodr_opt_"));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-gcrodr_opt_ksp_type", "gcrodr"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-gcrodr_opt_ksp_gcrodr_m", "10"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-gcrodr_opt_ksp_gcrodr_k", "4"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-gcrodr_opt_ksp_gcrodr_recycle", "false"));
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-gcrodr_opt_ksp_type"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-gcrodr_opt_ksp_gcrodr_m"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-gcrodr_opt_ksp_gcrodr_k"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-gcrodr_opt_ksp_gcrodr_recycle"));

  KSPType type = nullptr;
  KOLMO_PETSC_CALL(KSPGetType(ksp, &type));
  REQUIRE(std::string(type) == "gcrodr");
  REQUIRE(ks::gcrodr_cycle_length(ksp) == 10);
  REQUIRE(ks::gcrodr_recycle_dimension(ksp) == 4);
  REQUIRE_FALSE(ks::gcrodr_recycle(ksp));

  // The default side is right preconditioning with the unpreconditioned (true) residual norm.
  KOLMO_PETSC_CALL(KSPSetUp(ksp));
  PCSide side = PC_LEFT;
  KSPNormType norm = KSP_NORM_DEFAULT;
  KOLMO_PETSC_CALL(KSPGetPCSide(ksp, &side));
  KOLMO_PETSC_CALL(KSPGetNormType(ksp, &norm));
  REQUIRE(side == PC_RIGHT);
  REQUIRE(norm == KSP_NORM_UNPRECONDITIONED);

  // KSPView shows m and k.
  const std::string path = std::string("gcrodr_view_np") + std::to_string(kolmo::comm_size(test_comm())) + ".txt";
  {
    kolmo::ViewerHandle viewer;
    KOLMO_PETSC_CALL(PetscViewerASCIIOpen(test_comm(), path.c_str(), viewer.out()));
    KOLMO_PETSC_CALL(KSPView(ksp, viewer));
  }
  bool view_ok = true;
  if (kolmo::comm_rank(test_comm()) == 0) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    view_ok = text.str().find("cycle length m=10, recycle dimension k=4") != std::string::npos &&
              text.str().find("discarded at each solve") != std::string::npos;
    std::filesystem::remove(path);
  }
  REQUIRE(on_all_ranks(view_ok));

  // Accessors and setters; the setters are ignored on other types, the getters refuse them.
  ks::gcrodr_set_cycle_length(ksp, 12);
  REQUIRE(ks::gcrodr_cycle_length(ksp) == 12);
  kolmo::KSPHandle other;
  KOLMO_PETSC_CALL(KSPCreate(test_comm(), other.out()));
  KOLMO_PETSC_CALL(KSPSetType(other, KSPCG));
  ks::gcrodr_set_cycle_length(other, 12);
  REQUIRE_THROWS_WITH(ks::gcrodr_cycle_length(other), Catch::Contains("not 'gcrodr'"));
}

TEST_CASE("gcrodr on a fixed matrix: the GMRES solution in no more iterations than GMRES(m)",
          "[solvers][gcrodr]") {
  kolmo::register_solvers();
  auto a = test_matrix(test_comm());
  auto b = kt::random_vector(a, 1);
  kolmo::VecHandle x_gmres, x_gcrodr;
  KOLMO_PETSC_CALL(VecDuplicate(b, x_gmres.out()));
  KOLMO_PETSC_CALL(VecDuplicate(b, x_gcrodr.out()));
  const PetscReal rtol = 1e-10;

  for (const char* pc : {"none", "bjacobi"}) {
    auto gmres = kt::make_ksp(a, KSPGMRES, pc, rtol);
    KOLMO_PETSC_CALL(KSPGMRESSetRestart(gmres, 30));
    KSPConvergedReason reason_gmres, reason_gcrodr;
    const PetscInt its_gmres = kt::solve(gmres, b, x_gmres, &reason_gmres);

    auto gcrodr = kt::make_ksp(a, ks::ksp_type_gcrodr, pc, rtol);
    ks::gcrodr_set_cycle_length(gcrodr, 30);
    ks::gcrodr_set_recycle_dimension(gcrodr, 10);
    const PetscInt its_gcrodr = kt::solve(gcrodr, b, x_gcrodr, &reason_gcrodr);
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] fixed matrix, pc %s: GMRES(30) %d, GCRO-DR(30,10) %d\n",
                                 pc, static_cast<int>(its_gmres), static_cast<int>(its_gcrodr)));
    INFO("pc " << pc << ": GMRES(30) " << its_gmres << " iterations, GCRO-DR(30,10) " << its_gcrodr);
    REQUIRE(reason_gmres > 0);
    REQUIRE(reason_gcrodr > 0);
    REQUIRE(its_gcrodr <= its_gmres);
    REQUIRE(kt::relative_residual(a, b, x_gcrodr) < 2 * rtol);
    REQUIRE(kt::relative_difference(x_gcrodr, x_gmres) < 1e-7);
    // Right preconditioning: the norm PETSc tested is the true residual.
    PetscReal rnorm = 0, bnorm = 0;
    KOLMO_PETSC_CALL(KSPGetResidualNorm(gcrodr, &rnorm));
    KOLMO_PETSC_CALL(VecNorm(b, NORM_2, &bnorm));
    REQUIRE(std::abs(rnorm / bnorm - kt::relative_residual(a, b, x_gcrodr)) < 1e-12);
  }

  SECTION("left preconditioning converges to the same solution") {
    auto gmres = kt::make_ksp(a, KSPGMRES, "none", rtol);
    KOLMO_PETSC_CALL(KSPGMRESSetRestart(gmres, 30));
    kt::solve(gmres, b, x_gmres);
    auto gcrodr = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    KOLMO_PETSC_CALL(KSPSetPCSide(gcrodr, PC_LEFT));
    KSPConvergedReason reason;
    kt::solve(gcrodr, b, x_gcrodr, &reason);
    KSPNormType norm = KSP_NORM_DEFAULT;
    KOLMO_PETSC_CALL(KSPGetNormType(gcrodr, &norm));
    REQUIRE(norm == KSP_NORM_PRECONDITIONED);
    REQUIRE(reason > 0);
    REQUIRE(kt::relative_difference(x_gcrodr, x_gmres) < 1e-7);
  }
}

TEST_CASE("gcrodr recycling: far fewer iterations on later solves of a sequence", "[solvers][gcrodr]") {
  kolmo::register_solvers();
  const PetscReal rtol = 1e-8;
  const int count = 5;

  SECTION("identical matrices, new right-hand sides") {
    auto a = test_matrix(test_comm());
    auto with = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    auto without = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    ks::gcrodr_set_recycle(without, false);
    auto gmres = kt::make_ksp(a, KSPGMRES, "jacobi", rtol);
    std::vector<PetscInt> its_with, its_without, its_gmres;
    for (int s = 0; s < count; ++s) {
      auto b = kt::random_vector(a, 100 + s);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      its_with.push_back(kt::solve(with, b, x, &reason));
      REQUIRE(reason > 0);
      REQUIRE(kt::relative_residual(a, b, x) < 2 * rtol);
      its_without.push_back(kt::solve(without, b, x, &reason));
      REQUIRE(reason > 0);
      its_gmres.push_back(kt::solve(gmres, b, x, &reason));
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] identical matrices, jacobi: GMRES(30) %s | GCRO-DR no recycling %s | GCRO-DR recycling %s\n",
                                 counts_text(its_gmres).c_str(), counts_text(its_without).c_str(),
                                 counts_text(its_with).c_str()));
    INFO("recycling " << counts_text(its_with) << ", without " << counts_text(its_without));
    REQUIRE(ks::gcrodr_recycle_space_size(with) == 10);
    REQUIRE(ks::gcrodr_stats(with).refits == 0);
    // The space improves over the sequence: a first gain on the second solve, a large one after.
    REQUIRE(10 * its_with[1] <= 9 * its_with[0]);
    for (int s = 1; s < count; ++s) REQUIRE(its_with[s] < its_without[s]);
    for (int s = 2; s < count; ++s) REQUIRE(4 * its_with[s] <= 3 * its_with[0]);
    // Without recycling every solve starts from scratch.
    REQUIRE(ks::gcrodr_stats(without).refits == 0);

    // Clearing the space restores the first-solve behaviour.
    ks::gcrodr_clear_recycle_space(with);
    REQUIRE(ks::gcrodr_recycle_space_size(with) == 0);
    auto b = kt::random_vector(a, 100);
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    REQUIRE(kt::solve(with, b, x) == its_with[0]);
  }

  SECTION("slowly varying matrices A + t D, the same Mat object changed in place") {
    auto a0 = test_matrix(test_comm());
    kolmo::MatHandle a;
    KOLMO_PETSC_CALL(MatDuplicate(a0, MAT_COPY_VALUES, a.out()));
    auto d = kt::make_vector(a0, [](PetscInt g) { return 0.5 + 0.5 * std::sin(0.1 * g); });
    auto b = kt::random_vector(a0, 7);
    auto with = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    auto without = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    ks::gcrodr_set_recycle(without, false);
    std::vector<PetscInt> its_with, its_without;
    for (int s = 0; s < count; ++s) {
      const PetscReal t = 0.02 * s;
      KOLMO_PETSC_CALL(MatCopy(a0, a, SAME_NONZERO_PATTERN));
      kolmo::VecHandle td;
      KOLMO_PETSC_CALL(VecDuplicate(d, td.out()));
      KOLMO_PETSC_CALL(VecAXPBY(td, t, 0.0, d));
      KOLMO_PETSC_CALL(MatDiagonalSet(a, td, ADD_VALUES));
      KOLMO_PETSC_CALL(KSPSetOperators(with, a, a));
      KOLMO_PETSC_CALL(KSPSetOperators(without, a, a));
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      its_with.push_back(kt::solve(with, b, x, &reason));
      REQUIRE(reason > 0);
      REQUIRE(kt::relative_residual(a, b, x) < 2 * rtol);
      its_without.push_back(kt::solve(without, b, x, &reason));
      REQUIRE(reason > 0);
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] A + t D (same Mat), jacobi: GCRO-DR no recycling %s | recycling %s\n",
                                 counts_text(its_without).c_str(), counts_text(its_with).c_str()));
    INFO("recycling " << counts_text(its_with) << ", without " << counts_text(its_without));
    REQUIRE(ks::gcrodr_stats(with).refits == count - 1);
    for (int s = 1; s < count; ++s) REQUIRE(its_with[s] < its_without[s]);
    for (int s = 2; s < count; ++s) REQUIRE(4 * its_with[s] <= 3 * its_without[s]);
  }

  SECTION("a different Mat object passed to KSPSetOperators is re-fitted too") {
    auto with = kt::make_ksp(test_matrix(test_comm()), ks::ksp_type_gcrodr, "none", rtol);
    std::vector<PetscInt> its;
    for (int s = 0; s < 3; ++s) {
      auto a = kt::grid_matrix(test_comm(), kGrid, kConvection,
                               [s](PetscInt g) { return kShift + 0.002 * s * (1 + (g % 7)); });
      KOLMO_PETSC_CALL(KSPSetOperators(with, a, a));
      auto b = kt::random_vector(a, 3);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      its.push_back(kt::solve(with, b, x, &reason));
      REQUIRE(reason > 0);
      REQUIRE(kt::relative_residual(a, b, x) < 2 * rtol);
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] new Mat objects, no pc: GCRO-DR recycling %s\n", counts_text(its).c_str()));
    REQUIRE(ks::gcrodr_stats(with).refits == 2);
    REQUIRE(its[1] < its[0]);
    REQUIRE(its[2] < its[0]);
  }
}

TEST_CASE("gcrodr gives the same iterations and solution on 1 and on all ranks", "[solvers][gcrodr][mpi]") {
  kolmo::register_solvers();
  const PetscReal rtol = 1e-9;
  auto solve_sequence = [&](MPI_Comm comm, std::vector<PetscInt>& its, std::vector<std::vector<PetscReal>>& solutions) {
    auto a = test_matrix(comm, 24);
    auto ksp = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", rtol);
    ks::gcrodr_set_cycle_length(ksp, 20);
    ks::gcrodr_set_recycle_dimension(ksp, 6);
    for (unsigned s = 0; s < 3; ++s) {
      auto b = kt::random_vector(a, 40 + s);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      its.push_back(kt::solve(ksp, b, x));
      solutions.push_back(kt::gather_all(x));
    }
  };
  std::vector<PetscInt> its_self, its_all;
  std::vector<std::vector<PetscReal>> x_self, x_all;
  solve_sequence(PETSC_COMM_SELF, its_self, x_self);
  solve_sequence(test_comm(), its_all, x_all);
  KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] %d ranks vs 1: %s vs %s\n", kolmo::comm_size(test_comm()),
                               counts_text(its_all).c_str(), counts_text(its_self).c_str()));
  bool ok = true;
  for (std::size_t s = 0; s < its_self.size(); ++s) {
    // Reductions in another order may move the stopping point by one iteration at most.
    ok = ok && std::abs(its_self[s] - its_all[s]) <= 1;
    PetscReal diff = 0, norm = 0;
    for (std::size_t i = 0; i < x_self[s].size(); ++i) {
      diff += (x_self[s][i] - x_all[s][i]) * (x_self[s][i] - x_all[s][i]);
      norm += x_self[s][i] * x_self[s][i];
    }
    ok = ok && std::sqrt(diff) <= 1e-6 * std::sqrt(norm);
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("gcrodr breakdowns end with a diverged reason", "[solvers][gcrodr]") {
  kolmo::register_solvers();

  SECTION("singular matrix (a zero row)") {
    auto a = kt::grid_matrix(test_comm(), 16, kConvection);
    const PetscInt row = 37;
    KOLMO_PETSC_CALL(MatZeroRows(a, 1, &row, 0.0, nullptr, nullptr));
    auto b = kt::make_vector(a, [](PetscInt) { return 1.0; });
    for (PetscInt m : {30, 300}) {
      auto ksp = kt::make_ksp(a, ks::ksp_type_gcrodr, "none", 1e-8, 600);
      ks::gcrodr_set_cycle_length(ksp, m);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      const PetscInt its = kt::solve(ksp, b, x, &reason);
      KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] zero row, m=%d: reason %s after %d iterations\n",
                                   static_cast<int>(m), KSPConvergedReasons[reason], static_cast<int>(its)));
      REQUIRE(reason < 0);
      REQUIRE(its <= 600);
    }
  }

  SECTION("NaN in the right-hand side") {
    auto a = kt::grid_matrix(test_comm(), 16, kConvection);
    auto b = kt::make_vector(a, [](PetscInt g) { return g == 5 ? std::nan("") : 1.0; });
    for (const char* pc : {"none", "jacobi"}) {
      for (PCSide side : {PC_RIGHT, PC_LEFT}) {
        auto ksp = kt::make_ksp(a, ks::ksp_type_gcrodr, pc, 1e-8, 200);
        KOLMO_PETSC_CALL(KSPSetPCSide(ksp, side));
        kolmo::VecHandle x;
        KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
        KSPConvergedReason reason;
        kt::solve(ksp, b, x, &reason);
        REQUIRE(reason == KSP_DIVERGED_NANORINF);
      }
    }
  }

  SECTION("a recycled space survives a NaN solve and the next solve converges") {
    auto a = kt::grid_matrix(test_comm(), 16, kConvection);
    auto ksp = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", 1e-8, 500);
    auto good = kt::random_vector(a, 9);
    auto bad = kt::make_vector(a, [](PetscInt g) { return g == 3 ? std::nan("") : 1.0; });
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(good, x.out()));
    KSPConvergedReason reason;
    kt::solve(ksp, good, x, &reason);
    REQUIRE(reason > 0);
    kt::solve(ksp, bad, x, &reason);
    REQUIRE(reason == KSP_DIVERGED_NANORINF);
    kt::solve(ksp, good, x, &reason);
    REQUIRE(reason > 0);
    REQUIRE(kt::relative_residual(a, good, x) < 2e-8);
  }
}

namespace {
struct TrueResidualCheck {
  PetscReal bnorm = 0;
  PetscReal worst = 0;
  int calls = 0;
};

PetscErrorCode true_residual_monitor(KSP ksp, PetscInt, PetscReal rnorm, void* ctx) {
  return kolmo::petsc_callback([&] {
    auto* check = static_cast<TrueResidualCheck*>(ctx);
    Vec r = nullptr;
    KOLMO_PETSC_CALL(KSPBuildResidual(ksp, nullptr, nullptr, &r));
    PetscReal true_norm = 0;
    KOLMO_PETSC_CALL(VecNorm(r, NORM_2, &true_norm));
    KOLMO_PETSC_CALL(VecDestroy(&r));
    check->worst = std::max(check->worst, std::abs(true_norm - rnorm) / check->bnorm);
    ++check->calls;
  });
}
}  // namespace

TEST_CASE("gcrodr monitors see the true residual in the middle of a cycle", "[solvers][gcrodr]") {
  kolmo::register_solvers();
  auto a = kt::grid_matrix(test_comm(), 20, kConvection);
  auto ksp = kt::make_ksp(a, ks::ksp_type_gcrodr, "jacobi", 1e-9);
  ks::gcrodr_set_cycle_length(ksp, 15);
  ks::gcrodr_set_recycle_dimension(ksp, 5);
  TrueResidualCheck check;
  KOLMO_PETSC_CALL(KSPMonitorSet(ksp, true_residual_monitor, &check, nullptr));
  for (unsigned s = 0; s < 2; ++s) {
    auto b = kt::random_vector(a, 60 + s);
    KOLMO_PETSC_CALL(VecNorm(b, NORM_2, &check.bnorm));
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    KSPConvergedReason reason;
    kt::solve(ksp, b, x, &reason);
    REQUIRE(reason > 0);
  }
  INFO("largest |true - monitored| / ||b|| = " << check.worst << " over " << check.calls << " calls");
  REQUIRE(check.calls > 20);
  REQUIRE(check.worst < 1e-10);
}

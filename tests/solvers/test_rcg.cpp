// Recycled CG ("rcg" KSP): CG on the first solve, a monotone A-norm error, fewer iterations on
// sequences (identical and slowly varying SPD matrices), identical results on 1 and 2 ranks,
// breakdowns and options.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/ksp_rcg.hpp"
#include "solvers/register_solvers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace kt = kolmo::testing;
namespace ks = kolmo::solvers;

namespace {

constexpr PetscInt kGrid = 32;  // 1024 unknowns, CG needs about 100 iterations

std::string counts_text(const std::vector<PetscInt>& its) {
  std::ostringstream out;
  for (std::size_t i = 0; i < its.size(); ++i) out << (i ? " " : "") << its[i];
  return out.str();
}

/// Records ||x_j - x*||_A after every iteration (x_j from KSPBuildSolution).
struct ErrorMonitor {
  Mat a = nullptr;
  Vec exact = nullptr;
  std::vector<PetscReal> a_norms;
};

PetscErrorCode error_monitor(KSP ksp, PetscInt, PetscReal, void* ctx) {
  return kolmo::petsc_callback([&] {
    auto* m = static_cast<ErrorMonitor*>(ctx);
    Vec x = nullptr;
    KOLMO_PETSC_CALL(KSPBuildSolution(ksp, nullptr, &x));
    kolmo::VecHandle e, ae;
    KOLMO_PETSC_CALL(VecDuplicate(x, e.out()));
    KOLMO_PETSC_CALL(VecDuplicate(x, ae.out()));
    KOLMO_PETSC_CALL(VecWAXPY(e, -1.0, m->exact, x));
    KOLMO_PETSC_CALL(MatMult(m->a, e, ae));
    PetscScalar energy = 0;
    KOLMO_PETSC_CALL(VecDot(e, ae, &energy));
    m->a_norms.push_back(std::sqrt(std::abs(energy)));
  });
}

}  // namespace

TEST_CASE("rcg is a PETSc KSP type selectable from the options database", "[solvers][rcg]") {
  kolmo::register_solvers();
  auto a = kt::grid_matrix(test_comm(), 8);
  kolmo::KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(test_comm(), ksp.out()));
  KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp, "rcg_opt_"));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-rcg_opt_ksp_type", "rcg"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-rcg_opt_ksp_rcg_k", "5"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-rcg_opt_ksp_rcg_recycle", "false"));
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  for (const char* name : {"-rcg_opt_ksp_type", "-rcg_opt_ksp_rcg_k", "-rcg_opt_ksp_rcg_recycle"})
    KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, name));

  KSPType type = nullptr;
  KOLMO_PETSC_CALL(KSPGetType(ksp, &type));
  REQUIRE(std::string(type) == "rcg");
  REQUIRE(ks::rcg_deflation_dimension(ksp) == 5);
  REQUIRE(ks::rcg_stored_directions(ksp) == 10);
  REQUIRE_FALSE(ks::rcg_recycle(ksp));
  KOLMO_PETSC_CALL(KSPSetUp(ksp));
  KSPNormType norm = KSP_NORM_DEFAULT;
  KOLMO_PETSC_CALL(KSPGetNormType(ksp, &norm));
  REQUIRE(norm == KSP_NORM_PRECONDITIONED);

  const std::string path = std::string("rcg_view_np") + std::to_string(kolmo::comm_size(test_comm())) + ".txt";
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
    view_ok = text.str().find("deflation dimension k=5, block length l=10") != std::string::npos;
    std::filesystem::remove(path);
  }
  REQUIRE(on_all_ranks(view_ok));

  kolmo::KSPHandle other;
  KOLMO_PETSC_CALL(KSPCreate(test_comm(), other.out()));
  KOLMO_PETSC_CALL(KSPSetType(other, KSPGMRES));
  ks::rcg_set_deflation_dimension(other, 3);
  REQUIRE_THROWS_WITH(ks::rcg_deflation_dimension(other), Catch::Contains("not 'rcg'"));
}

TEST_CASE("rcg: plain CG on the first solve, deflated CG with a monotone A-norm error after",
          "[solvers][rcg]") {
  kolmo::register_solvers();
  auto a = kt::grid_matrix(test_comm(), kGrid);
  const PetscReal rtol = 1e-10;
  for (const char* pc : {"none", "jacobi", "bjacobi"}) {
    auto cg = kt::make_ksp(a, KSPCG, pc, rtol);
    auto rcg = kt::make_ksp(a, ks::ksp_type_rcg, pc, rtol);
    std::vector<PetscInt> its_cg, its_rcg;
    for (unsigned s = 0; s < 3; ++s) {
      // b = A x* with a known x*, to measure the error itself.
      auto exact = kt::random_vector(a, 200 + s);
      kolmo::VecHandle b, x_cg, x_rcg;
      KOLMO_PETSC_CALL(VecDuplicate(exact, b.out()));
      KOLMO_PETSC_CALL(MatMult(a, exact, b));
      KOLMO_PETSC_CALL(VecDuplicate(b, x_cg.out()));
      KOLMO_PETSC_CALL(VecDuplicate(b, x_rcg.out()));
      ErrorMonitor monitor{a, exact, {}};
      KOLMO_PETSC_CALL(KSPMonitorCancel(rcg));
      KOLMO_PETSC_CALL(KSPMonitorSet(rcg, error_monitor, &monitor, nullptr));
      KSPConvergedReason reason_cg, reason_rcg;
      its_cg.push_back(kt::solve(cg, b, x_cg, &reason_cg));
      its_rcg.push_back(kt::solve(rcg, b, x_rcg, &reason_rcg));
      REQUIRE(reason_cg > 0);
      REQUIRE(reason_rcg > 0);
      REQUIRE(kt::relative_difference(x_rcg, x_cg) < 1e-7);
      REQUIRE(kt::relative_difference(x_rcg, exact) < 1e-6);
      // Deflated CG minimises the A-norm of the error over growing spaces: it never increases.
      REQUIRE(monitor.a_norms.size() == static_cast<std::size_t>(its_rcg.back() + 1));
      for (std::size_t j = 1; j < monitor.a_norms.size(); ++j) {
        INFO("solve " << s << ", iteration " << j << ": " << monitor.a_norms[j - 1] << " -> " << monitor.a_norms[j]);
        REQUIRE(monitor.a_norms[j] <= monitor.a_norms[j - 1] * (1 + 1e-10));
      }
      // The deflated initial guess is the A-orthogonal projection of x* on span(W): its error is
      // smaller in the A-norm than that of the zero guess, ||x*||_A = sqrt(x*^T b).
      PetscScalar energy = 0;
      KOLMO_PETSC_CALL(VecDot(exact, b, &energy));
      if (s > 0) REQUIRE(monitor.a_norms.front() < std::sqrt(energy));
      if (s == 0) REQUIRE(monitor.a_norms.front() == Approx(std::sqrt(energy)).epsilon(1e-10));
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] pc %s, same matrix: CG %s | RCG %s\n", pc,
                                 counts_text(its_cg).c_str(), counts_text(its_rcg).c_str()));
    INFO("pc " << pc << ": CG " << counts_text(its_cg) << ", RCG " << counts_text(its_rcg));
    REQUIRE(std::abs(its_rcg[0] - its_cg[0]) <= 1);  // no space yet: this is CG
    REQUIRE(ks::rcg_deflation_space_size(rcg) == 10);
  }
}

TEST_CASE("rcg recycling: fewer iterations on later solves of a sequence", "[solvers][rcg]") {
  kolmo::register_solvers();
  const PetscReal rtol = 1e-8;
  const int count = 5;

  SECTION("identical matrices, new right-hand sides") {
    auto a = kt::grid_matrix(test_comm(), kGrid);
    auto cg = kt::make_ksp(a, KSPCG, "jacobi", rtol);
    auto with = kt::make_ksp(a, ks::ksp_type_rcg, "jacobi", rtol);
    auto without = kt::make_ksp(a, ks::ksp_type_rcg, "jacobi", rtol);
    ks::rcg_set_recycle(without, false);
    std::vector<PetscInt> its_cg, its_with, its_without;
    for (int s = 0; s < count; ++s) {
      auto b = kt::random_vector(a, 300 + s);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      its_with.push_back(kt::solve(with, b, x, &reason));
      REQUIRE(reason > 0);
      REQUIRE(kt::relative_residual(a, b, x) < 10 * rtol);
      its_without.push_back(kt::solve(without, b, x, &reason));
      its_cg.push_back(kt::solve(cg, b, x, &reason));
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] identical SPD matrices, jacobi: CG %s | RCG no recycling %s | RCG %s\n",
                                 counts_text(its_cg).c_str(), counts_text(its_without).c_str(),
                                 counts_text(its_with).c_str()));
    INFO("RCG " << counts_text(its_with) << ", CG " << counts_text(its_cg));
    for (int s = 0; s < count; ++s) REQUIRE(std::abs(its_without[s] - its_cg[s]) <= 1);
    REQUIRE(10 * its_with[1] <= 9 * its_cg[1]);
    for (int s = 2; s < count; ++s) REQUIRE(4 * its_with[s] <= 3 * its_cg[s]);
    REQUIRE(ks::rcg_stats(with).refits == 0);
    REQUIRE(ks::rcg_stats(with).updates == count);

    ks::rcg_clear_deflation_space(with);
    REQUIRE(ks::rcg_deflation_space_size(with) == 0);
    auto b = kt::random_vector(a, 300);
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    REQUIRE(kt::solve(with, b, x) == its_with[0]);
  }

  SECTION("slowly varying matrices A + t D, the same Mat object changed in place") {
    auto a0 = kt::grid_matrix(test_comm(), kGrid);
    kolmo::MatHandle a;
    KOLMO_PETSC_CALL(MatDuplicate(a0, MAT_COPY_VALUES, a.out()));
    auto d = kt::make_vector(a0, [](PetscInt g) { return 0.5 + 0.5 * std::sin(0.1 * g); });
    auto cg = kt::make_ksp(a, KSPCG, "jacobi", rtol);
    auto with = kt::make_ksp(a, ks::ksp_type_rcg, "jacobi", rtol);
    std::vector<PetscInt> its_cg, its_with;
    for (int s = 0; s < count; ++s) {
      KOLMO_PETSC_CALL(MatCopy(a0, a, SAME_NONZERO_PATTERN));
      kolmo::VecHandle td;
      KOLMO_PETSC_CALL(VecDuplicate(d, td.out()));
      KOLMO_PETSC_CALL(VecAXPBY(td, 0.002 * s, 0.0, d));
      KOLMO_PETSC_CALL(MatDiagonalSet(a, td, ADD_VALUES));
      KOLMO_PETSC_CALL(KSPSetOperators(with, a, a));
      KOLMO_PETSC_CALL(KSPSetOperators(cg, a, a));
      auto b = kt::random_vector(a, 400 + s);
      kolmo::VecHandle x;
      KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
      KSPConvergedReason reason;
      its_with.push_back(kt::solve(with, b, x, &reason));
      REQUIRE(reason > 0);
      REQUIRE(kt::relative_residual(a, b, x) < 10 * rtol);
      its_cg.push_back(kt::solve(cg, b, x, &reason));
    }
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] A + t D (same Mat), jacobi: CG %s | RCG %s\n",
                                 counts_text(its_cg).c_str(), counts_text(its_with).c_str()));
    INFO("RCG " << counts_text(its_with) << ", CG " << counts_text(its_cg));
    REQUIRE(ks::rcg_stats(with).refits == count - 1);
    for (int s = 2; s < count; ++s) REQUIRE(4 * its_with[s] <= 3 * its_cg[s]);
  }
}

TEST_CASE("rcg gives the same iterations and solution on 1 and on all ranks", "[solvers][rcg][mpi]") {
  kolmo::register_solvers();
  auto solve_sequence = [](MPI_Comm comm, std::vector<PetscInt>& its, std::vector<std::vector<PetscReal>>& solutions) {
    auto a = kt::grid_matrix(comm, 24);
    auto ksp = kt::make_ksp(a, ks::ksp_type_rcg, "jacobi", 1e-9);
    ks::rcg_set_deflation_dimension(ksp, 6);
    for (unsigned s = 0; s < 3; ++s) {
      auto b = kt::random_vector(a, 500 + s);
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
  KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] RCG %d ranks vs 1: %s vs %s\n", kolmo::comm_size(test_comm()),
                               counts_text(its_all).c_str(), counts_text(its_self).c_str()));
  bool ok = true;
  for (std::size_t s = 0; s < its_self.size(); ++s) {
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

TEST_CASE("rcg breakdowns end with a diverged reason", "[solvers][rcg]") {
  kolmo::register_solvers();
  auto prime = [](KSP ksp, Mat a) {
    auto b = kt::random_vector(a, 1);
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    kt::solve(ksp, b, x);
  };

  SECTION("NaN in the right-hand side, with and without a deflation space") {
    auto a = kt::grid_matrix(test_comm(), 16);
    auto ksp = kt::make_ksp(a, ks::ksp_type_rcg, "jacobi", 1e-8, 500);
    auto b = kt::make_vector(a, [](PetscInt g) { return g == 5 ? std::nan("") : 1.0; });
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    KSPConvergedReason reason;
    kt::solve(ksp, b, x, &reason);
    REQUIRE(reason == KSP_DIVERGED_NANORINF);
    prime(ksp, a);
    REQUIRE(ks::rcg_deflation_space_size(ksp) > 0);
    KOLMO_PETSC_CALL(VecSet(x, 0.0));
    kt::solve(ksp, b, x, &reason);
    REQUIRE(reason == KSP_DIVERGED_NANORINF);
    // The space survives and the next good solve converges.
    auto good = kt::random_vector(a, 2);
    kt::solve(ksp, good, x, &reason);
    REQUIRE(reason > 0);
  }

  SECTION("an indefinite matrix") {
    auto a = kt::grid_matrix(test_comm(), 16, 0.0, [](PetscInt g) { return g == 40 ? -10.0 : 0.0; });
    auto ksp = kt::make_ksp(a, ks::ksp_type_rcg, "none", 1e-8, 500);
    auto b = kt::make_vector(a, [](PetscInt) { return 1.0; });
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    KSPConvergedReason reason;
    kt::solve(ksp, b, x, &reason);
    REQUIRE(reason == KSP_DIVERGED_INDEFINITE_MAT);
  }

  SECTION("a singular matrix (a zero row)") {
    auto a = kt::grid_matrix(test_comm(), 16);
    const PetscInt row = 37;
    KOLMO_PETSC_CALL(MatZeroRows(a, 1, &row, 0.0, nullptr, nullptr));
    auto ksp = kt::make_ksp(a, ks::ksp_type_rcg, "none", 1e-8, 500);
    auto b = kt::make_vector(a, [](PetscInt) { return 1.0; });
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    KSPConvergedReason reason;
    const PetscInt its = kt::solve(ksp, b, x, &reason);
    KOLMO_PETSC_CALL(PetscPrintf(test_comm(), "[counts] RCG zero row: reason %s after %d iterations\n",
                                 KSPConvergedReasons[reason], static_cast<int>(its)));
    REQUIRE(reason < 0);
  }
}

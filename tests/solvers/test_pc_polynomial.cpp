// The kolmo_poly PC: Lanczos bounds on a known spectrum, and Chebyshev / least-squares
// polynomials that cut CG iterations, stay symmetric, and count their products with A.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/pc_polynomial.hpp"
#include "solvers/register_solvers.hpp"
#include "test_pc_problems.hpp"

using namespace kolmo;
using namespace kolmo::solvers;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

// The 1-D Laplacian tridiag(-1, 2, -1) of size n: eigenvalues 2 - 2 cos(k pi / (n + 1)).
MatHandle laplacian_1d(MPI_Comm comm, PetscInt n) {
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr, a.out()));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  for (PetscInt i = low; i < high; ++i) {
    if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -1.0, INSERT_VALUES));
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, 2.0, INSERT_VALUES));
    if (i + 1 < n) KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, -1.0, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

struct Run {
  PetscInt iterations = 0;
  PetscReal residual = 0;
};

Run cg(Mat a, Vec b, const char* pc_type, const char* prefix = nullptr) {
  KSPHandle ksp = testing::make_ksp(a, KSPCG, pc_type, 1e-8, 10000, prefix);
  if (prefix) KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  KSPConvergedReason reason{};
  Run run;
  run.iterations = testing::solve(ksp, b, x, &reason);
  REQUIRE(reason > 0);
  run.residual = testing::relative_residual(a, b, x);
  return run;
}

}  // namespace

TEST_CASE("lanczos_ritz_bounds brackets the known spectrum of the 1-D Laplacian", "[poly]") {
  const PetscInt n = 400;
  MatHandle a = laplacian_1d(test_comm(), n);
  const double lmin = 2 - 2 * std::cos(M_PI / (n + 1)), lmax = 2 - 2 * std::cos(n * M_PI / (n + 1));
  const RitzBounds r = lanczos_ritz_bounds(a, 30, false);
  REQUIRE(r.steps == 30);
  // Ritz values lie inside the spectrum, and the extreme one converges first.
  REQUIRE(r.largest <= lmax * (1 + 1e-12));
  REQUIRE(r.largest >= 0.98 * lmax);
  REQUIRE(r.smallest >= lmin * (1 - 1e-12));
}

TEST_CASE("kolmo_poly Chebyshev and least-squares polynomials cut CG iterations", "[poly]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const PetscInt n = 400;
  MatHandle a = laplacian_1d(comm, n);
  VecHandle b = testing::random_vector(a, 11);
  const Run plain = cg(a, b, PCNONE);

  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tcheb_pc_kolmo_poly_degree", "6"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tcheb_pc_kolmo_poly_jacobi", "false"));
  const Run cheb = cg(a, b, pc_type_polynomial, "tcheb_");
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tlsq_pc_kolmo_poly_type", "lsq"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tlsq_pc_kolmo_poly_degree", "6"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tlsq_pc_kolmo_poly_jacobi", "false"));
  const Run lsq = cg(a, b, pc_type_polynomial, "tlsq_");
  for (const char* name : {"-tcheb_pc_kolmo_poly_degree", "-tcheb_pc_kolmo_poly_jacobi",
                           "-tlsq_pc_kolmo_poly_type", "-tlsq_pc_kolmo_poly_degree",
                           "-tlsq_pc_kolmo_poly_jacobi"})
    KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, name));
  INFO("CG iterations: none " << plain.iterations << ", chebyshev " << cheb.iterations << ", lsq "
                              << lsq.iterations);
  // CG stops on the preconditioned residual (rtol 1e-8); the true one is within a few times that.
  REQUIRE(cheb.residual < 1e-6);
  REQUIRE(lsq.residual < 1e-6);
  // Degree 6 (5 extra products per iteration). Chebyshev on [smallest Ritz value, b] leaves the
  // eigenvalues below the Ritz value (30 Lanczos steps do not find lambda_min ~ 6e-5) to CG, so it
  // gains less than the least-squares polynomial, which covers all of [0, b].
  REQUIRE(2 * cheb.iterations <= plain.iterations);
  REQUIRE(3 * lsq.iterations <= plain.iterations);
}

TEST_CASE("kolmo_poly is symmetric and positive and reports its bounds", "[poly]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  MatHandle a = testing::darcy_matrix(comm, 24, 5);
  KSPHandle ksp = testing::make_ksp(a, KSPCG, pc_type_polynomial, 1e-8);
  KOLMO_PETSC_CALL(KSPSetUp(ksp));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  const PolynomialInfo info = polynomial_pc_info(pc);
  REQUIRE(info.type == "chebyshev");
  REQUIRE(info.degree == 8);
  REQUIRE(info.lower > 0);
  REQUIRE(info.upper > info.lower);
  // The Jacobi-scaled operator of an M-matrix has spectrum in (0, 2).
  REQUIRE(info.upper <= 2.0 + 1e-12);
  VecHandle x = testing::random_vector(a, 1), y = testing::random_vector(a, 2), px, py;
  KOLMO_PETSC_CALL(VecDuplicate(x, px.out()));
  KOLMO_PETSC_CALL(VecDuplicate(x, py.out()));
  KOLMO_PETSC_CALL(PCApply(pc, x, px));
  KOLMO_PETSC_CALL(PCApply(pc, y, py));
  PetscScalar xpx = 0, ypx = 0, xpy = 0;
  KOLMO_PETSC_CALL(VecDot(x, px, &xpx));
  KOLMO_PETSC_CALL(VecDot(y, px, &ypx));
  KOLMO_PETSC_CALL(VecDot(x, py, &xpy));
  REQUIRE(xpx > 0);
  REQUIRE(ypx == Approx(xpy).epsilon(1e-10));
  // Fewer iterations than Jacobi-preconditioned CG on the same system.
  VecHandle b = testing::darcy_rhs(a, 24, 0, 1);
  REQUIRE(2 * cg(a, b, pc_type_polynomial).iterations <= cg(a, b, PCJACOBI).iterations);
}

TEST_CASE("kolmo_poly works as the smoother of PETSc's algebraic multigrid", "[poly]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  MatHandle a = testing::darcy_matrix(comm, 48, 8);
  VecHandle b = testing::darcy_rhs(a, 48, 0, 2);
  for (const char* name : {"-tsm_mg_levels_ksp_type", "-tsm_mg_levels_pc_type",
                           "-tsm_mg_levels_pc_kolmo_poly_lower_fraction",
                           "-tsm_mg_levels_pc_kolmo_poly_degree"}) {
    const char* value = std::string(name).find("ksp_type") != std::string::npos ? "richardson"
                        : std::string(name).find("pc_type") != std::string::npos ? pc_type_polynomial
                        : std::string(name).find("fraction") != std::string::npos ? "0.1"
                                                                                    : "3";
    KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, name, value));
  }
  const Run smoothed = cg(a, b, PCGAMG, "tsm_");
  for (const char* name : {"-tsm_mg_levels_ksp_type", "-tsm_mg_levels_pc_type",
                           "-tsm_mg_levels_pc_kolmo_poly_lower_fraction",
                           "-tsm_mg_levels_pc_kolmo_poly_degree"})
    KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, name));
  const Run jacobi = cg(a, b, PCJACOBI);
  INFO("CG iterations: GAMG with kolmo_poly smoothing " << smoothed.iterations << ", Jacobi "
                                                        << jacobi.iterations);
  REQUIRE(smoothed.residual < 1e-6);
  // Multigrid-like convergence: a small fraction of Jacobi-CG's iterations.
  REQUIRE(5 * smoothed.iterations <= jacobi.iterations);
}

// The thermal block against an independent code: FreeFEM's P2 compliance of the classical 2 x 2
// benchmark at mu = (0.1, 0.3, 0.5, 1.0), written by the ctest fixture
// thermal_block_freefem_reference (thermal_block_reference.edp) into the working directory.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/thermal_block.hpp"
#include "problem_test_helpers.hpp"
#include "solvers/truth_solver.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::test_comm;

TEST_CASE("thermal block compliance agrees with FreeFEM to 3 significant digits",
          "[operators][thermal_block][reference]") {
  std::ifstream file("thermal_block_reference.txt");
  double reference = std::nan("");
  file >> reference;
  INFO("thermal_block_reference.txt comes from the ctest fixture thermal_block_freefem_reference "
       "(run ctest -R thermal_block_reference)");
  REQUIRE(std::isfinite(reference));

  ThermalBlockSettings settings;
  settings.cells = {256, 256};
  const ThermalBlockProblem problem(
      test_comm(), kolmo::testing::make_space({"mu0", "mu1", "mu2", "mu3"}, 0.1, 1.0), settings);
  SolverSection solver;
  solver.ksp_type = "cg";
  solver.pc_type = "gamg";
  solver.rtol = 1e-12;
  solvers::TruthSolver truth(problem, solver, "reference_");
  VecHandle u = problem.create_vector();
  const Mu mu{0.1, 0.3, 0.5, 1.0};
  const auto stats = truth.solve(mu, u);
  const double compliance = problem.evaluate_outputs(mu, u)[0];
  if (comm_rank(test_comm()) == 0)
    std::printf("thermal block compliance: Kolmo Q1 256x256 %.10f (%d CG iterations), FreeFEM P2 "
                "%.10f, relative difference %.2e\n",
                compliance, static_cast<int>(stats.iterations), reference,
                std::abs(compliance - reference) / reference);
  CHECK(stats.relative_residual < 1e-8);
  // Three significant digits: the two agree to half a unit in the third digit.
  CHECK(std::abs(compliance - reference) < 5e-4 * reference);
}

// The thermal block: convergence against a manufactured solution, the same errors on any number
// of ranks, the affine decomposition against a directly assembled operator, symmetry and
// semi-definiteness of the terms, the compliant output, and the natural ordering.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "mpi_test_helpers.hpp"
#include "operators/element_kernels.hpp"
#include "operators/thermal_block.hpp"
#include "problem_test_helpers.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr double pi = std::numbers::pi;

ParameterSpace four_blocks() { return kolmo::testing::make_space({"mu0", "mu1", "mu2", "mu3"}, 0.1, 1.0); }

ThermalBlockSettings settings_with_cells(PetscInt cells) {
  ThermalBlockSettings s;
  s.cells = {cells, cells};
  return s;
}

// With every conductivity equal to k, u = sin(pi x) sin(pi y) solves -k Lap u = 2 pi^2 k u.
StructuredGrid::ErrorNorms manufactured_errors(MPI_Comm comm, PetscInt cells) {
  const ThermalBlockProblem problem(comm, four_blocks(), settings_with_cells(cells));
  const double k = 0.5;
  const Mu mu(4, k);
  MatHandle a;
  problem.assemble_operator(mu, a);
  VecHandle f = problem.grid().assemble_vector(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_load(points,
                 [&](double x, double y) { return 2 * pi * pi * k * std::sin(pi * x) * std::sin(pi * y); },
                 fe);
      });
  VecHandle u = problem.create_vector();
  kolmo::testing::solve_direct(a, f, u);
  return problem.grid().errors(u, [](double x, double y, std::span<double> value,
                                     std::span<double> gx, std::span<double> gy) {
    value[0] = std::sin(pi * x) * std::sin(pi * y);
    gx[0] = pi * std::cos(pi * x) * std::sin(pi * y);
    gy[0] = pi * std::sin(pi * x) * std::cos(pi * y);
  });
}

}  // namespace

TEST_CASE("thermal block converges at orders 2 (L2) and 1 (H1) to a manufactured solution",
          "[operators][thermal_block]") {
  std::vector<double> l2, h1;
  for (PetscInt cells : {8, 16, 32, 64}) {
    const auto e = manufactured_errors(test_comm(), cells);
    l2.push_back(e.l2);
    h1.push_back(e.h1_semi);
  }
  const auto l2_orders = kolmo::testing::observed_orders(l2);
  const auto h1_orders = kolmo::testing::observed_orders(h1);
  for (std::size_t i = 0; i < l2_orders.size(); ++i) {
    INFO("grids " << (8 << i) << " -> " << (16 << i) << ": L2 order " << l2_orders[i]
                  << ", H1 order " << h1_orders[i]);
    CHECK(l2_orders[i] == Approx(2.0).margin(0.15));
    CHECK(h1_orders[i] == Approx(1.0).margin(0.15));
  }
  CHECK(l2.back() < 1e-3);
}

TEST_CASE("thermal block errors and compliance do not depend on the number of ranks",
          "[operators][thermal_block][mpi]") {
  // Every rank also solves the same problem alone; both must agree to solver accuracy.
  const auto distributed = manufactured_errors(test_comm(), 32);
  const auto serial = manufactured_errors(PETSC_COMM_SELF, 32);
  CHECK(distributed.l2 == Approx(serial.l2).epsilon(1e-9));
  CHECK(distributed.h1_semi == Approx(serial.h1_semi).epsilon(1e-9));

  const Mu mu{0.1, 0.3, 0.5, 1.0};
  const ThermalBlockProblem parallel(test_comm(), four_blocks(), settings_with_cells(32));
  const ThermalBlockProblem alone(PETSC_COMM_SELF, four_blocks(), settings_with_cells(32));
  VecHandle up = kolmo::testing::solve_problem(parallel, mu);
  VecHandle us = kolmo::testing::solve_problem(alone, mu);
  const double sp = parallel.evaluate_outputs(mu, up)[0], ss = alone.evaluate_outputs(mu, us)[0];
  CHECK(sp == Approx(ss).epsilon(1e-11));
}

TEST_CASE("thermal block affine sum equals the directly assembled piecewise-constant operator",
          "[operators][thermal_block]") {
  ThermalBlockSettings s = settings_with_cells(12);
  s.blocks = {3, 2};
  const auto space = kolmo::testing::make_space({"a", "b", "c"}, 0.1, 10.0);
  // Block i = bx + 3 by: conductivities that tell every block apart.
  s.conductivity = {"a", "2*b", "c+1", "a*b", "3", "exp(c)"};
  const ThermalBlockProblem problem(test_comm(), space, s);
  REQUIRE(problem.lhs().num_terms() == 6);
  const Mu mu{0.7, 2.0, 0.4};
  const std::vector<double> k{0.7, 4.0, 1.4, 1.4, 3.0, std::exp(0.4)};
  CHECK(problem.lhs().coefficients(mu) == std::vector<double>(k));

  MatHandle assembled;
  problem.assemble_operator(mu, assembled);
  MatHandle direct = problem.grid().assemble_matrix(
      [&](PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> points, std::span<double> ke) {
        const int block = static_cast<int>(ex / 4 + 3 * (ey / 6));
        add_stiffness(points, k[static_cast<std::size_t>(block)], ke);
      });
  CHECK(kolmo::testing::relative_action_difference(assembled, direct) < 1e-13);

  // The same by hand: sum_q theta_q A_q.
  MatHandle by_hand;
  KOLMO_PETSC_CALL(MatDuplicate(problem.lhs().matrix(0), MAT_COPY_VALUES, by_hand.out()));
  KOLMO_PETSC_CALL(MatScale(by_hand, k[0]));
  for (std::size_t q = 1; q < 6; ++q)
    KOLMO_PETSC_CALL(MatAXPY(by_hand, k[q], problem.lhs().matrix(q), SAME_NONZERO_PATTERN));
  CHECK(kolmo::testing::relative_action_difference(assembled, by_hand) < 1e-14);

  // Re-assembly into the same matrix at another point (the reuse path).
  const Mu nu{1.0, 1.0, 1.0};
  problem.assemble_operator(nu, assembled);
  MatHandle direct_nu = problem.grid().assemble_matrix(
      [&](PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> points, std::span<double> ke) {
        const double kk[] = {1, 2, 2, 1, 3, std::exp(1.0)};
        add_stiffness(points, kk[ex / 4 + 3 * (ey / 6)], ke);
      });
  CHECK(kolmo::testing::relative_action_difference(assembled, direct_nu) < 1e-13);
}

TEST_CASE("thermal block terms are symmetric positive semi-definite and X is their sum",
          "[operators][thermal_block]") {
  const ThermalBlockProblem problem(test_comm(), four_blocks(), settings_with_cells(16));
  CHECK(problem.symmetric());
  CHECK(problem.compliant());
  CHECK(problem.stability() == Stability::parametrically_coercive);
  CHECK(problem.reference_coefficients() == std::vector<double>(4, 1.0));
  CHECK(problem.type() == "thermal_block");
  CHECK(problem.global_size() == 15 * 15);

  MatHandle sum;
  KOLMO_PETSC_CALL(MatDuplicate(problem.lhs().matrix(0), MAT_COPY_VALUES, sum.out()));
  for (std::size_t q = 0; q < problem.lhs().num_terms(); ++q) {
    Mat a = problem.lhs().matrix(q);
    PetscBool symmetric = PETSC_FALSE;
    KOLMO_PETSC_CALL(MatIsSymmetric(a, 1e-13, &symmetric));
    CHECK(symmetric == PETSC_TRUE);
    PetscReal norm = 0;
    KOLMO_PETSC_CALL(MatNorm(a, NORM_FROBENIUS, &norm));
    CHECK(norm > 0);
    VecHandle y;
    KOLMO_PETSC_CALL(MatCreateVecs(a, nullptr, y.out()));
    for (unsigned long seed = 1; seed <= 20; ++seed) {
      VecHandle x = kolmo::testing::random_vector(y, seed * 7 + q);
      KOLMO_PETSC_CALL(MatMult(a, x, y));
      PetscScalar energy = 0, xx = 0;
      KOLMO_PETSC_CALL(VecDot(x, y, &energy));
      KOLMO_PETSC_CALL(VecDot(x, x, &xx));
      CHECK(energy >= -1e-12 * norm * xx);
    }
    if (q > 0) KOLMO_PETSC_CALL(MatAXPY(sum, 1.0, a, SAME_NONZERO_PATTERN));
  }
  CHECK(kolmo::testing::relative_action_difference(problem.inner_product(), sum) < 1e-14);
  // A single block's term is singular on the whole grid (it vanishes away from the block), the
  // sum is not: X is definite.
  VecHandle x = problem.create_vector(), y = problem.create_vector();
  KOLMO_PETSC_CALL(VecSet(x, 1.0));
  KOLMO_PETSC_CALL(MatMult(problem.inner_product(), x, y));
  PetscScalar energy = 0;
  KOLMO_PETSC_CALL(VecDot(x, y, &energy));
  CHECK(energy > 0);
}

TEST_CASE("thermal block compliance is f.u and the energy u.A u", "[operators][thermal_block]") {
  ThermalBlockSettings s = settings_with_cells(16);
  s.source = 2.5;
  const ThermalBlockProblem problem(test_comm(), four_blocks(), s);
  REQUIRE(problem.output_names() == std::vector<std::string>{"compliance"});
  const Mu mu{0.2, 0.9, 0.4, 0.6};
  VecHandle u = kolmo::testing::solve_problem(problem, mu);
  VecHandle f = problem.create_vector(), au = problem.create_vector();
  problem.assemble_rhs(mu, f);
  MatHandle a;
  problem.assemble_operator(mu, a);
  KOLMO_PETSC_CALL(MatMult(a, u, au));
  PetscScalar fu = 0, uau = 0, total = 0;
  KOLMO_PETSC_CALL(VecDot(f, u, &fu));
  KOLMO_PETSC_CALL(VecDot(u, au, &uau));
  KOLMO_PETSC_CALL(VecSum(f, &total));
  const double compliance = problem.evaluate_outputs(mu, u)[0];
  CHECK(compliance == Approx(fu).epsilon(1e-14));
  CHECK(compliance == Approx(uau).epsilon(1e-10));
  CHECK(compliance > 0);
  // The load integrates the source over the interior nodes' hat functions: 2.5 * (1 - boundary
  // strip), which for 16 cells is 2.5 * (15/16)^2.
  CHECK(total == Approx(2.5 * (15.0 / 16) * (15.0 / 16)).epsilon(1e-13));
}

TEST_CASE("thermal block natural ordering is x fastest and round-trips",
          "[operators][thermal_block]") {
  ThermalBlockSettings s;
  s.cells = {10, 6};
  const ThermalBlockProblem problem(test_comm(), four_blocks(), s);
  const auto layout = problem.field_layout();
  CHECK(layout.nodes[0] == 9);
  CHECK(layout.nodes[1] == 5);
  CHECK(layout.component_names == std::vector<std::string>{"u"});
  CHECK(layout.origin[0] == Approx(0.1));
  CHECK(layout.spacing[1] == Approx(1.0 / 6));
  const bool ok = kolmo::testing::natural_ordering_round_trip(
      problem, [](double x, double y, int) { return x + 10 * y; });
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("thermal block rejects inconsistent settings built in code", "[operators][thermal_block]") {
  ThermalBlockSettings s = settings_with_cells(10);
  s.blocks = {3, 3};
  CHECK_THROWS_WITH(ThermalBlockProblem(test_comm(), four_blocks(), s),
                    Catch::Contains("must be multiples of blocks [3, 3]"));
  s = settings_with_cells(9);
  s.blocks = {3, 3};
  CHECK_THROWS_WITH(ThermalBlockProblem(test_comm(), four_blocks(), s),
                    Catch::Contains("declare 9 parameters or give 'conductivity'"));
  s.conductivity = {"mu0", "mu1"};
  CHECK_THROWS_WITH(ThermalBlockProblem(test_comm(), four_blocks(), s),
                    Catch::Contains("'conductivity' has 2 expressions, but there are 3 x 3 = 9 blocks"));
}

// Plane-stress elasticity: convergence of the element routine against a manufactured solution,
// the same errors on any number of ranks, and the cantilever problem (affine terms, symmetry,
// compliant output, traction, tip deflection against beam theory, GAMG with rigid-body modes,
// natural ordering).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/elasticity.hpp"
#include "operators/element_kernels.hpp"
#include "problem_test_helpers.hpp"
#include "solvers/truth_solver.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr double pi = std::numbers::pi;
constexpr double young = 2.0, poisson = 0.3;

// u = (sin(pi x) sin(pi y), sin(pi x) sin(2 pi y)) on the unit square, clamped on all sides; the
// body force is -div sigma(u) for plane stress.
void exact(double x, double y, std::span<double> value, std::span<double> gx,
           std::span<double> gy) {
  const double sx = std::sin(pi * x), cx = std::cos(pi * x);
  const double sy = std::sin(pi * y), cy = std::cos(pi * y);
  const double s2y = std::sin(2 * pi * y), c2y = std::cos(2 * pi * y);
  value[0] = sx * sy;
  value[1] = sx * s2y;
  gx[0] = pi * cx * sy;
  gy[0] = pi * sx * cy;
  gx[1] = pi * cx * s2y;
  gy[1] = 2 * pi * sx * c2y;
}

void body_force(double x, double y, double& fx, double& fy) {
  const double c = young / (1 - poisson * poisson), g = 0.5 * (1 - poisson);
  const double sx = std::sin(pi * x), cx = std::cos(pi * x);
  const double sy = std::sin(pi * y), cy = std::cos(pi * y);
  const double s2y = std::sin(2 * pi * y), c2y = std::cos(2 * pi * y);
  const double ux_xx = -pi * pi * sx * sy, ux_yy = -pi * pi * sx * sy, ux_xy = pi * pi * cx * cy;
  const double uy_xx = -pi * pi * sx * s2y, uy_yy = -4 * pi * pi * sx * s2y,
               uy_xy = 2 * pi * pi * cx * c2y;
  fx = -c * (ux_xx + poisson * uy_xy + g * (ux_yy + uy_xy));
  fy = -c * (g * (ux_xy + uy_xx) + poisson * ux_xy + uy_yy);
}

StructuredGrid::ErrorNorms manufactured_errors(MPI_Comm comm, PetscInt cells) {
  GridSpec spec;
  spec.cells_x = spec.cells_y = cells;
  spec.components = 2;
  const StructuredGrid grid(comm, spec);
  MatHandle a = grid.assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_plane_stress(points, young, poisson, ke);
      });
  VecHandle f = grid.assemble_vector(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_vector_load(points, body_force, fe);
      });
  VecHandle u;
  KOLMO_PETSC_CALL(VecDuplicate(f, u.out()));
  kolmo::testing::solve_direct(a, f, u);
  return grid.errors(u, exact);
}

ParameterSpace moduli() { return kolmo::testing::make_space({"E0", "E1", "E2"}, 0.5, 2.0); }

}  // namespace

TEST_CASE("plane-stress elements converge at orders 2 (L2) and 1 (H1) to a manufactured solution",
          "[operators][elasticity]") {
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
}

TEST_CASE("plane-stress errors do not depend on the number of ranks", "[operators][elasticity][mpi]") {
  const auto distributed = manufactured_errors(test_comm(), 32);
  const auto serial = manufactured_errors(PETSC_COMM_SELF, 32);
  CHECK(distributed.l2 == Approx(serial.l2).epsilon(1e-9));
  CHECK(distributed.h1_semi == Approx(serial.h1_semi).epsilon(1e-9));
}

TEST_CASE("cantilever: affine terms, symmetry, traction and the compliant output",
          "[operators][elasticity]") {
  ElasticitySettings s;
  s.cells = {24, 6};
  s.subdomains = 3;
  s.load = "E2 + 1";
  const ElasticityProblem problem(test_comm(), moduli(), s);
  CHECK(problem.type() == "elasticity");
  CHECK(problem.symmetric());
  CHECK(problem.compliant());
  CHECK(problem.stability() == Stability::parametrically_coercive);
  CHECK(problem.reference_coefficients() == std::vector<double>(3, 1.0));
  CHECK(problem.output_names() == std::vector<std::string>{"compliance", "tip_deflection"});
  // Clamped left side only: 24 x 7 nodes with two unknowns each.
  CHECK(problem.global_size() == 24 * 7 * 2);
  REQUIRE(problem.lhs().num_terms() == 3);

  const Mu mu{0.5, 1.5, 2.0};
  MatHandle a;
  problem.assemble_operator(mu, a);
  MatHandle direct = problem.grid().assemble_matrix(
      [&](PetscInt ex, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_plane_stress(points, mu[static_cast<std::size_t>(ex / 8)], s.poisson, ke);
      });
  CHECK(kolmo::testing::relative_action_difference(a, direct) < 1e-13);
  PetscBool symmetric = PETSC_FALSE;
  KOLMO_PETSC_CALL(MatIsSymmetric(a, 1e-12, &symmetric));
  CHECK(symmetric == PETSC_TRUE);
  MatHandle x_sum = problem.grid().assemble_matrix(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_plane_stress(points, 1.0, s.poisson, ke);
      });
  CHECK(kolmo::testing::relative_action_difference(problem.inner_product(), x_sum) < 1e-13);

  // The traction is (0, -1) per unit length on the right end of height 1, scaled by the load.
  VecHandle f = problem.create_vector();
  problem.assemble_rhs(mu, f);
  const bool rigid_motion_ok = [&] {
    // Work of f on the translations (1, 0) and (0, 1): 0 and -(E2 + 1).
    VecHandle t = problem.grid().interpolate([](double, double, std::span<double> v) {
      v[0] = 1.0;
      v[1] = 0.0;
    });
    VecHandle n = problem.grid().interpolate([](double, double, std::span<double> v) {
      v[0] = 0.0;
      v[1] = 1.0;
    });
    PetscScalar fx = 0, fy = 0;
    KOLMO_PETSC_CALL(VecDot(f, t, &fx));
    KOLMO_PETSC_CALL(VecDot(f, n, &fy));
    return std::abs(fx) < 1e-14 && std::abs(fy + 3.0) < 1e-13;
  }();
  CHECK(rigid_motion_ok);

  VecHandle u = kolmo::testing::solve_problem(problem, mu);
  VecHandle au = problem.create_vector();
  KOLMO_PETSC_CALL(MatMult(a, u, au));
  PetscScalar fu = 0, uau = 0;
  KOLMO_PETSC_CALL(VecDot(f, u, &fu));
  KOLMO_PETSC_CALL(VecDot(u, au, &uau));
  const auto outputs = problem.evaluate_outputs(mu, u);
  CHECK(outputs[0] == Approx(fu).epsilon(1e-14));
  CHECK(outputs[0] == Approx(uau).epsilon(1e-10));
  CHECK(outputs[0] > 0);
  CHECK(outputs[1] < 0);  // the tip moves down
}

TEST_CASE("cantilever tip deflection matches Timoshenko beam theory", "[operators][elasticity]") {
  ElasticitySettings s;
  s.cells = {128, 32};
  s.subdomains = 1;
  s.young = {"2"};
  const ElasticityProblem problem(test_comm(), moduli(), s);
  const Mu mu{1.0, 1.0, 1.0};
  VecHandle u = kolmo::testing::solve_problem(problem, mu);
  const double tip = problem.evaluate_outputs(mu, u)[1];
  // P L^3 / (3 E I) + P L / (kappa G A) with P = 1, L = 4, E = 2, I = 1/12, A = 1, kappa = 5/6.
  const double e = 2.0, g = e / (2 * (1 + s.poisson)), length = 4.0;
  const double beam = length * length * length / (3 * e / 12.0) + length / (5.0 / 6.0 * g);
  if (comm_rank(test_comm()) == 0)
    std::printf("cantilever tip deflection: Kolmo %.6f, Timoshenko %.6f\n", tip, -beam);
  CHECK(-tip == Approx(beam).epsilon(0.02));
}

TEST_CASE("cantilever solves with CG + GAMG thanks to the rigid-body near-null space",
          "[operators][elasticity]") {
  const ElasticityProblem problem(test_comm(), moduli(), ElasticitySettings{});
  for (std::size_t q = 0; q < problem.lhs().num_terms(); ++q) {
    MatNullSpace modes = nullptr;
    KOLMO_PETSC_CALL(MatGetNearNullSpace(problem.lhs().matrix(q), &modes));
    CHECK(modes != nullptr);
  }
  const Mu mu{0.5, 2.0, 1.0};
  MatHandle a;
  problem.assemble_operator(mu, a);
  MatNullSpace modes = nullptr;
  KOLMO_PETSC_CALL(MatGetNearNullSpace(a, &modes));
  CHECK(modes != nullptr);

  SolverSection settings;
  settings.rtol = 1e-10;
  solvers::TruthSolver solver(problem, settings, "elasticity_test_");
  VecHandle u = problem.create_vector();
  const auto stats = solver.solve(mu, u);
  if (comm_rank(test_comm()) == 0)
    std::printf("cantilever 64x16 with cg + gamg: %d iterations\n", static_cast<int>(stats.iterations));
  // 15 iterations with the rigid-body modes, about 35 with translations only.
  CHECK(stats.iterations < 25);
  VecHandle exact = kolmo::testing::solve_problem(problem, mu);
  const double c_iterative = problem.evaluate_outputs(mu, u)[0];
  const double c_direct = problem.evaluate_outputs(mu, exact)[0];
  CHECK(c_iterative == Approx(c_direct).epsilon(1e-8));
}

TEST_CASE("cantilever natural ordering interleaves ux, uy node by node, x fastest",
          "[operators][elasticity]") {
  ElasticitySettings s;
  s.cells = {8, 5};
  s.subdomains = 2;
  const ElasticityProblem problem(test_comm(), moduli(), s);
  const auto layout = problem.field_layout();
  CHECK(layout.nodes[0] == 8);
  CHECK(layout.nodes[1] == 6);
  CHECK(layout.components == 2);
  CHECK(layout.component_names == std::vector<std::string>{"ux", "uy"});
  CHECK(layout.origin[0] == Approx(0.5));
  CHECK(layout.origin[1] == Approx(0.0));
  const bool ok = kolmo::testing::natural_ordering_round_trip(
      problem, [](double x, double y, int c) { return x + 10 * y + 100 * c; });
  REQUIRE(on_all_ranks(ok));
}

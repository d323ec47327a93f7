// Advection-diffusion: convergence to a manufactured solution, rank independence, the affine
// terms (K symmetric, Cx and Cy skew up to the boundary, the right signs), X = K.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "mpi_test_helpers.hpp"
#include "operators/advection_diffusion.hpp"
#include "operators/element_kernels.hpp"
#include "problem_test_helpers.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr double pi = std::numbers::pi;

ParameterSpace peclet() { return kolmo::testing::make_space({"Pe"}, 1.0, 100.0); }

// u = sin(pi x) sin(2 pi y) (x + 1) solves -eps Lap u + b.grad u = f for the f below.
struct Manufactured {
  double eps, bx, by;
  void exact(double x, double y, std::span<double> value, std::span<double> gx,
             std::span<double> gy) const {
    const double s = std::sin(pi * x), c = std::cos(pi * x);
    const double t = std::sin(2 * pi * y), d = std::cos(2 * pi * y);
    value[0] = s * t * (x + 1);
    gx[0] = (pi * c * (x + 1) + s) * t;
    gy[0] = 2 * pi * s * d * (x + 1);
  }
  double source(double x, double y) const {
    const double s = std::sin(pi * x), c = std::cos(pi * x);
    const double t = std::sin(2 * pi * y), d = std::cos(2 * pi * y);
    const double uxx = (-pi * pi * s * (x + 1) + 2 * pi * c) * t;
    const double uyy = -4 * pi * pi * s * t * (x + 1);
    const double ux = (pi * c * (x + 1) + s) * t, uy = 2 * pi * s * d * (x + 1);
    return -eps * (uxx + uyy) + bx * ux + by * uy;
  }
};

StructuredGrid::ErrorNorms manufactured_errors(MPI_Comm comm, PetscInt cells) {
  AdvectionDiffusionSettings s;
  s.cells = {cells, cells};
  s.velocity = {"2*cos(0.5)", "2*sin(0.5)"};
  const AdvectionDiffusionProblem problem(comm, peclet(), s);
  const Manufactured m{0.1, 2 * std::cos(0.5), 2 * std::sin(0.5)};
  MatHandle a;
  problem.assemble_operator({10.0}, a);
  VecHandle f = problem.grid().assemble_vector(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_load(points, [&](double x, double y) { return m.source(x, y); }, fe);
      });
  VecHandle u = problem.create_vector();
  kolmo::testing::solve_direct(a, f, u);
  return problem.grid().errors(u, [&](double x, double y, std::span<double> value,
                                      std::span<double> gx, std::span<double> gy) {
    m.exact(x, y, value, gx, gy);
  });
}

}  // namespace

TEST_CASE("advection-diffusion converges at orders 2 (L2) and 1 (H1) to a manufactured solution",
          "[operators][advection_diffusion]") {
  std::vector<double> l2, h1;
  for (PetscInt cells : {8, 16, 32, 64}) {
    const auto e = manufactured_errors(test_comm(), cells);
    l2.push_back(e.l2);
    h1.push_back(e.h1_semi);
  }
  const auto l2_orders = kolmo::testing::observed_orders(l2);
  const auto h1_orders = kolmo::testing::observed_orders(h1);
  // From 16 cells on, the cell Peclet number |b| h / (2 eps) is below 1.
  for (std::size_t i = 1; i < l2_orders.size(); ++i) {
    INFO("grids " << (8 << i) << " -> " << (16 << i) << ": L2 order " << l2_orders[i]
                  << ", H1 order " << h1_orders[i]);
    CHECK(l2_orders[i] == Approx(2.0).margin(0.15));
    CHECK(h1_orders[i] == Approx(1.0).margin(0.15));
  }
}

TEST_CASE("advection-diffusion errors do not depend on the number of ranks",
          "[operators][advection_diffusion][mpi]") {
  const auto distributed = manufactured_errors(test_comm(), 32);
  const auto serial = manufactured_errors(PETSC_COMM_SELF, 32);
  CHECK(distributed.l2 == Approx(serial.l2).epsilon(1e-9));
  CHECK(distributed.h1_semi == Approx(serial.h1_semi).epsilon(1e-9));
}

TEST_CASE("advection-diffusion terms: eps K + bx Cx + by Cy, X = K",
          "[operators][advection_diffusion]") {
  AdvectionDiffusionSettings s;
  s.cells = {12, 10};
  const AdvectionDiffusionProblem problem(test_comm(), peclet(), s);
  CHECK(problem.type() == "advection_diffusion");
  CHECK(problem.settings().diffusivity == "1/Pe");
  CHECK_FALSE(problem.symmetric());
  CHECK_FALSE(problem.compliant());
  CHECK(problem.stability() == Stability::coercive);
  CHECK(problem.reference_coefficients().empty());
  CHECK(problem.output_names() == std::vector<std::string>{"mean"});
  REQUIRE(problem.lhs().num_terms() == 3);
  const auto theta = problem.lhs().coefficients({4.0});
  CHECK(theta[0] == Approx(0.25));
  CHECK(theta[1] == Approx(std::cos(0.5)));
  CHECK(theta[2] == Approx(std::sin(0.5)));

  MatHandle a;
  problem.assemble_operator({4.0}, a);
  MatHandle direct = problem.grid().assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 0.25, ke);
        for (const auto& q : points)
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j)
              ke[i * 4 + j] += q.weight * q.phi[i] *
                               (std::cos(0.5) * q.dx[j] + std::sin(0.5) * q.dy[j]);
      });
  CHECK(kolmo::testing::relative_action_difference(a, direct) < 1e-13);
  MatHandle stiffness = problem.grid().assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
      });
  CHECK(kolmo::testing::relative_action_difference(problem.inner_product(), stiffness) < 1e-14);

  // With u = 0 on the boundary, Cx is skew-symmetric (int v du/dx = -int u dv/dx), and applied
  // to the interpolant of x it integrates each hat function.
  for (std::size_t q = 1; q < 3; ++q) {
    MatHandle transpose;
    KOLMO_PETSC_CALL(MatTranspose(problem.lhs().matrix(q), MAT_INITIAL_MATRIX, transpose.out()));
    KOLMO_PETSC_CALL(MatAXPY(transpose, 1.0, problem.lhs().matrix(q), SAME_NONZERO_PATTERN));
    PetscReal norm = 0;
    KOLMO_PETSC_CALL(MatNorm(transpose, NORM_INFINITY, &norm));
    CHECK(norm < 1e-15);
  }
  // Row = test function, column = trial function: v.Cx u approximates int v du/dx, which for
  // u = sin(pi x) sin(pi y), v = sin(2 pi x) sin(pi y) is 2/3 (the transpose would give -2/3).
  // Likewise for Cy with x and y exchanged.
  for (int direction = 0; direction < 2; ++direction) {
    VecHandle u = problem.grid().interpolate([](double x, double y, std::span<double> v) {
      v[0] = std::sin(pi * x) * std::sin(pi * y);
    });
    VecHandle v = problem.grid().interpolate([direction](double x, double y, std::span<double> w) {
      w[0] = direction == 0 ? std::sin(2 * pi * x) * std::sin(pi * y)
                            : std::sin(pi * x) * std::sin(2 * pi * y);
    });
    VecHandle cu = problem.create_vector();
    KOLMO_PETSC_CALL(MatMult(problem.lhs().matrix(1 + direction), u, cu));
    PetscScalar vcu = 0;
    KOLMO_PETSC_CALL(VecDot(v, cu, &vcu));
    CHECK(vcu == Approx(2.0 / 3.0).epsilon(0.1));  // O(h^2) on 12 x 10 cells: about 5 %
  }
}

TEST_CASE("advection-diffusion natural ordering round-trips", "[operators][advection_diffusion]") {
  AdvectionDiffusionSettings s;
  s.cells = {6, 11};
  const AdvectionDiffusionProblem problem(test_comm(), peclet(), s);
  const bool ok = kolmo::testing::natural_ordering_round_trip(
      problem, [](double x, double y, int) { return x - 7 * y; });
  REQUIRE(on_all_ranks(ok));
}

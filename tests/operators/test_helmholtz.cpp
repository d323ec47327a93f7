// Helmholtz: convergence to u = sin(pi x) sin(pi y) with f = (2 pi^2 - k^2) u on both sides of
// the first eigenvalue (coercive and indefinite), rank independence, the affine terms and X.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "mpi_test_helpers.hpp"
#include "operators/element_kernels.hpp"
#include "operators/helmholtz.hpp"
#include "problem_test_helpers.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr double pi = std::numbers::pi;

ParameterSpace wavenumbers() { return kolmo::testing::make_space({"k2"}, 0.0, 100.0); }

StructuredGrid::ErrorNorms manufactured_errors(MPI_Comm comm, PetscInt cells, double k2) {
  HelmholtzSettings s;
  s.cells = {cells, cells};
  const HelmholtzProblem problem(comm, wavenumbers(), s);
  MatHandle a;
  problem.assemble_operator({k2}, a);
  VecHandle f = problem.grid().assemble_vector(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_load(points,
                 [&](double x, double y) {
                   return (2 * pi * pi - k2) * std::sin(pi * x) * std::sin(pi * y);
                 },
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

TEST_CASE("helmholtz converges at orders 2 (L2) and 1 (H1), coercive and indefinite",
          "[operators][helmholtz]") {
  // 2 pi^2 = 19.7 is the first Dirichlet eigenvalue, 5 pi^2 = 49.3 the second.
  for (double k2 : {5.0, 35.0}) {
    std::vector<double> l2, h1;
    for (PetscInt cells : {8, 16, 32, 64}) {
      const auto e = manufactured_errors(test_comm(), cells, k2);
      l2.push_back(e.l2);
      h1.push_back(e.h1_semi);
    }
    const auto l2_orders = kolmo::testing::observed_orders(l2);
    const auto h1_orders = kolmo::testing::observed_orders(h1);
    for (std::size_t i = 0; i < l2_orders.size(); ++i) {
      INFO("k^2 = " << k2 << ", grids " << (8 << i) << " -> " << (16 << i) << ": L2 order "
                    << l2_orders[i] << ", H1 order " << h1_orders[i]);
      CHECK(l2_orders[i] == Approx(2.0).margin(0.15));
      CHECK(h1_orders[i] == Approx(1.0).margin(0.15));
    }
  }
}

TEST_CASE("helmholtz errors do not depend on the number of ranks", "[operators][helmholtz][mpi]") {
  const auto distributed = manufactured_errors(test_comm(), 32, 35.0);
  const auto serial = manufactured_errors(PETSC_COMM_SELF, 32, 35.0);
  CHECK(distributed.l2 == Approx(serial.l2).epsilon(1e-9));
  CHECK(distributed.h1_semi == Approx(serial.h1_semi).epsilon(1e-9));
}

TEST_CASE("helmholtz terms: K - k^2 M, X = K + M, mean output", "[operators][helmholtz]") {
  HelmholtzSettings s;
  s.cells = {16, 16};
  s.wavenumber_squared = "2*k2";
  s.source = 3.0;
  const HelmholtzProblem problem(test_comm(), wavenumbers(), s);
  CHECK(problem.type() == "helmholtz");
  CHECK(problem.symmetric());
  CHECK_FALSE(problem.compliant());
  CHECK(problem.stability() == Stability::inf_sup);
  CHECK(problem.output_names() == std::vector<std::string>{"mean"});
  REQUIRE(problem.lhs().num_terms() == 2);
  CHECK(problem.lhs().coefficients({4.0}) == std::vector<double>{1.0, -8.0});

  MatHandle a;
  problem.assemble_operator({4.0}, a);
  MatHandle direct = problem.grid().assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
        add_mass(points, -8.0, ke);
      });
  CHECK(kolmo::testing::relative_action_difference(a, direct) < 1e-13);
  MatHandle h1 = problem.grid().assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
        add_mass(points, 1.0, ke);
      });
  CHECK(kolmo::testing::relative_action_difference(problem.inner_product(), h1) < 1e-14);
  CHECK(problem.reference_coefficients() == std::vector<double>{1.0, 1.0});

  // The load is source times the mean functional, so mean = f.u / source.
  VecHandle u = kolmo::testing::solve_problem(problem, {4.0});
  VecHandle f = problem.create_vector();
  problem.assemble_rhs({4.0}, f);
  PetscScalar fu = 0;
  KOLMO_PETSC_CALL(VecDot(f, u, &fu));
  CHECK(problem.evaluate_outputs({4.0}, u)[0] == Approx(fu / 3.0).epsilon(1e-13));
  // On the interpolant of x(1-x) y(1-y) the mean is the tensor trapezoidal rule: 1/36 up to a
  // relative O(h^2) (about 0.8 % on 16 cells).
  VecHandle bubble = problem.grid().interpolate([](double x, double y, std::span<double> v) {
    v[0] = x * (1 - x) * y * (1 - y);
  });
  CHECK(problem.evaluate_outputs({4.0}, bubble)[0] == Approx(1.0 / 36).epsilon(2e-2));
}

TEST_CASE("helmholtz natural ordering round-trips", "[operators][helmholtz]") {
  HelmholtzSettings s;
  s.cells = {7, 9};
  const HelmholtzProblem problem(test_comm(), wavenumbers(), s);
  const bool ok = kolmo::testing::natural_ordering_round_trip(
      problem, [](double x, double y, int) { return std::sin(3 * x) + y * y; });
  REQUIRE(on_all_ranks(ok));
}

// The offline assembly of a reduced model: Galerkin projections against V^T A V computed
// directly (symmetric and nonsymmetric terms), the estimator data (classical Gram matrix and
// stable orthonormal coefficients) against the true residual dual norm r^T X^-1 r from a truth
// solve, rejection of dependent vectors, the model file round trip, and models built on 1 and on
// 2 ranks that agree to 1e-10.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <random>

#include "core/hdf5_file.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/advection_diffusion.hpp"
#include "rom/model_file.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/reduced_model_builder.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

const std::vector<Mu> snapshot_points = {{0.1, 0.5, 1.0, 0.3}, {1.0, 1.0, 1.0, 1.0}, {0.2, 0.9, 0.4, 0.7},
                                         {0.5, 0.1, 0.8, 0.6}, {0.9, 0.3, 0.2, 0.1}, {0.3, 0.3, 0.6, 0.9}};

void fill(ReducedModelBuilder& builder, const std::vector<Mu>& points) {
  for (const auto& mu : points) {
    auto u = kolmo::testing::solve_problem(builder.problem(), mu);
    REQUIRE(builder.add(u));
  }
}

VecHandle column(BV bv, int j) {
  Vec c = nullptr;
  KOLMO_PETSC_CALL(BVGetColumn(bv, j, &c));
  VecHandle copy;
  KOLMO_PETSC_CALL(VecDuplicate(c, copy.out()));
  KOLMO_PETSC_CALL(VecCopy(c, copy));
  KOLMO_PETSC_CALL(BVRestoreColumn(bv, j, &c));
  return copy;
}

double max_abs(const Eigen::MatrixXd& m) { return m.size() ? m.cwiseAbs().maxCoeff() : 0.0; }

// V^T A V by matrix-vector products and dot products.
Eigen::MatrixXd direct_projection(Mat a, BV basis, int n) {
  Eigen::MatrixXd p(n, n);
  for (int j = 0; j < n; ++j) {
    auto vj = column(basis, j);
    VecHandle w;
    KOLMO_PETSC_CALL(VecDuplicate(vj, w.out()));
    KOLMO_PETSC_CALL(MatMult(a, vj, w));
    for (int i = 0; i < n; ++i) {
      auto vi = column(basis, i);
      PetscScalar d = 0;
      KOLMO_PETSC_CALL(VecDot(w, vi, &d));
      p(i, j) = d;
    }
  }
  return p;
}

}  // namespace

TEST_CASE("projections equal V^T A_q V, V^T f_q and V^T l_q", "[rom][builder]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 16);
  ReducedModelBuilder builder(*problem, 4);  // grows beyond its initial capacity
  fill(builder, snapshot_points);
  const auto model = builder.model();
  REQUIRE(model.max_size() == 6);
  REQUIRE(model.lhs.terms.size() == 4);
  for (std::size_t q = 0; q < 4; ++q) {
    const Eigen::MatrixXd direct = direct_projection(problem->lhs().matrix(q), builder.basis(), 6);
    CHECK(on_all_ranks(max_abs(model.lhs.terms[q] - direct) <= 1e-13 * max_abs(direct)));
    CHECK(model.lhs.theta[q] == "mu" + std::to_string(q));
  }
  for (int j = 0; j < 6; ++j) {
    auto v = column(builder.basis(), j);
    PetscScalar d = 0;
    KOLMO_PETSC_CALL(VecDot(v, problem->rhs().vector(0), &d));
    CHECK(model.rhs.terms[0](j) == Approx(d).epsilon(1e-13));
    KOLMO_PETSC_CALL(VecDot(v, problem->outputs()[0].functional.vector(0), &d));
    CHECK(model.outputs[0].functional.terms[0](j) == Approx(d).epsilon(1e-13));
    for (int i = 0; i < 6; ++i) {
      auto w = column(builder.basis(), i);
      CHECK(kolmo::testing::x_dot(problem->inner_product(), v, w) == Approx(i == j ? 1.0 : 0.0).margin(1e-13));
    }
  }
  CHECK(model.outputs[0].compliant);
  CHECK(model.problem_type == "thermal_block");
  CHECK(model.parameter_names == std::vector<std::string>{"mu0", "mu1", "mu2", "mu3"});
}

TEST_CASE("projections of nonsymmetric terms", "[rom][builder]") {
  operators::AdvectionDiffusionSettings settings;
  settings.cells = {12, 12};
  const auto space = kolmo::testing::make_space({"Pe"}, 1.0, 10.0);
  operators::AdvectionDiffusionProblem problem(test_comm(), space, settings);
  ReducedModelBuilder builder(problem, 5);
  for (double pe : {1.0, 4.0, 10.0}) {
    auto u = kolmo::testing::solve_problem(problem, {pe});
    REQUIRE(builder.add(u));
  }
  const auto model = builder.model();
  for (std::size_t q = 0; q < problem.lhs().num_terms(); ++q) {
    const Eigen::MatrixXd direct = direct_projection(problem.lhs().matrix(q), builder.basis(), 3);
    INFO("term " << q);
    CHECK(on_all_ranks(max_abs(model.lhs.terms[q] - direct) <= 1e-13 * max_abs(direct)));
  }
  // The convection terms are skew-symmetric, so their projections are too.
  CHECK(max_abs(model.lhs.terms[1] + model.lhs.terms[1].transpose()) <= 1e-13 * max_abs(model.lhs.terms[1]));
}

TEST_CASE("the estimator data reproduce the true residual dual norm", "[rom][builder][estimator]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 16);
  ReducedModelBuilder builder(*problem, 6);
  fill(builder, snapshot_points);
  const auto model = builder.model();
  const auto qf = model.rhs.terms.size(), qa = model.lhs.terms.size();
  REQUIRE(model.residual.gram.rows() == static_cast<Eigen::Index>(qf + qa * 6));
  REQUIRE(model.residual.orthonormal.cols() == model.residual.gram.cols());
  // X = sum_q A_q makes sum_q xi(A_q v_n) = v_n: one dependent representer per basis vector,
  // detected as such when the Riesz solves reproduce the dependence to the drop tolerance (1e-14;
  // a direct solve gives about eps cond(X)). Kept round-off directions are harmless.
  CHECK(model.residual.orthonormal.rows() >= static_cast<Eigen::Index>(qf + (qa - 1) * 6));
  CHECK(model.residual.orthonormal.rows() < static_cast<Eigen::Index>(qf + qa * 6));

  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.1, 1.0);
  MatHandle a;
  VecHandle f = problem->create_vector(), r = problem->create_vector(), xi = problem->create_vector();
  VecHandle u = problem->create_vector();
  for (int trial = 0; trial < 4; ++trial) {
    const Mu mu = {uniform(rng), uniform(rng), uniform(rng), uniform(rng)};
    for (int n : {2, 6}) {
      const Eigen::VectorXd un = kolmo::testing::reduced_solve(model, mu, n);
      // r = f - A V u_N, ||r||_X' = sqrt(r^T X^-1 r) with a direct solve.
      KOLMO_PETSC_CALL(BVSetActiveColumns(builder.basis(), 0, n));
      KOLMO_PETSC_CALL(VecSet(u, 0.0));
      KOLMO_PETSC_CALL(BVMultVec(builder.basis(), 1.0, 0.0, u, const_cast<double*>(un.data())));
      problem->assemble_operator(mu, a);
      problem->assemble_rhs(mu, f);
      KOLMO_PETSC_CALL(MatMult(a, u, r));
      KOLMO_PETSC_CALL(VecAYPX(r, -1.0, f));
      kolmo::testing::solve_direct(problem->inner_product(), r, xi);
      PetscScalar dot = 0;
      KOLMO_PETSC_CALL(VecDot(r, xi, &dot));
      const double truth = std::sqrt(dot);

      const Eigen::VectorXd c = kolmo::testing::residual_coefficients(model, mu, un);
      const double classical = std::sqrt(std::max(0.0, c.dot(model.residual.gram * c)));
      const double stable = (model.residual.orthonormal * c).norm();
      INFO("trial " << trial << ", N = " << n << ": truth " << truth << ", classical " << classical
                    << ", stable " << stable);
      CHECK(on_all_ranks(std::abs(stable - truth) <= 1e-9 * truth));
      CHECK(on_all_ranks(std::abs(classical - truth) <= 1e-6 * truth));
    }
  }
  // The output's dual norm: ||l||_X' for the compliance l = f.
  VecHandle lxi = problem->create_vector();
  kolmo::testing::solve_direct(problem->inner_product(), problem->outputs()[0].functional.vector(0), lxi);
  PetscScalar ll = 0;
  KOLMO_PETSC_CALL(VecDot(lxi, problem->outputs()[0].functional.vector(0), &ll));
  CHECK(model.outputs[0].dual_norm.orthonormal.norm() == Approx(std::sqrt(ll)).epsilon(1e-12));
  CHECK(std::sqrt(model.outputs[0].dual_norm.gram(0, 0)) == Approx(std::sqrt(ll)).epsilon(1e-12));
  CHECK(builder.rhs_dual_norm(snapshot_points[0]) == Approx(std::sqrt(ll)).epsilon(1e-12));
}

TEST_CASE("a vector in the span of the basis is not added", "[rom][builder]") {
  auto problem = kolmo::testing::small_thermal_block(test_comm(), 12);
  ReducedModelBuilder builder(*problem, 3);
  auto u = kolmo::testing::solve_problem(*problem, snapshot_points[0]);
  REQUIRE(builder.add(u));
  KOLMO_PETSC_CALL(VecScale(u, 3.0));
  CHECK_FALSE(builder.add(u));
  CHECK(builder.size() == 1);
  CHECK(builder.model().max_size() == 1);
  CHECK(builder.model().residual.gram.rows() == 1 + 4);
}

TEST_CASE("model files round-trip and models do not depend on the number of ranks",
          "[rom][builder][model_file][mpi]") {
  const MPI_Comm comm = test_comm();
  auto distributed_problem = kolmo::testing::small_thermal_block(comm, 16);
  auto serial_problem = kolmo::testing::small_thermal_block(PETSC_COMM_SELF, 16);
  ReducedModelBuilder distributed(*distributed_problem, 6), serial(*serial_problem, 6);
  fill(distributed, snapshot_points);
  fill(serial, snapshot_points);
  auto a = distributed.model(), b = serial.model();
  a.case_text = b.case_text = "name: test";
  a.method = b.method = "pod";
  a.stability.kind = b.stability.kind = "min_theta";
  a.stability.theta_bar = b.stability.theta_bar = {1, 1, 1, 1};
  a.singular_values = b.singular_values = {1, 2, 3, 4, 5, 6};

  auto close = [](const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
    return x.rows() == y.rows() && x.cols() == y.cols() && max_abs(x - y) <= 1e-10 * std::max(1.0, max_abs(y));
  };
  bool same = true;
  for (std::size_t q = 0; q < a.lhs.terms.size(); ++q) same = same && close(a.lhs.terms[q], b.lhs.terms[q]);
  same = same && close(a.rhs.terms[0], b.rhs.terms[0]);
  same = same && close(a.outputs[0].functional.terms[0], b.outputs[0].functional.terms[0]);
  same = same && close(a.residual.gram, b.residual.gram);
  // R is unique up to the round-off directions it keeps (their number may depend on the ranks);
  // what it represents, R^T R (the Gram matrix of the representers it stores), does not.
  same = same && close(a.residual.orthonormal.transpose() * a.residual.orthonormal,
                       b.residual.orthonormal.transpose() * b.residual.orthonormal);
  same = same && std::abs(a.residual.orthonormal.rows() - b.residual.orthonormal.rows()) <= 6;
  CHECK(on_all_ranks(same));

  char path[64];
  std::snprintf(path, sizeof path, "test_model_np%d.h5", comm_size(comm));
  write_model_file(path, a, distributed.basis(), *distributed_problem);
  // Every rank reads the whole model; it must be exactly what was written (rank 0's data).
  const auto read = read_reduced_model(std::string(path));
  bool exact = read.lhs.terms.size() == a.lhs.terms.size();
  for (std::size_t q = 0; exact && q < a.lhs.terms.size(); ++q) exact = read.lhs.terms[q] == a.lhs.terms[q];
  exact = exact && read.residual.orthonormal == a.residual.orthonormal && read.residual.gram == a.residual.gram;
  CHECK(on_all_ranks(exact));
  // The basis written on this communicator, read back on one rank, is the serial builder's basis.
  BVHandle basis = read_model_basis(path, *serial_problem, 6);
  bool basis_same = true;
  for (int j = 0; j < 6; ++j) {
    auto x = column(basis, j), y = column(serial.basis(), j);
    KOLMO_PETSC_CALL(VecAXPY(x, -1.0, y));
    basis_same = basis_same && kolmo::testing::x_norm(serial_problem->inner_product(), x) <= 1e-10;
  }
  CHECK(on_all_ranks(basis_same));
  h5::File file = h5::File::open_serial(path, h5::Access::read_only);
  CHECK(has_reduced_basis(file));
  const Eigen::MatrixXd dense = read_reduced_basis(file, 2);
  CHECK(dense.rows() == serial_problem->global_size());
}

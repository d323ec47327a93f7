// A sample-mode external problem made affine by matrix EIM (rom/eim_affine_problem.hpp), on sample
// sets written here as PETSc binary files:
//  - the 1-D Helmholtz operator K - k2 M (k2 in [12, 30], between the Dirichlet eigenvalues pi^2
//    and 4 pi^2): 2 EIM terms, recast exactly as K_M - k2 M_M with X = K + M, so the exact inf-sup
//    bound applies; held-out samples reproduced to round-off, solutions too;
//  - a right-hand side given per sample and varying linearly: interpolated by 2 terms;
//  - the non-affine diffusion exp(mu x): more terms, not recast, stability as declared (SCM);
//  - the case-file keys `matrix_eim:` and their errors; too few samples left after holding out.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/case_file.hpp"
#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/external_problem.hpp"
#include "operators/matrix_io.hpp"
#include "operators/problem_test_helpers.hpp"
#include "rom/eim_affine_problem.hpp"
#include "rom/reduced_model_builder.hpp"
#include "rom/stability.hpp"

using namespace kolmo;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt n = 120;  // interior nodes
constexpr double h = 1.0 / (n + 1);

// P1 on (0, 1), Dirichlet: a * stiffness + b * mass, plus (diffusion) exp(c x) in the stiffness
// (c = 0: constant), each scaled by element midpoint values.
MatHandle tridiagonal(double stiffness, double mass, double c = 0.0) {
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr, a.out()));
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &lo, &hi));
  auto k = [&](PetscInt element) { return std::exp(c * (element + 0.5) * h); };
  for (PetscInt i = lo; i < hi; ++i) {
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, stiffness * (k(i) + k(i + 1)) / h + mass * 4 * h / 6, INSERT_VALUES));
    if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -stiffness * k(i) / h + mass * h / 6, INSERT_VALUES));
    if (i < n - 1)
      KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, -stiffness * k(i + 1) / h + mass * h / 6, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

VecHandle vector(double constant, double slope) {
  VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, n, v.out()));
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &lo, &hi));
  for (PetscInt i = lo; i < hi; ++i)
    KOLMO_PETSC_CALL(VecSetValue(v, i, h * (constant + slope * (i + 1) * h), INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(v));
  KOLMO_PETSC_CALL(VecAssemblyEnd(v));
  return v;
}

std::string directory() {
  const std::string dir = "external_offline_np" + std::to_string(comm_size(test_comm()));
  if (comm_rank(test_comm()) == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(test_comm());
  return dir;
}

// The 1-D Helmholtz samples at `count` equispaced k2 in [12, 30] plus the held-out points; the
// right-hand side per sample f(k2) = f0 + (k2 / 30) f1 when `varying_rhs`, else affine f0.
operators::ExternalSettings helmholtz_settings(int count, const std::vector<double>& held_out,
                                               bool varying_rhs) {
  const std::string dir = directory();
  operators::ExternalSettings s;
  s.symmetric = true;
  s.stability = operators::Stability::inf_sup;
  std::vector<double> points;
  for (int k = 0; k < count; ++k) points.push_back(12.0 + 18.0 * k / (count - 1));
  points.insert(points.end(), held_out.begin(), held_out.end());
  for (std::size_t k = 0; k < points.size(); ++k) {
    const std::string path = dir + "/H" + std::to_string(k) + ".bin";
    operators::write_petsc_binary(tridiagonal(1.0, -points[k]).get(), path);
    s.samples.push_back({{points[k]}, {path, {}}});
    if (varying_rhs) {
      const std::string f = dir + "/f" + std::to_string(k) + ".bin";
      operators::write_petsc_binary(vector(1.0, points[k] / 30).get(), f);
      s.rhs_samples.push_back({{points[k]}, {f, {}}});
    }
  }
  if (!varying_rhs) {
    operators::write_petsc_binary(vector(1.0, 0.0).get(), dir + "/f.bin");
    s.rhs_terms.push_back({"1", {dir + "/f.bin", {}}});
  }
  operators::write_petsc_binary(tridiagonal(1.0, 1.0).get(), dir + "/X.bin");
  s.inner_product = operators::ExternalFile{dir + "/X.bin", {}};
  return s;
}

ParameterSpace k2_space() { return kolmo::testing::make_space({"k2"}, 12.0, 30.0); }

rom::MatrixEimOptions options() {
  rom::MatrixEimOptions o;
  o.eim.tolerance = 1e-12;
  o.eim.max_terms = 30;
  return o;
}

}  // namespace

TEST_CASE("matrix EIM makes a sampled Helmholtz operator affine, recast as K - k2 M",
          "[rom][eim][matrix_eim][external]") {
  const std::vector<Mu> held_out = {{13.7}, {21.1}, {28.9}};
  const operators::ExternalProblem source(test_comm(), k2_space(),
                                          helmholtz_settings(9, {13.7, 21.1, 28.9}, false));
  const rom::EimAffineProblem problem(source, options(), held_out);
  CHECK(problem.type() == "external");
  CHECK(problem.training_samples().size() == 9);
  CHECK(problem.held_out_samples().size() == 3);
  CHECK(problem.operator_eim().size() == 2);
  REQUIRE(problem.recast());
  INFO(problem.recast_note());
  REQUIRE(problem.lhs().num_terms() == 2);
  CHECK(problem.lhs().coefficient(0).text() == "1");
  CHECK(problem.lhs().coefficient(1).text() == "-(k2)");
  CHECK(problem.reference_coefficients() == std::vector<double>{1.0, 1.0});
  CHECK(problem.stability() == operators::Stability::inf_sup);
  CHECK(problem.compliant());

  // The recast terms are K and M themselves, to round-off.
  CHECK(kolmo::testing::relative_action_difference(problem.lhs().matrix(0), tridiagonal(1.0, 0.0)) < 1e-12);
  CHECK(kolmo::testing::relative_action_difference(problem.lhs().matrix(1), tridiagonal(0.0, 1.0)) < 1e-12);
  const auto error = problem.operator_error();
  CHECK(error.points == 3);
  CHECK(error.max < 1e-12);

  // The exact inf-sup bound: the Dirichlet eigenvalues pi^2 (1^2, 2^2, ...) of the P1 problem.
  rom::StabilityOptions stability_options;
  stability_options.sample = {{12.0}, {30.0}};
  const auto bound = rom::compute_stability_bound(problem, stability_options);
  CHECK(bound.kind == "eigen_interval");
  REQUIRE(bound.sigma.size() >= 2);
  CHECK(bound.sigma[0] == Approx(M_PI * M_PI).epsilon(1e-3));
  CHECK(bound.sigma[1] == Approx(4 * M_PI * M_PI).epsilon(1e-2));

  // At a held-out point the EIM problem's solution is the truth's.
  MatHandle exact, approximate;
  source.assemble_operator(held_out[1], exact);
  problem.assemble_operator(held_out[1], approximate);
  VecHandle f = problem.create_vector(), u = problem.create_vector(), v = problem.create_vector();
  problem.assemble_rhs(held_out[1], f);
  kolmo::testing::solve_direct(exact, f, u);
  kolmo::testing::solve_direct(approximate, f, v);
  PetscReal norm = 0, difference = 0;
  KOLMO_PETSC_CALL(VecNorm(u, NORM_2, &norm));
  KOLMO_PETSC_CALL(VecAXPY(v, -1.0, u));
  KOLMO_PETSC_CALL(VecNorm(v, NORM_2, &difference));
  CHECK(difference / norm < 1e-10);

  // The reduction machinery accepts it as it is.
  rom::ReducedModelBuilder builder(problem, 2);
  CHECK(builder.add(u));
  CHECK(builder.model().lhs.terms.size() == 2);
}

TEST_CASE("a right-hand side given per sample is interpolated when it varies",
          "[rom][eim][matrix_eim][external]") {
  const std::vector<Mu> held_out = {{17.3}, {25.9}};
  const operators::ExternalProblem source(test_comm(), k2_space(),
                                          helmholtz_settings(7, {17.3, 25.9}, true));
  REQUIRE(source.rhs_per_sample());
  const rom::EimAffineProblem problem(source, options(), held_out);
  REQUIRE(problem.rhs_eim() != nullptr);
  CHECK(problem.rhs_eim()->size() == 2);
  CHECK(problem.rhs().num_terms() == 2);
  const auto error = problem.rhs_error();
  CHECK(error.points == 2);
  CHECK(error.max < 1e-12);
  // Its coefficients are expressions of k2 that the online stage can evaluate.
  for (std::size_t q = 0; q < problem.rhs().num_terms(); ++q) {
    const auto coefficient = operators::Coefficient::expression(problem.rhs().coefficient(q).text(), k2_space());
    CHECK(coefficient({19.0}) == Approx(problem.rhs().coefficient(q)({19.0})).margin(1e-12));
  }
}

TEST_CASE("a non-affine sampled operator keeps its EIM terms and declared stability",
          "[rom][eim][matrix_eim][external]") {
  const std::string dir = directory();
  operators::ExternalSettings s;
  s.symmetric = true;
  const auto space = kolmo::testing::make_space({"mu"}, 0.0, 2.0);
  for (int k = 0; k < 25; ++k) {
    const double mu = 2.0 * k / 24;
    const std::string path = dir + "/D" + std::to_string(k) + ".bin";
    operators::write_petsc_binary(tridiagonal(1.0, 0.0, mu).get(), path);
    s.samples.push_back({{mu}, {path, {}}});
  }
  operators::write_petsc_binary(vector(1.0, 0.0).get(), dir + "/g.bin");
  s.rhs_terms.push_back({"1", {dir + "/g.bin", {}}});
  const operators::ExternalProblem source(test_comm(), space, s);
  auto o = options();
  o.kernel = rom::RbfKernel::quintic;
  const std::vector<Mu> held_out = {{0.5}, {1.25}};  // sample points 6 and 15
  const rom::EimAffineProblem problem(source, o, held_out);
  CHECK(problem.held_out_samples().size() == 2);
  CHECK(problem.operator_eim().size() > 2);
  CHECK_FALSE(problem.recast());
  CHECK(problem.stability() == operators::Stability::coercive);
  CHECK(problem.reference_coefficients().empty());
  // Held-out samples that are sample points: the RBF of beta over 23 samples limits the accuracy.
  const auto error = problem.operator_error();
  CHECK(error.max < 1e-5);
  CHECK(error.max > 1e-14);
  // Coercive and not parametrically coercive: the SCM bound of the EIM operator's terms.
  rom::StabilityOptions stability_options;
  for (int k = 0; k <= 8; ++k) stability_options.sample.push_back({0.25 * k});
  const auto bound = rom::compute_stability_bound(problem, stability_options);
  CHECK(bound.kind == "scm");

  // Too few samples left.
  std::vector<Mu> all;
  for (const auto& mu : source.sample_points()) all.push_back(mu);
  all.pop_back();
  CHECK_THROWS_AS(rom::EimAffineProblem(source, o, all), InputError);
}

TEST_CASE("the matrix_eim keys of an external case", "[rom][eim][matrix_eim][external][case]") {
  const std::string head =
      "name: t\nparameters:\n  - {name: k2, range: [12, 30]}\nproblem:\n  type: external\n"
      "  samples:\n    - {mu: [12], matrix: a.bin}\n    - {mu: [30], matrix: b.bin}\n"
      "  rhs:\n    - {vector: f.bin}\n";
  const auto c = parse_case_file(head + "  matrix_eim: {tolerance: 1.0e-9, max_terms: 12, kernel: quintic}\n",
                                 "t.yaml");
  const auto s = operators::read_external_settings(c);
  CHECK(s.matrix_eim.tolerance == 1e-9);
  CHECK(s.matrix_eim.max_terms == 12);
  CHECK(s.matrix_eim.kernel == "quintic");
  const auto o = rom::matrix_eim_options(s.matrix_eim);
  CHECK(o.kernel == rom::RbfKernel::quintic);
  CHECK(o.eim.max_terms == 12);
  CHECK_THROWS_WITH(operators::read_external_settings(
                        parse_case_file(head + "  matrix_eim: {max_terms: 0}\n", "t.yaml")),
                    Catch::Contains("problem.matrix_eim.max_terms"));
  CHECK_THROWS_WITH(operators::read_external_settings(
                        parse_case_file(head + "  matrix_eim: {kernal: cubic}\n", "t.yaml")),
                    Catch::Contains("unknown key"));
}

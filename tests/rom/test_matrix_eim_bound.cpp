// The matrix-EIM operator error in the error bound (OperatorEimError, rom/online/reduced_model.hpp)
// on a genuinely non-affine sampled family, the 1-D analogue of bench/rom/bench_matrix_eim.cpp:
//   A(k2) = K - k2 S M S,  S = diag(exp(k2 x / 4)),  k2 in [0.5, 2.5],  X = K + M,
// (P1, 120 interior nodes, coercive over the range), given as samples only.
// The reduced model approximates A_M(k2) u_M = f; validate_model measures the error against the
// truth A(k2) u = f at held-out samples. eps_A is calibrated at the unselected training samples
// and at 4 held-out samples (which see the RBF error of beta, as the offline stage's held-out test
// points do), and checked at 6 other held-out samples. With 2 EIM terms the operator error
// dominates: the EIM-blind bound ||r_N|| / alpha_LB falls below the true error, the bound with
// eps_A does not. With the EIM converged the term is negligible where the reduction error
// dominates, and still keeps the bound above the error where the RBF error of beta takes over.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/external_problem.hpp"
#include "operators/matrix_io.hpp"
#include "operators/problem_test_helpers.hpp"
#include "rom/eim_affine_problem.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/reduced_model_builder.hpp"
#include "rom/stability.hpp"
#include "rom/validation.hpp"

using namespace kolmo;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt n = 120;
constexpr double h = 1.0 / (n + 1);

// stiffness * K + mass * S M S with S = diag(exp(c x_i)) (c = 0: M itself).
MatHandle assemble(double stiffness, double mass, double c = 0.0) {
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr,
                                a.out()));
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &lo, &hi));
  auto s = [&](PetscInt i) { return std::exp(c * (i + 1) * h); };
  for (PetscInt i = lo; i < hi; ++i) {
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, 2 * stiffness / h + mass * s(i) * s(i) * 4 * h / 6, INSERT_VALUES));
    if (i > 0)
      KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -stiffness / h + mass * s(i) * s(i - 1) * h / 6, INSERT_VALUES));
    if (i < n - 1)
      KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, -stiffness / h + mass * s(i) * s(i + 1) * h / 6, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

VecHandle load() {
  VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, n, v.out()));
  KOLMO_PETSC_CALL(VecSet(v, h));
  return v;
}

// Held out of the EIM: the calibration points of eps_A, then the check points.
const std::vector<double> kCalibration = {0.72, 1.14, 1.63, 2.27};
const std::vector<double> kCheck = {0.63, 0.97, 1.31, 1.77, 2.13, 2.41};

// 21 equispaced samples of k2 in [0.5, 2.5] and the held-out ones, as PETSc binary files.
operators::ExternalSettings family_settings() {
  const std::string dir = "matrix_eim_bound_np" + std::to_string(comm_size(test_comm()));
  if (comm_rank(test_comm()) == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(test_comm());
  operators::ExternalSettings s;
  s.symmetric = true;
  s.stability = operators::Stability::coercive;
  std::vector<double> points;
  for (int k = 0; k <= 20; ++k) points.push_back(0.5 + 0.1 * k);
  points.insert(points.end(), kCalibration.begin(), kCalibration.end());
  points.insert(points.end(), kCheck.begin(), kCheck.end());
  for (std::size_t k = 0; k < points.size(); ++k) {
    const std::string path = dir + "/A" + std::to_string(k) + ".bin";
    operators::write_petsc_binary(assemble(1.0, -points[k], points[k] / 4).get(), path);
    s.samples.push_back({{points[k]}, {path, {}}});
  }
  operators::write_petsc_binary(load().get(), dir + "/f.bin");
  s.rhs_terms.push_back({"1", {dir + "/f.bin", {}}});
  operators::write_petsc_binary(assemble(1.0, 1.0).get(), dir + "/X.bin");
  s.inner_product = operators::ExternalFile{dir + "/X.bin", {}};
  return s;
}

std::vector<Mu> held_out_points() {
  std::vector<Mu> points;
  for (double k2 : kCalibration) points.push_back({k2});
  for (double k2 : kCheck) points.push_back({k2});
  return points;
}

std::vector<Mu> check_points() {
  std::vector<Mu> points;
  for (double k2 : kCheck) points.push_back({k2});
  return points;
}

struct Reduction {
  rom::ReducedModel model;
  BVHandle basis;
  rom::OperatorEimError error;
  int terms = 0;
};

// The matrix EIM with at most `max_terms` terms, eps_A calibrated on the unselected training
// samples and the calibration points (not the check points), the SCM bound of A_M and a basis of
// EIM-problem solutions at 7 training points.
Reduction reduce(const operators::ExternalProblem& source, int max_terms) {
  rom::MatrixEimOptions options;
  options.eim.tolerance = 1e-12;
  options.eim.max_terms = max_terms;
  options.kernel = rom::RbfKernel::quintic;
  const auto held_out = held_out_points();
  const rom::EimAffineProblem problem(source, options, held_out);
  Reduction r;
  r.terms = problem.operator_eim().size();
  // Every other unselected training sample (to keep the test short), then the calibration points.
  const auto samples = problem.calibration_samples();
  const std::size_t unselected = samples.size() - held_out.size();
  std::vector<std::size_t> calibration;
  for (std::size_t i = 0; i < unselected; i += 2) calibration.push_back(samples[i]);
  for (std::size_t i = 0; i < kCalibration.size(); ++i) calibration.push_back(samples[unselected + i]);
  r.error = problem.operator_error_estimate(2.0, calibration);

  rom::StabilityOptions stability_options;
  // The sampled bound (0.9 x the minimum of alpha(mu) over 11 points; on this smooth 1-D family
  // far below alpha everywhere): the SCM's certified box costs dozens of parallel factorisations
  // per EIM term, and the stability bound is not what this test is about.
  stability_options.allow_sampled = true;
  for (int k = 0; k <= 10; ++k) stability_options.sample.push_back({0.5 + 0.2 * k});
  const auto stability = rom::compute_stability_bound(problem, stability_options);
  REQUIRE(stability.kind == "constant");

  rom::ReducedModelBuilder builder(problem, 8);
  MatHandle a;
  VecHandle f = problem.create_vector(), u = problem.create_vector();
  for (double k2 : {0.5, 0.8, 1.1, 1.5, 1.9, 2.2, 2.5}) {
    problem.assemble_operator({k2}, a);
    problem.assemble_rhs({k2}, f);
    kolmo::testing::solve_direct(a, f, u);
    builder.add(u);
  }
  r.model = builder.model();
  r.model.stability = stability;
  r.model.estimator = "stable";
  r.model.operator_eim = r.error;
  KOLMO_PETSC_CALL(BVDuplicate(builder.basis(), r.basis.out()));
  KOLMO_PETSC_CALL(BVCopy(builder.basis(), r.basis));
  return r;
}

rom::ValidationReport validate(const operators::ExternalProblem& source, const rom::ReducedModel& model,
                               BV basis) {
  solvers::TruthSolver truth(source, kolmo::testing::direct_solver(), "eim_bound_test_");
  rom::ValidationOptions options;
  options.quiet = true;
  options.timing_seconds = 0.0;
  return rom::validate_model(source, model, basis, check_points(), truth, options);
}

void print(const char* title, const rom::ValidationReport& report) {
  if (comm_rank(test_comm()) != 0) return;
  std::printf("%s\n   N   max rel error   max rel bound   eff min   eff max   failures\n", title);
  for (const auto& row : report.rows)
    std::printf("%4d   %.3e       %.3e       %7.3g   %7.3g   %d\n", row.size, row.max_relative_error,
                row.estimators[0].max_relative_bound, row.estimators[0].effectivity_min,
                row.estimators[0].effectivity_max, row.estimators[0].failures);
}

}  // namespace

TEST_CASE("the dual norm of an operator is its largest X-singular value", "[rom][eim][matrix_eim][bound]") {
  // K - t M with X = K + M: the generalized eigenvalues sigma of K v = sigma M v give singular
  // values |sigma - t| / (sigma + 1); for M alone the norm is max 1 / (sigma + 1), at the smallest
  // sigma = (12 / h^2) sin^2(pi h / 2) / (2 + cos(pi h)) (about pi^2).
  const MatHandle m = assemble(0.0, 1.0), x = assemble(1.0, 1.0);
  const double s = std::sin(M_PI * h / 2);
  const double sigma = 12.0 / (h * h) * s * s / (2 + std::cos(M_PI * h));
  CHECK(rom::operator_dual_norm(m, x) == Approx(1 / (sigma + 1)).epsilon(1e-7));
  // A multiple of X has norm |c|; the zero matrix 0.
  MatHandle c;
  KOLMO_PETSC_CALL(MatDuplicate(x, MAT_COPY_VALUES, c.out()));
  KOLMO_PETSC_CALL(MatScale(c, -3.0));
  CHECK(rom::operator_dual_norm(c, x) == Approx(3.0).epsilon(1e-7));
  KOLMO_PETSC_CALL(MatZeroEntries(c));
  CHECK(rom::operator_dual_norm(c, x) == 0.0);
  // ||X v||_X' = ||v||_X.
  VecHandle v = load(), xv = load();
  KOLMO_PETSC_CALL(MatMult(x, v, xv));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(v, xv, &dot));
  CHECK(rom::vector_dual_norm(xv, x) == Approx(std::sqrt(dot)).epsilon(1e-10));
}

TEST_CASE("the operator error term keeps the bound above the true error and vanishes with the EIM",
          "[rom][eim][matrix_eim][bound]") {
  const auto space = kolmo::testing::make_space({"k2"}, 0.5, 2.5);
  const operators::ExternalProblem source(test_comm(), space, family_settings());
  const Reduction few = reduce(source, 2);
  REQUIRE(few.terms == 2);
  CHECK(few.error.points.size() == 14);  // 19 of 21 training samples unselected: 10, and 4 points
  CHECK(few.error.operator_error > 1e-3);

  const auto with_term = validate(source, few.model, few.basis);
  rom::ReducedModel blind = few.model;
  blind.operator_eim.reset();
  const auto without_term = validate(source, blind, few.basis);
  print("2 EIM terms, bound with eps_A:", with_term);
  print("2 EIM terms, EIM-blind bound:", without_term);
  // The true error stagnates at the EIM error, far above what the EIM-blind bound claims.
  CHECK(with_term.rows.back().max_relative_error > 1e-4);
  CHECK(without_term.default_failures() > 0);
  CHECK(with_term.default_failures() == 0);
  for (const auto& row : with_term.rows) {
    CHECK(row.estimators[0].failures == 0);
    CHECK(row.estimators[0].effectivity_min >= 1.0);
    CHECK(row.estimators[0].effectivity_max < 200.0);  // still sharp enough to use
    CHECK(row.max_operator_error > 0.0);
  }
  CHECK(with_term.operator_eim);
  CHECK(with_term.operator_eim_error == few.error.operator_error);

  // The model file keeps the term; an evaluator of the file gives the same bound.
  const std::string path = "matrix_eim_bound_model_np" + std::to_string(comm_size(test_comm())) + ".h5";
  if (comm_rank(test_comm()) == 0) {
    rom::write_reduced_model(few.model, path);
    const auto read = rom::read_reduced_model(path);
    REQUIRE(read.operator_eim);
    CHECK(read.operator_eim->operator_error == few.error.operator_error);
    CHECK(read.operator_eim->measured_operator == few.error.measured_operator);
    CHECK(read.operator_eim->points == few.error.points);
    rom::OnlineEvaluator a(few.model), b(read);
    CHECK(a.evaluate({1.2}).error_bound == b.evaluate({1.2}).error_bound);
    // The formula: (r + eps_A |u_N|) / (alpha_LB - eps_A).
    const auto result = a.evaluate({1.2});
    const double eps = few.error.operator_error;
    CHECK(result.operator_error == Approx(eps * result.coefficients.norm()).epsilon(1e-14));
    CHECK(result.error_bound ==
          Approx((result.residual_dual_norm + result.operator_error) /
                 (result.stability_lower_bound - eps)).epsilon(1e-14));
    // A compliant output gets ||f||_X' Delta, not r^2 / alpha (the model is not the Galerkin
    // projection of the truth): here ||f||_X' >= f.u_N / |u_N|_X.
    REQUIRE(few.model.outputs.size() == 1);
    REQUIRE(few.model.outputs[0].compliant);
    CHECK(result.output_bounds[0] >= std::abs(result.outputs[0]) / result.coefficients.norm() *
                                         result.error_bound * (1 - 1e-12));
    CHECK(result.output_bounds[0] >
          result.residual_dual_norm * result.residual_dual_norm / result.stability_lower_bound);
    // An eps_A above alpha_LB: not certified.
    rom::ReducedModel large = few.model;
    large.operator_eim->operator_error = 1e3;
    CHECK(std::isinf(rom::OnlineEvaluator(large).evaluate({1.2}).error_bound));
  }
  MPI_Barrier(test_comm());

  // The EIM converged (to the RBF accuracy of beta): the term is negligible where the reduction
  // error dominates, and the bound stays above the error where the RBF error takes over.
  const Reduction many = reduce(source, 30);
  CHECK(many.terms > 4);
  CHECK(many.error.operator_error < 1e-4 * few.error.operator_error);
  const auto many_with_term = validate(source, many.model, many.basis);
  rom::ReducedModel many_blind = many.model;
  many_blind.operator_eim.reset();
  const auto many_without_term = validate(source, many_blind, many.basis);
  print("converged EIM, bound with eps_A:", many_with_term);
  print("converged EIM, EIM-blind bound:", many_without_term);
  CHECK(many_with_term.default_failures() == 0);
  CHECK(many_without_term.default_failures() > 0);
  for (std::size_t s = 0; s < 3; ++s)
    CHECK(many_with_term.rows[s].estimators[0].max_bound <=
          1.01 * many_without_term.rows[s].estimators[0].max_bound);
}

TEST_CASE("operator_error_estimate: calibration samples and input checks", "[rom][eim][matrix_eim][bound]") {
  const auto space = kolmo::testing::make_space({"k2"}, 0.5, 2.5);
  const operators::ExternalProblem source(test_comm(), space, family_settings());
  rom::MatrixEimOptions options;
  options.eim.max_terms = 3;
  const rom::EimAffineProblem problem(source, options, held_out_points());
  const auto samples = problem.calibration_samples();
  // 21 - 3 unselected training samples, then the 10 held-out ones.
  REQUIRE(samples.size() == 28);
  CHECK(std::vector<std::size_t>(samples.end() - 10, samples.end()) == problem.held_out_samples());
  const std::vector<std::size_t> some = {samples[0], samples[5], samples[20]};
  const auto e = problem.operator_error_estimate(3.0, some);
  REQUIRE(e.measured_operator.size() == 3);
  CHECK(e.points[1] == source.sample_points()[samples[5]]);
  CHECK(e.measured_rhs.empty());
  CHECK(e.rhs_error == 0.0);
  double largest = 0;
  for (double m : e.measured_operator) largest = std::max(largest, m);
  CHECK(largest > 0);
  CHECK(e.operator_error == Approx(3.0 * largest));
  // At a sample the EIM selected (in its span, reproduced exactly) the error is round-off.
  const std::size_t chosen = problem.training_samples()[problem.operator_eim().selected()[0]];
  const std::vector<std::size_t> selected = {chosen};
  const double at_selected = problem.operator_error_estimate(1.0, selected).operator_error;
  INFO("largest " << largest << ", at a selected sample " << at_selected);
  CHECK(at_selected < 1e-8 * largest);
  CHECK_THROWS_AS(problem.operator_error_estimate(0.5), InputError);
}

// The error bound of a reduced model whose right-hand side is an EIM approximation (the gaussian
// problem): the online EIM term equals the offline (PETSc-side) estimate, the bound with it stays
// above the error against the TRUE truth (exact Gaussian load) at random test points and every N,
// while the bound without it does not, and the term survives the model file on any number of
// ranks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/hdf5_file.hpp"
#include "core/sampler.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/gaussian.hpp"
#include "rom/model_file.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/reduced_model_builder.hpp"
#include "rom/validation.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

// A small gaussian problem whose EIM is deliberately coarse (max_terms terms), so that at the
// larger basis sizes the EIM error, not the reduced basis error, dominates the true error.
std::unique_ptr<operators::GaussianProblem> small_gaussian(MPI_Comm comm, int max_terms) {
  operators::GaussianSettings s;
  s.cells = {24, 24};
  s.width = 0.05;
  s.eim.training = 12;
  s.eim.max_terms = max_terms;
  s.eim.tolerance = 1e-12;
  s.eim.indicator_points = 8;
  return std::make_unique<operators::GaussianProblem>(
      comm, kolmo::testing::make_space({"mu1", "mu2"}, 0.2, 0.8), s);
}

// The reduced model on truth snapshots (exact load) at `count` Latin-hypercube points.
ReducedModel gaussian_model(const operators::GaussianProblem& problem, ReducedModelBuilder& builder,
                            solvers::TruthSolver& truth, std::size_t count) {
  VecHandle u = problem.create_vector();
  for (const Mu& mu : sample_latin_hypercube(problem.parameter_space(), count, 7)) {
    truth.solve(mu, u);
    builder.add(u);
  }
  ReducedModel model = builder.model();
  model.case_text = "problem: {type: gaussian}";
  model.method = "pod";
  model.estimator = "stable";
  model.stability.kind = "min_theta";
  model.stability.theta_bar = problem.reference_coefficients();
  return model;
}

}  // namespace

TEST_CASE("gaussian: the online EIM term equals the offline estimate",
          "[rom][nonaffine][gaussian][mpi]") {
  auto problem = small_gaussian(test_comm(), 30);
  const auto error = problem->rhs_eim_error();
  REQUIRE(error.has_value());
  CHECK(error->coordinates == std::vector<std::string>{"x", "y"});
  CHECK(error->magic_points.rows() == 30);
  CHECK(error->indicator_points.rows() == 8);
  CHECK(error->dual_norm_factor == problem->rhs_dual_norm_factor());

  ReducedModelBuilder builder(*problem, 4);
  solvers::TruthSolver truth(*problem, kolmo::testing::direct_solver(), "nonaffine_a_");
  const ReducedModel model = gaussian_model(*problem, builder, truth, 4);
  REQUIRE(model.nonaffine_rhs.has_value());
  OnlineEvaluator evaluator(model);
  double worst = 0.0;
  bool positive = true;
  for (const Mu& mu : sample_random(problem->parameter_space(), 20, 11)) {
    const OnlineResult r = evaluator.evaluate(mu);
    const double offline = problem->rhs_error_estimate(mu);
    positive = positive && offline > 0;
    worst = std::max(worst, std::abs(r.rhs_error - offline) / offline);
    CHECK(r.error_bound ==
          Approx((r.residual_dual_norm + r.rhs_error) / r.stability_lower_bound).epsilon(1e-15));
  }
  INFO("max relative difference online/offline " << worst);
  CHECK(on_all_ranks(positive && worst <= 1e-12));

  // The rhs coefficients taken from the EIM solve (rhs_is_beta) are the rhs expressions' values.
  REQUIRE(model.nonaffine_rhs->rhs_is_beta);
  ReducedModel by_expressions = model;
  by_expressions.nonaffine_rhs->rhs_is_beta = false;
  OnlineEvaluator slow(by_expressions);
  double difference = 0.0;
  for (const Mu& mu : sample_random(problem->parameter_space(), 5, 12)) {
    const OnlineResult a = evaluator.evaluate(mu), b = slow.evaluate(mu);
    difference = std::max(difference, (a.coefficients - b.coefficients).norm() / b.coefficients.norm());
    CHECK(a.rhs_error == b.rhs_error);
  }
  INFO("relative difference of u_N, beta from the EIM solve or from the expressions: " << difference);
  CHECK(on_all_ranks(difference <= 1e-10));

  // A problem whose rhs is its load has no term, and its models none.
  auto block = kolmo::testing::small_thermal_block(test_comm(), 8);
  CHECK_FALSE(block->rhs_eim_error().has_value());
  ReducedModelBuilder affine(*block, 1);
  CHECK_FALSE(affine.model().nonaffine_rhs.has_value());
}

TEST_CASE("gaussian: the bound with the EIM term is above the error against the exact-load truth",
          "[rom][nonaffine][gaussian][validation][mpi]") {
  auto problem = small_gaussian(test_comm(), 30);
  const int max_size = 14;
  ReducedModelBuilder builder(*problem, max_size);
  solvers::TruthSolver truth(*problem, kolmo::testing::direct_solver(), "nonaffine_b_");
  const ReducedModel model = gaussian_model(*problem, builder, truth, max_size);
  REQUIRE(model.max_size() == max_size);
  const auto test = sample_random(problem->parameter_space(), 12, 5);

  ValidationOptions options;
  options.quiet = true;
  options.timing_seconds = 0.0;
  const auto report = validate_model(*problem, model, builder.basis(), test, truth, options);
  ReducedModel stripped = model;
  stripped.nonaffine_rhs.reset();
  const auto without = validate_model(*problem, stripped, builder.basis(), test, truth, options);
  REQUIRE(report.nonaffine_rhs);
  REQUIRE_FALSE(without.nonaffine_rhs);
  if (comm_rank(test_comm()) == 0) {
    std::printf("gaussian 24x24, M = 30:   N   max rel error   max rel bound (eff min, fail)   "
                "without EIM term (fail)   max rel EIM term\n");
    for (std::size_t s = 0; s < report.rows.size(); ++s) {
      const auto& row = report.rows[s];
      std::printf("%29d   %.3e       %.3e (%.3g, %d)          %.3e (%d)         %.3e\n", row.size,
                  row.max_relative_error, row.estimators[0].max_relative_bound,
                  row.estimators[0].effectivity_min, row.estimators[0].failures,
                  without.rows[s].estimators[0].max_relative_bound,
                  without.rows[s].estimators[0].failures, row.max_relative_rhs_error);
    }
  }
  // Rigour at every test point and every N, with both residual evaluations.
  CHECK(report.failures.empty());
  for (const auto& row : report.rows) CHECK(row.estimators[0].effectivity_min >= 1.0);
  // The term matters: without it the bound of the EIM problem falls below the true error once
  // the basis resolves the EIM solution better than the EIM resolves the load.
  CHECK(without.default_failures() > 0);
  CHECK(report.rows.back().max_relative_rhs_error > 0);
  CHECK(report.to_json().dump().find("max_rhs_error") != std::string::npos);
}

TEST_CASE("gaussian: the model file keeps the EIM term on any number of ranks",
          "[rom][nonaffine][gaussian][model_file][mpi]") {
  const MPI_Comm comm = test_comm();
  auto problem = small_gaussian(comm, 20);
  auto serial = small_gaussian(PETSC_COMM_SELF, 20);
  ReducedModelBuilder builder(*problem, 3);
  solvers::TruthSolver truth(*problem, kolmo::testing::direct_solver(), "nonaffine_c_");
  const ReducedModel model = gaussian_model(*problem, builder, truth, 3);
  // The EIM data do not depend on the distribution of the points.
  const auto local = serial->rhs_eim_error();
  REQUIRE(local.has_value());
  CHECK(local->function == model.nonaffine_rhs->function);
  CHECK(local->magic_points == model.nonaffine_rhs->magic_points);
  CHECK(local->interpolation_matrix == model.nonaffine_rhs->interpolation_matrix);
  CHECK(local->indicator_points == model.nonaffine_rhs->indicator_points);
  CHECK(local->indicator_basis == model.nonaffine_rhs->indicator_basis);

  char path[64];
  std::snprintf(path, sizeof path, "test_nonaffine_model_np%d.h5", comm_size(comm));
  write_model_file(path, model, builder.basis(), *problem);
  const ReducedModel back = read_reduced_model(std::string(path));
  bool exact = back.nonaffine_rhs.has_value();
  if (exact) {
    const NonaffineRhsTerm& a = *model.nonaffine_rhs;
    const NonaffineRhsTerm& b = *back.nonaffine_rhs;
    exact = a.coordinates == b.coordinates && a.function == b.function &&
            a.magic_points == b.magic_points && a.interpolation_matrix == b.interpolation_matrix &&
            a.indicator_points == b.indicator_points && a.indicator_basis == b.indicator_basis &&
            a.dual_norm_factor == b.dual_norm_factor && a.rhs_is_beta == b.rhs_is_beta;
  }
  CHECK(on_all_ranks(exact));
  OnlineEvaluator written(model), read(back);
  bool same = true;
  for (const Mu& mu : sample_random(problem->parameter_space(), 5, 3)) {
    const auto x = written.evaluate(mu), y = read.evaluate(mu);
    same = same && x.error_bound == y.error_bound && x.rhs_error == y.rhs_error &&
           x.outputs == y.outputs;
  }
  CHECK(on_all_ranks(same));
  {
    const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
    CHECK(file.read_int_attribute("/", "kolmo_format_version") == 2);
  }
  MPI_Barrier(comm);
  if (comm_rank(comm) == 0) std::filesystem::remove(path);
}

// The gaussian problem: -Lap u = exp(-((x-c1)^2+(y-c2)^2)/s) with the source's load vector made
// affine by EIM. The EIM solution converges to the exact-source solution as M grows, within the
// rigorous rhs bound; the rhs coefficients' texts are expressions equal to the callables; results
// do not depend on the number of ranks; the settings reader's messages name the key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "core/case_file.hpp"
#include "core/error.hpp"
#include "core/expression.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/gaussian.hpp"
#include "operators/problem_factory.hpp"
#include "problem_test_helpers.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using Catch::Contains;
using kolmo::testing::test_comm;

namespace {

const std::string two_parameters =
    "  - {name: mu0, range: [0.2, 0.8]}\n"
    "  - {name: mu1, range: [0.2, 0.8]}\n";

// A case whose problem map is `type: gaussian` plus `body` (indented by the caller).
CaseFile gaussian_case(const std::string& body, const std::string& parameters = two_parameters) {
  const std::string text = "problem:\n  type: gaussian\n" + body + "parameters:\n" + parameters;
  const auto& known = known_problem_types();
  if (std::find(known.begin(), known.end(), "gaussian") != known.end())
    return parse_case_file(text, "case.yaml");
  // The core does not list the type yet: parse the rest with a stand-in type on the same lines.
  CaseFile c = parse_case_file("problem:\n  type: helmholtz\n" + body + "parameters:\n" + parameters,
                               "case.yaml");
  c.problem.type = "gaussian";
  c.problem.settings = ConfigNode(YAML::Load(text)["problem"],
                                  std::make_shared<const std::string>("case.yaml"), "problem");
  return c;
}

std::string settings_error(const std::string& body, const std::string& parameters = two_parameters) {
  try {
    validate_problem_settings(gaussian_case(body, parameters));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

GaussianSettings small_settings() {
  GaussianSettings s;
  s.cells = {32, 32};
  s.eim.training = 15;
  s.eim.max_terms = 60;
  s.eim.tolerance = 1e-12;
  return s;
}

ParameterSpace centres() { return kolmo::testing::make_space({"mu0", "mu1"}, 0.2, 0.8); }

// sqrt(v^T K v).
double energy_norm(Mat k, Vec v) {
  VecHandle kv;
  KOLMO_PETSC_CALL(VecDuplicate(v, kv.out()));
  KOLMO_PETSC_CALL(MatMult(k, v, kv));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(v, kv, &dot));
  return std::sqrt(dot);
}

}  // namespace

TEST_CASE("gaussian settings: defaults and values", "[operators][gaussian][settings]") {
  const CaseFile defaults = gaussian_case("");
  const auto d = read_gaussian_settings(defaults.problem.settings, defaults.parameters);
  CHECK(d.cells == std::array<PetscInt, 2>{64, 64});
  CHECK(d.center == std::array<std::string, 2>{"", ""});
  CHECK(d.width == 0.05);
  CHECK(d.eim.tolerance == 1e-6);
  CHECK(d.eim.max_terms == 100);
  CHECK(d.eim.indicator_points == 8);
  CHECK(d.eim.norm == EimNorm::max);
  CHECK(d.eim.training == 20);

  const CaseFile full = gaussian_case(
      "  cells: [16, 24]\n"
      "  center: [b, a]\n"
      "  width: 0.02\n"
      "  eim: {tolerance: 1.0e-7, max_terms: 30, norm: l2, training: 11, indicator_points: 3}\n",
      "  - {name: a, range: [0, 1]}\n  - {name: b, range: [0, 1]}\n  - {name: c, range: [1, 2]}\n");
  const auto s = read_gaussian_settings(full.problem.settings, full.parameters);
  CHECK(s.cells == std::array<PetscInt, 2>{16, 24});
  CHECK(s.center == std::array<std::string, 2>{"b", "a"});
  CHECK(s.width == 0.02);
  CHECK(s.eim.tolerance == 1e-7);
  CHECK(s.eim.max_terms == 30);
  CHECK(s.eim.indicator_points == 3);
  CHECK(s.eim.norm == EimNorm::l2);
  CHECK(s.eim.training == 11);
}

TEST_CASE("gaussian settings: errors name the key and its position", "[operators][gaussian][settings]") {
  CHECK_THAT(settings_error("  eim: {norm: linf}\n"),
             Contains("case.yaml:3:15: 'problem.eim.norm': unknown value 'linf'") &&
                 Contains("allowed: max, l2"));
  CHECK_THAT(settings_error("  eim: {tolerence: 1.0e-6}\n"),
             Contains("'problem.eim.tolerence': unknown key (did you mean 'tolerance'?"));
  CHECK_THAT(settings_error("  eim: {max_terms: 0}\n"),
             Contains("'problem.eim.max_terms': max_terms must be at least 1, got 0"));
  CHECK_THAT(settings_error("  eim: {tolerance: -1}\n"),
             Contains("'problem.eim.tolerance': the tolerance must be non-negative"));
  CHECK_THAT(settings_error("  eim: {indicator_points: -1}\n"),
             Contains("'problem.eim.indicator_points': indicator_points must be at least 1"));
  // Zero would pass the truth solves and fail only when offline builds the error bound.
  CHECK_THAT(settings_error("  eim: {indicator_points: 0}\n"),
             Contains("'problem.eim.indicator_points': indicator_points must be at least 1"));
  CHECK_THAT(settings_error("  eim: {training: 1}\n"),
             Contains("'problem.eim.training': training must be at least 2"));
  CHECK_THAT(settings_error("  width: -0.5\n"),
             Contains("case.yaml:3:10: 'problem.width': the width s must be positive, got -0.5"));
  CHECK_THAT(settings_error("  center: [mu0]\n"),
             Contains("'problem.center': expected a list [px, py] of two parameter names, got 1 value"));
  CHECK_THAT(settings_error("  center: [mu0, nu]\n"),
             Contains("'problem.center': 'nu' is not a parameter (parameters: mu0, mu1)"));
  CHECK_THAT(settings_error("  center: [mu1, mu1]\n"),
             Contains("two different parameters, got 'mu1' twice"));
  CHECK_THAT(settings_error("", "  - {name: mu0, range: [0, 1]}\n"),
             Contains("needs two parameters, but there is 1 parameter"));
  CHECK_THAT(settings_error("  sigma: 0.1\n"),
             Contains("'problem.sigma': unknown key") && Contains("allowed here: cells, center, eim"));
  CHECK(settings_error("  cells: 8\n  width: 0.1\n") == "(no error)");
}

TEST_CASE("gaussian: the EIM solution converges to the exact-source solution as M grows",
          "[operators][gaussian]") {
  GaussianSettings settings = small_settings();
  settings.cells = {24, 24};
  settings.eim.max_terms = 90;
  const GaussianProblem problem(test_comm(), centres(), settings);
  const EimFunction& eim = problem.eim();
  REQUIRE(eim.size() == 90);
  REQUIRE(problem.rhs().num_terms() == 90);
  MatHandle k;
  problem.assemble_operator({0.5, 0.5}, k);
  const double factor = problem.rhs_dual_norm_factor();
  CHECK(factor == Approx(1.0 / (std::sqrt(2.0) * 3.14159265358979)).epsilon(1e-12));
  const std::vector<int> sizes{10, 30, 50, 70, 90};
  std::vector<double> worst(sizes.size(), 0.0), worst_bound(sizes.size(), 0.0);
  std::vector<double> effectivity_min(sizes.size(), 1e300), effectivity_max(sizes.size(), 0.0);
  for (const Mu& mu : std::vector<Mu>{{0.31, 0.67}, {0.74, 0.22}, {0.5, 0.45}, {0.23, 0.29}}) {
    VecHandle f = problem.create_vector(), f_m = problem.create_vector();
    VecHandle u = problem.create_vector(), u_m = problem.create_vector();
    problem.assemble_rhs(mu, f);
    kolmo::testing::solve_direct(k, f, u);
    const double scale = energy_norm(k, u);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const int m = sizes[i];
      const EimFunction nested = eim.truncated(m);
      const Eigen::VectorXd beta = nested.coefficients(mu);
      KOLMO_PETSC_CALL(VecSet(f_m, 0.0));
      for (int j = 0; j < m; ++j)
        KOLMO_PETSC_CALL(VecAXPY(f_m, beta(j), problem.rhs().vector(static_cast<std::size_t>(j))));
      kolmo::testing::solve_direct(k, f_m, u_m);
      KOLMO_PETSC_CALL(VecAXPY(u_m, -1.0, u));
      const double error = energy_norm(k, u_m);
      // Rigorous: ||u - u_M||_K = ||f - f_M||_K^-1 <= C max_q |g - I_M g|(x_q).
      const double bound = factor * nested.error(mu, EimNorm::max);
      CHECK(error <= bound * (1 + 1e-10));
      worst[i] = std::max(worst[i], error / scale);
      worst_bound[i] = std::max(worst_bound[i], bound / scale);
      const double estimate = factor * nested.error_indicator(mu);
      effectivity_min[i] = std::min(effectivity_min[i], estimate / error);
      effectivity_max[i] = std::max(effectivity_max[i], estimate / error);
    }
    // With all terms the sum is rhs().assemble(), the problem's own EIM load.
    problem.assemble_eim_rhs(mu, f_m);
    kolmo::testing::solve_direct(k, f_m, u_m);
    KOLMO_PETSC_CALL(VecAXPY(u_m, -1.0, u));
    const double full = energy_norm(k, u_m);
    CHECK(full <= factor * eim.error(mu, EimNorm::max) * (1 + 1e-10));
    CHECK(problem.rhs_error_estimate(mu) == Approx(factor * eim.error_indicator(mu)));
  }
  for (std::size_t i = 0; i < sizes.size(); ++i)
    WARN("gaussian 24x24, s = 0.05: M = " << sizes[i] << ", max relative energy error "
                                         << worst[i] << ", max rigorous rhs bound " << worst_bound[i]
                                         << ", estimate / error in [" << effectivity_min[i] << ", "
                                         << effectivity_max[i] << "]");
  for (std::size_t i = 1; i < sizes.size(); ++i) CHECK(worst[i] < 0.3 * worst[i - 1]);
  CHECK(worst.back() < 1e-5);
}

TEST_CASE("gaussian: rhs coefficients are parameter expressions equal to the callables",
          "[operators][gaussian]") {
  GaussianSettings s = small_settings();
  s.eim.max_terms = 80;
  const GaussianProblem problem(test_comm(), centres(), s);
  REQUIRE(problem.rhs().num_terms() == 80);
  CHECK(problem.rhs().name(3) == "eim_beta_3");
  for (std::size_t m : {0u, 7u, 24u, 79u}) {
    const Coefficient& c = problem.rhs().coefficient(m);
    const Coefficient parsed = Coefficient::expression(c.text(), problem.parameter_space());
    for (const Mu& mu : std::vector<Mu>{{0.2, 0.8}, {0.43, 0.57}, {0.66, 0.31}})
      CHECK(parsed(mu) == Approx(c(mu)).epsilon(1e-10).margin(1e-10));
  }
}

TEST_CASE("gaussian: the problem's terms and results do not depend on the number of ranks",
          "[operators][gaussian][mpi]") {
  GaussianSettings s = small_settings();
  s.eim.max_terms = 30;
  const GaussianProblem distributed(test_comm(), centres(), s);
  const GaussianProblem serial(PETSC_COMM_SELF, centres(), s);
  REQUIRE(distributed.eim().size() == serial.eim().size());
  CHECK(distributed.eim().magic_points() == serial.eim().magic_points());
  CHECK(distributed.eim().interpolation().interpolation_matrix() ==
        serial.eim().interpolation().interpolation_matrix());
  const Mu mu{0.37, 0.58};
  std::vector<double> means;
  for (const GaussianProblem* p : {&distributed, &serial}) {
    MatHandle k;
    p->assemble_operator(mu, k);
    VecHandle f = p->create_vector(), u = p->create_vector();
    p->assemble_eim_rhs(mu, f);
    kolmo::testing::solve_direct(k, f, u);
    means.push_back(p->evaluate_outputs(mu, u).at(0));
  }
  CHECK(means[0] == Approx(means[1]).epsilon(1e-10));
  CHECK(distributed.output_names() == std::vector<std::string>{"mean"});
  CHECK(distributed.stability() == Stability::parametrically_coercive);
  CHECK(distributed.symmetric());
  CHECK_FALSE(distributed.compliant());
}

TEST_CASE("gaussian: make_problem builds it from a case file", "[operators][gaussian]") {
  const CaseFile c = gaussian_case("  cells: 16\n  width: 0.08\n  eim: {max_terms: 12, norm: l2}\n");
  const auto problem = make_problem(test_comm(), c);
  CHECK(problem->type() == "gaussian");
  CHECK(problem->rhs().num_terms() == 12);
  CHECK(problem->global_size() == 15 * 15);
  const auto& g = dynamic_cast<const GaussianProblem&>(*problem);
  CHECK(g.eim().interpolation().options().norm == EimNorm::l2);
  CHECK(g.source(0.3, 0.4, {0.3, 0.4}) == 1.0);
}

TEST_CASE("gaussian: the EIM error data for the online stage reproduce the offline estimate",
          "[operators][gaussian]") {
  GaussianSettings s = small_settings();
  s.cells = {16, 16};
  s.eim.max_terms = 25;
  const GaussianProblem problem(test_comm(), centres(), s);
  const auto data = problem.rhs_eim_error();
  REQUIRE(data.has_value());
  CHECK(data->coordinates == std::vector<std::string>{"x", "y"});
  CHECK(data->magic_points == problem.eim().magic_points());
  CHECK(data->indicator_points == problem.eim().indicator_points());
  CHECK(data->indicator_basis.rows() == 8);
  CHECK(data->indicator_basis.cols() == 25);
  CHECK(data->dual_norm_factor == problem.rhs_dual_norm_factor());
  CHECK(data->rhs_is_beta);
  CHECK(static_cast<int>(problem.rhs().num_terms()) == data->magic_points.rows());
  // g's text rounds exactly as source() does, so the online stage gets the same numbers.
  ParameterExpression g(data->function, {"x", "y", "mu0", "mu1"});
  for (const Mu& mu : std::vector<Mu>{{0.2, 0.8}, {0.43, 0.57}, {0.66, 0.31}})
    for (const auto& x : std::vector<std::array<double, 2>>{{0.1, 0.2}, {0.5, 0.5}, {0.93, 0.07}}) {
      const std::vector<double> values{x[0], x[1], mu[0], mu[1]};
      CHECK(g(values) == problem.source(x[0], x[1], mu));
    }
  // The same sum written out: beta = B^-1 g(magic), max |g - Q beta| at the indicator points.
  const Mu mu{0.37, 0.52};
  Eigen::VectorXd at_magic(data->magic_points.rows()), at_indicator(data->indicator_points.rows());
  for (Eigen::Index i = 0; i < at_magic.size(); ++i)
    at_magic(i) = problem.source(data->magic_points(i, 0), data->magic_points(i, 1), mu);
  for (Eigen::Index i = 0; i < at_indicator.size(); ++i)
    at_indicator(i) = problem.source(data->indicator_points(i, 0), data->indicator_points(i, 1), mu);
  const Eigen::VectorXd beta =
      data->interpolation_matrix.triangularView<Eigen::UnitLower>().solve(at_magic);
  const double estimate =
      data->dual_norm_factor * (at_indicator - data->indicator_basis * beta).cwiseAbs().maxCoeff();
  CHECK(estimate == Approx(problem.rhs_error_estimate(mu)).epsilon(1e-14));
  CHECK(estimate > 0);

  // A parameter called x moves the coordinate's name out of its way.
  const GaussianProblem named(test_comm(), kolmo::testing::make_space({"x", "y"}, 0.2, 0.8), s);
  CHECK(named.rhs_eim_error()->coordinates == std::vector<std::string>{"x_", "y_"});
  CHECK_THAT(named.rhs_eim_error()->function, Contains("(x_ - x)^2"));
}

// The readers of the built-in problems' `problem:` maps and the factory: defaults, values, and
// the messages for the mistakes people make (each names the file position and the key).
#include <catch2/catch.hpp>

#include <string>

#include "core/case_file.hpp"
#include "core/error.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/advection_diffusion.hpp"
#include "operators/elasticity.hpp"
#include "operators/helmholtz.hpp"
#include "operators/problem_factory.hpp"
#include "operators/thermal_block.hpp"

using namespace kolmo;
using namespace kolmo::operators;
using Catch::Contains;
using kolmo::testing::test_comm;

namespace {

// A case file with the given `problem:` body (indented by the caller) and parameters.
CaseFile case_with(const std::string& problem, const std::string& parameters =
                                                   "  - {name: mu0, range: [0.1, 1]}\n"
                                                   "  - {name: mu1, range: [0.1, 1]}\n"
                                                   "  - {name: mu2, range: [0.1, 1]}\n"
                                                   "  - {name: mu3, range: [0.1, 1]}\n") {
  return parse_case_file("problem:\n" + problem + "parameters:\n" + parameters, "case.yaml");
}

// The InputError that validating the case's problem settings raises, or "(no error)".
std::string settings_error(const std::string& problem, const std::string& parameters =
                                                         "  - {name: mu0, range: [0.1, 1]}\n"
                                                         "  - {name: mu1, range: [0.1, 1]}\n"
                                                         "  - {name: mu2, range: [0.1, 1]}\n"
                                                         "  - {name: mu3, range: [0.1, 1]}\n") {
  try {
    validate_problem_settings(case_with(problem, parameters));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("thermal_block settings: defaults and values", "[operators][settings]") {
  const CaseFile defaults = case_with("  type: thermal_block\n");
  const auto d = read_thermal_block_settings(defaults.problem.settings, defaults.parameters);
  CHECK(d.blocks == std::array<int, 2>{2, 2});
  CHECK(d.cells == std::array<PetscInt, 2>{64, 64});
  CHECK(d.conductivity == std::vector<std::string>{"mu0", "mu1", "mu2", "mu3"});
  CHECK(d.source == 1.0);

  const CaseFile full = case_with(
      "  type: thermal_block\n"
      "  blocks: [3, 2]\n"
      "  cells: [12, 8]\n"
      "  conductivity: [mu0, 1, '2*mu1', mu2, mu3, 'mu0+mu3']\n"
      "  source: 2.5\n");
  const auto s = read_thermal_block_settings(full.problem.settings, full.parameters);
  CHECK(s.blocks == std::array<int, 2>{3, 2});
  CHECK(s.cells == std::array<PetscInt, 2>{12, 8});
  CHECK(s.conductivity == std::vector<std::string>{"mu0", "1", "2*mu1", "mu2", "mu3", "mu0+mu3"});
  CHECK(s.source == 2.5);

  const CaseFile square = case_with("  type: thermal_block\n  cells: 10\n");
  CHECK(read_thermal_block_settings(square.problem.settings, square.parameters).cells ==
        std::array<PetscInt, 2>{10, 10});
}

TEST_CASE("thermal_block settings: error messages", "[operators][settings]") {
  CHECK_THAT(settings_error("  type: thermal_block\n  cell: 32\n"),
             Contains("case.yaml:3:3") && Contains("'problem.cell': unknown key") &&
                 Contains("did you mean 'cells'?"));
  CHECK_THAT(settings_error("  type: thermal_block\n  blocks: [3, 2]\n  cells: [10, 8]\n"),
             Contains("case.yaml:4:10") && Contains("'problem.cells'") &&
                 Contains("cells [10, 8] must be multiples of blocks [3, 2]"));
  // The default cell count (64) is not a multiple of 3 blocks either.
  CHECK_THAT(settings_error("  type: thermal_block\n  blocks: [3, 3]\n"),
             Contains("'cells' (default value)") && Contains("must be multiples of blocks [3, 3]"));
  CHECK_THAT(settings_error("  type: thermal_block\n  conductivity: [mu0, mu1, mu2]\n"),
             Contains("case.yaml:3:17") && Contains("'problem.conductivity'") &&
                 Contains("expected a list of 4 expressions, got a list of 3"));
  CHECK_THAT(settings_error("  type: thermal_block\n  blocks: [3, 1]\n  cells: 12\n"),
             Contains("'problem'") && Contains("the parameters (4: mu0, mu1, mu2, mu3)") &&
                 Contains("3 x 1 = 3 blocks") && Contains("give 'conductivity' as a list of 3"));
  CHECK_THAT(settings_error("  type: thermal_block\n  conductivity: [mu0, mu1, 'mu2 +', mu3]\n"),
             Contains("'problem.conductivity[2]'") && Contains("expression 'mu2 +'"));
  CHECK_THAT(settings_error("  type: thermal_block\n  conductivity: [mu0, mu1, mu2, nu]\n"),
             Contains("'problem.conductivity[3]'") && Contains("variables: mu0, mu1, mu2, mu3"));
  CHECK_THAT(settings_error("  type: thermal_block\n  cells: [0, 8]\n"),
             Contains("'problem.cells'") && Contains("cell counts must be positive, got 0"));
  CHECK_THAT(settings_error("  type: thermal_block\n  cells: [8, 8, 8]\n"),
             Contains("a list [nx, ny] of two, got a list of 3"));
  CHECK_THAT(settings_error("  type: thermal_block\n  blocks: [2]\n"),
             Contains("'problem.blocks'") && Contains("[Bx, By]"));
  CHECK_THAT(settings_error("  type: thermal_block\n  source: hot\n"),
             Contains("'problem.source'") && Contains("hot"));
}

TEST_CASE("advection_diffusion settings", "[operators][settings]") {
  const std::string pe = "  - {name: Pe, range: [1, 100], scale: log}\n";
  const CaseFile c = case_with("  type: advection_diffusion\n", pe);
  const auto d = read_advection_diffusion_settings(c.problem.settings, c.parameters);
  CHECK(d.diffusivity == "1/Pe");
  CHECK(d.velocity == std::array<std::string, 2>{"cos(0.5)", "sin(0.5)"});
  CHECK(d.cells == std::array<PetscInt, 2>{64, 64});
  const CaseFile full = case_with(
      "  type: advection_diffusion\n  cells: [16, 32]\n  diffusivity: 0.01\n"
      "  velocity: [1, 'Pe/100']\n  source: 0\n",
      pe);
  const auto s = read_advection_diffusion_settings(full.problem.settings, full.parameters);
  CHECK(s.diffusivity == "0.01");
  CHECK(s.velocity == std::array<std::string, 2>{"1", "Pe/100"});
  CHECK(s.source == 0.0);

  CHECK_THAT(settings_error("  type: advection_diffusion\n"),
             Contains("missing required key 'diffusivity'"));
  CHECK_THAT(settings_error("  type: advection_diffusion\n  diffusivity: 1\n  velocity: [1]\n"),
             Contains("'problem.velocity'") && Contains("expected a list of 2 expressions"));
  CHECK_THAT(settings_error("  type: advection_diffusion\n  diffusivity: '1/Pe'\n"),
             Contains("'problem.diffusivity'") && Contains("expression '1/Pe'"));
  CHECK_THAT(settings_error("  type: advection_diffusion\n  diffusivity: 1\n  velocty: [1, 1]\n"),
             Contains("did you mean 'velocity'?"));
}

TEST_CASE("elasticity settings", "[operators][settings]") {
  const CaseFile c = case_with("  type: elasticity\n");
  const auto d = read_elasticity_settings(c.problem.settings, c.parameters);
  CHECK(d.length == 4.0);
  CHECK(d.cells == std::array<PetscInt, 2>{64, 16});
  CHECK(d.subdomains == 2);
  CHECK(d.young == std::vector<std::string>{"mu0", "mu1"});
  CHECK(d.poisson == 0.3);
  CHECK(d.load == "1");

  CHECK_THAT(settings_error("  type: elasticity\n  poisson: 0.5\n"),
             Contains("'problem.poisson'") && Contains("poisson must lie in (-1, 0.5), got 0.5"));
  CHECK_THAT(settings_error("  type: elasticity\n  subdomains: 3\n  cells: [64, 16]\n"),
             Contains("'problem.cells'") && Contains("must be a multiple of subdomains (3)"));
  CHECK_THAT(settings_error("  type: elasticity\n  subdomains: 3\n"),
             Contains("'problem.subdomains'") && Contains("must be a multiple of subdomains (3)"));
  CHECK_THAT(settings_error("  type: elasticity\n  subdomains: 8\n"),
             Contains("the first 8 parameters") && Contains("there are only 4"));
  CHECK_THAT(settings_error("  type: elasticity\n  young: [1, 2, 3]\n"),
             Contains("'problem.young'") && Contains("expected a list of 2 expressions"));
  CHECK_THAT(settings_error("  type: elasticity\n  length: -1\n"),
             Contains("'problem.length'") && Contains("length must be positive"));
  CHECK_THAT(settings_error("  type: elasticity\n  load: 'mu9'\n"),
             Contains("'problem.load'") && Contains("expression 'mu9'"));
}

TEST_CASE("helmholtz settings", "[operators][settings]") {
  const CaseFile c = case_with("  type: helmholtz\n  cells: 20\n", "  - {name: k2, range: [1, 30]}\n");
  const auto d = read_helmholtz_settings(c.problem.settings, c.parameters);
  CHECK(d.wavenumber_squared == "k2");
  CHECK(d.cells == std::array<PetscInt, 2>{20, 20});
  CHECK(d.source == 1.0);
  CHECK_THAT(settings_error("  type: helmholtz\n  wavenumber: 3\n"),
             Contains("did you mean 'wavenumber_squared'?"));
}

TEST_CASE("make_problem builds each built-in type from its case file", "[operators][settings]") {
  const auto tb = make_problem(test_comm(), case_with("  type: thermal_block\n  cells: 8\n"));
  CHECK(tb->type() == "thermal_block");
  CHECK(tb->global_size() == 49);
  const auto ad = make_problem(
      test_comm(), case_with("  type: advection_diffusion\n  cells: 6\n  diffusivity: 'mu0'\n"));
  CHECK(ad->type() == "advection_diffusion");
  CHECK(ad->global_size() == 25);
  const auto el = make_problem(test_comm(), case_with("  type: elasticity\n  cells: [8, 2]\n"));
  CHECK(el->type() == "elasticity");
  CHECK(el->global_size() == 8 * 3 * 2);
  const auto hh = make_problem(test_comm(), case_with("  type: helmholtz\n  cells: 5\n"));
  CHECK(hh->type() == "helmholtz");
  CHECK(hh->global_size() == 16);
  CHECK(hh->lhs().coefficients({3.0, 0.5, 0.5, 0.5}) == std::vector<double>{1.0, -3.0});

  CHECK_THROWS_WITH(make_problem(test_comm(), case_with("  type: thermal_block\n  cells: 9\n")),
                    Contains("must be multiples of blocks [2, 2]"));
  CHECK_THROWS_WITH(make_problem(test_comm(), case_with("  type: external\n")),
                    Contains("missing key 'operator'"));
  CHECK_THAT(settings_error("  type: external\n"), Contains("missing key 'operator'"));
}

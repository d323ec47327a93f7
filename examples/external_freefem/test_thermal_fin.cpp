// The FreeFEM thermal fin through Kolmo's library API: read the case file that the fixture
// example_thermal_fin_freefem generated the matrices for, build the external problem, solve the
// truth problem at FreeFEM's reference points and match FreeFEM's own T_root.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/mpi.hpp"
#include "core/parameter_space.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/external_problem.hpp"
#include "solvers/truth_solver.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

struct Reference {
  kolmo::Mu mu;
  double root_temperature = 0;
};

/// thermal_fin_reference.txt: "k1 k2 k3 k4 Bi T_root" per line, '#' comments.
std::vector<Reference> read_reference(const std::string& path) {
  std::ifstream in(path);
  std::vector<Reference> points;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Reference r;
    r.mu.resize(5);
    for (double& value : r.mu) fields >> value;
    fields >> r.root_temperature;
    if (fields) points.push_back(r);
  }
  return points;
}

}  // namespace

TEST_CASE("the FreeFEM thermal fin solved by Kolmo matches FreeFEM", "[example][external]") {
  const auto c = kolmo::read_case_file(test_comm(), "thermal_fin.yaml");
  const auto problem = kolmo::operators::make_external(test_comm(), c);
  CHECK(problem->lhs().num_terms() == 6);
  CHECK(problem->compliant());
  CHECK(problem->output_names() == std::vector<std::string>{"root_temperature"});

  const auto reference = read_reference("thermal_fin_reference.txt");
  REQUIRE(reference.size() == 3);
  kolmo::solvers::TruthSolver solver(*problem, c.solver);
  auto u = problem->create_vector();
  for (const auto& point : reference) {
    const auto stats = solver.solve(point.mu, u);
    const double value = problem->evaluate_outputs(point.mu, u).at(0);
    const double relative = std::abs(value - point.root_temperature) / point.root_temperature;
    if (kolmo::comm_rank(test_comm()) == 0)
      std::printf("%s: T_root = %.10f (FreeFEM %.10f, relative difference %.1e, %d iterations)\n",
                  kolmo::format_mu(problem->parameter_space(), point.mu).c_str(), value,
                  point.root_temperature, relative, static_cast<int>(stats.iterations));
    CHECK(relative < 1e-8);
  }
}

// kolmo solve CASE --mu ...: one truth solve, outputs printed, field written for ParaView.
#include <filesystem>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/xdmf.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/truth_solver.hpp"
#include "study.hpp"

namespace kolmo::app {

int run_solve(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"mu", "output", "json"});
  const CaseFile c = load_case(comm, line);
  const auto mu_text = line.value("mu");
  KOLMO_INPUT_CHECK(mu_text && !mu_text->empty(),
                    "kolmo solve: --mu is required (" << c.parameters.dimension()
                                                      << " comma-separated values for "
                                                      << format_mu(c.parameters, c.parameters.from_unit(std::vector<double>(c.parameters.dimension(), 0.5)))
                                                      << ", e.g.)");
  const Mu mu = c.parameters.parse(*mu_text, "--mu");
  const std::string field_file = line.value("output").value_or(c.name + "_solution.h5");
  check_output_path(comm, field_file, "--output", {c.path});
  check_json_path(comm, line);
  auto problem = operators::make_problem(comm, c);
  const auto outputs = selected_outputs(c, *problem);

  solvers::TruthSolver solver(*problem, c.solver, "truth_");
  VecHandle u = problem->create_vector();
  const auto stats = solver.solve(mu, u);
  const auto values = problem->evaluate_outputs(mu, u);
  const auto names = problem->output_names();

  print_root(comm, "%s at %s\n", problem->type().c_str(), format_mu(c.parameters, mu).c_str());
  for (auto i : outputs) print_root(comm, "  %-16s %.12g\n", names[i].c_str(), values[i]);
  print_root(comm, "  %-16s %lld dofs, %lld iterations, relative residual %.3g, %.3f s setup + %.3f s solve\n",
             "truth solve", static_cast<long long>(problem->global_size()),
             static_cast<long long>(stats.iterations), stats.relative_residual, stats.setup_seconds,
             stats.solve_seconds);

  VecHandle natural = problem->create_natural_vector();
  problem->to_natural(u, natural);
  write_field_file(comm, field_file, "u", natural, problem->field_layout(),
                   {{"problem", problem->type()}, {"mu", format_mu(c.parameters, mu)}});
  print_root(comm, "  %-16s %s (+ .xdmf for ParaView)\n", "field", field_file.c_str());

  Json report = Json::object();
  report.set("problem", problem->type()).set("mu", Json(mu)).set("dofs", static_cast<long long>(problem->global_size()));
  Json& values_json = report["outputs"];
  values_json = Json::object();
  for (auto i : outputs) values_json.set(names[i], values[i]);
  report.set("iterations", static_cast<long long>(stats.iterations))
      .set("relative_residual", stats.relative_residual)
      .set("setup_seconds", stats.setup_seconds)
      .set("solve_seconds", stats.solve_seconds)
      .set("field_file", field_file)
      .set("ranks", comm_size(comm));
  write_json_report(comm, line, report);
  return 0;
}

}  // namespace kolmo::app

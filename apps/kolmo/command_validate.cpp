// kolmo validate CASE: the reduced model of a case against truth solves on its test sample, per
// basis size: true errors, error bounds and their effectivities, rigour failures, timings; a JSON
// report and a PNG plot of error and bound against N.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "core/sampler.hpp"
#include "operators/external_problem.hpp"
#include "operators/problem_factory.hpp"
#include "rom/model_file.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/validation.hpp"
#include "solvers/truth_solver.hpp"
#include "study.hpp"

namespace kolmo::app {
namespace {

// "1,2,5" or "1:30" or "1:30:5" (start:end[:step]).
std::vector<int> parse_sizes(const std::string& text, int max_size) {
  std::vector<int> sizes;
  auto number = [&](const std::string& token) {
    char* end = nullptr;
    const long value = std::strtol(token.c_str(), &end, 10);
    KOLMO_INPUT_CHECK(end != token.c_str() && *end == '\0' && value >= 1 && value <= max_size,
                      "--sizes: '" << token << "' is not a basis size in [1, " << max_size << "]");
    return static_cast<int>(value);
  };
  if (text.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
    KOLMO_INPUT_CHECK(parts.size() == 2 || parts.size() == 3,
                      "--sizes: expected start:end or start:end:step, got '" << text << "'");
    const int first = number(parts[0]), last = number(parts[1]);
    const int step = parts.size() == 3 ? number(parts[2]) : 1;
    for (int n = first; n <= last; n += step) sizes.push_back(n);
  } else {
    std::stringstream in(text);
    for (std::string token; std::getline(in, token, ',');) sizes.push_back(number(token));
  }
  KOLMO_INPUT_CHECK(!sizes.empty(), "--sizes: no basis size in '" << text << "'");
  return sizes;
}

std::string replace_extension(const std::string& path, const std::string& extension) {
  return std::filesystem::path(path).replace_extension(extension).string();
}

// The data file and gnuplot script of the plot; rank 0 only. Returns what happened, for the log.
std::string plot(const rom::ValidationReport& report, const std::string& png, const std::string& title) {
  const std::string data = replace_extension(png, ".dat");
  {
    std::ofstream out(data);
    out << "# N max_relative_error mean_relative_error";
    for (const auto& e : report.estimators) out << " max_relative_bound_" << e;
    out << '\n';
    out.precision(6);
    out << std::scientific;
    for (const auto& row : report.rows) {
      out << row.size << ' ' << row.max_relative_error << ' ' << row.mean_relative_error;
      for (const auto& e : row.estimators) out << ' ' << e.max_relative_bound;
      out << '\n';
    }
    if (!out) return "cannot write " + data;
  }
  const std::string script = replace_extension(png, ".gp");
  {
    std::ofstream out(script);
    out << "set terminal pngcairo size 900,600\n"
        << "set output '" << png << "'\n"
        << "set title '" << title << "' noenhanced\n"
        << "set logscale y\nset format y '10^{%L}'\nset grid\nset key top right\n"
        << "set xlabel 'basis size N'\nset ylabel 'relative to ||u||_X'\n"
        << "plot '" << data << "' using 1:2 with linespoints lw 2 title 'max true error', \\\n"
        << "     '" << data << "' using 1:3 with linespoints title 'mean true error'";
    for (std::size_t k = 0; k < report.estimators.size(); ++k)
      out << ", \\\n     '" << data << "' using 1:" << 4 + k << " with linespoints "
          << (report.estimators[k] == "classical" ? "dt 2" : "lw 2") << " title 'max bound ("
          << report.estimators[k] << ")'";
    out << '\n';
    if (!out) return "cannot write " + script;
  }
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0)
    return "gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox): no plot; the "
           "data are in " + data;
  const std::string command = "gnuplot '" + script + "' 2>&1";
  if (std::system(command.c_str()) != 0) return "gnuplot failed on " + script;
  return "plot: " + png;
}

}  // namespace

int run_validate(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"model", "sizes", "json", "plot", "reference-solver"});
  const CaseFile c = load_case(comm, line);
  const std::string model_path = line.value("model").value_or(c.rom.model);
  auto problem = operators::make_problem(comm, c);

  rom::ReducedModel model;
  {
    h5::File file = h5::File::open(comm, model_path, h5::Access::read_only);
    model = rom::read_reduced_model(file);
  }
  KOLMO_INPUT_CHECK(model.problem_type == problem->type() &&
                        model.parameter_names == problem->parameter_space().names(),
                    model_path << ": the model is of a '" << model.problem_type
                               << "' problem with other parameters than the case " << c.path
                               << "; run 'kolmo offline " << c.path << "' first");
  std::vector<int> sizes;
  if (auto text = line.value("sizes")) sizes = parse_sizes(*text, model.max_size());
  BVHandle basis = rom::read_model_basis(model_path, *problem, model.max_size());
  const auto test = required_sample(comm, c, "test", "validate");
  // The report paths before the reference solves, and never over the case file or the model.
  const std::string json_path = line.value("json").value_or(c.resolve(c.name + "_validation.json"));
  const std::string png = line.value("plot").value_or(c.resolve(c.name + "_validation.png"));
  for (const auto& [option, path] : {std::pair{"--json", json_path}, std::pair{"--plot", png}})
    check_output_path(comm, path, option, {c.path, model_path, c.snapshots.file});

  // The truth must be far more accurate than the errors measured (down to 1e-12 and below): by
  // default a direct solve (MUMPS LU) when the problem is small enough for it.
  const std::string reference = line.value("reference-solver")
                                    .value_or(problem->global_size() < 200000 ? "direct" : "case");
  KOLMO_INPUT_CHECK(reference == "direct" || reference == "case",
                    "--reference-solver: expected 'direct' or 'case', got '" << reference << "'");
  SolverSection settings = c.solver;
  if (reference == "direct") {
    settings = SolverSection{};
    settings.ksp_type = "preonly";
    settings.pc_type = "lu";
    settings.petsc["pc_factor_mat_solver_type"] = "mumps";
  }
  solvers::TruthSolver truth(*problem, settings, "reference_");
  print_root(comm, "%s: validating %s (N <= %d, %s estimator) on %zu test points; truth: %s\n",
             c.name.c_str(), model_path.c_str(), model.max_size(), model.estimator.c_str(),
             test.size(), reference == "direct" ? "MUMPS LU" : "the case's solver");

  rom::ValidationOptions options;
  options.sizes = sizes;
  const auto report = rom::validate_model(*problem, model, basis, test, truth, options);

  print_root(comm, "%4s %11s %11s", "N", "max err", "mean err");
  for (const auto& e : report.estimators)
    print_root(comm, " | %11s %9s %9s %4s %8s", ("bound " + e).c_str(), "eff min", "eff max", "fail",
               "query us");
  print_root(comm, " | %8s\n", "solve us");
  for (const auto& row : report.rows) {
    print_root(comm, "%4d %11.3e %11.3e", row.size, row.max_relative_error, row.mean_relative_error);
    for (const auto& e : row.estimators)
      print_root(comm, " | %11.3e %9.3g %9.3g %4d %8.2f", e.max_relative_bound, e.effectivity_min,
                 e.effectivity_max, e.failures, e.online_microseconds);
    print_root(comm, " | %8.2f\n", row.online_solve_microseconds);
  }
  print_root(comm, "errors and bounds relative to ||u||_X (max over the test points); truth solve "
             "%.4f s on average\n", report.truth_seconds);
  if (report.nonaffine_rhs && !report.rows.empty())
    print_root(comm, "the truth uses the exact (non-affine) load; the bounds add the EIM estimate of "
               "||f - f_M||_X' (max %.3e relative), which is an estimate, not a certified bound\n",
               report.rows.front().max_relative_rhs_error);
  // A sampled operator: the truth solves the true A(mu) (the held-out samples), so the matrix-EIM
  // error is in the measured error; the bound covers it only through the model's eps_A.
  if (const auto* external = dynamic_cast<const operators::ExternalProblem*>(problem.get());
      external && external->sample_mode()) {
    if (report.operator_eim)
      print_root(comm, "the truth solves the sampled operator A(mu); the bounds add the matrix-EIM "
                 "term with eps_A = %.3e, an estimate measured offline, not a certified bound\n",
                 report.operator_eim_error);
    else
      print_root(comm, "note: %s holds no matrix-EIM error (written before it was stored): eps_A = "
                 "0, so its bounds certify the EIM problem A_M only, not the sampled operator; "
                 "rerun kolmo offline\n", model_path.c_str());
  }

  Json json = report.to_json();
  json.set("case", c.path).set("model", model_path).set("reference_solver", reference);
  std::string plot_message;
  bool written = true;
  if (comm_rank(comm) == 0) {
    std::ofstream out(json_path);
    out << json.dump(2) << '\n';
    written = static_cast<bool>(out);
    plot_message = plot(report, png, c.name + ": reduced model against truth (" +
                                          std::to_string(report.points) + " test points)");
  }
  KOLMO_INPUT_CHECK(all_ranks(comm, written), "cannot write the report '" << json_path << "'");
  print_root(comm, "report: %s\n%s\n", json_path.c_str(), plot_message.c_str());

  // Failures of the other evaluation are information (the classical one is known to lose
  // accuracy below about 1e-8 relative); those of the model's own estimator are failures.
  std::size_t other = report.failures.size() - report.default_failures();
  if (other > 0)
    print_root(comm, "note: %zu bound(s) of a non-default estimator fell below the true error "
               "(expected for 'classical' once errors approach 1e-8 relative)\n", other);
  if (report.default_failures() > 0) {
    if (comm_rank(comm) == 0) {
      std::fprintf(stderr, "\nFAILURE: the %s error bound is below the true error at %zu (N, point) "
                   "pair(s):\n", report.default_estimator.c_str(), report.default_failures());
      std::size_t shown = 0;
      for (const auto& f : report.failures)
        if (f.estimator == report.default_estimator && shown++ < 10)
          std::fprintf(stderr, "  N = %d, test point %zu (%s): error %.6e > bound %.6e (||u||_X = %.6e)\n",
                       f.size, f.point, format_mu(c.parameters, test[f.point]).c_str(), f.error,
                       f.bound, f.norm);
      std::fprintf(stderr, "FAILURE: the model is NOT certified\n");
    }
    return 1;
  }
  print_root(comm, "every %s bound is above the true error\n", report.default_estimator.c_str());
  return 0;
}

}  // namespace kolmo::app

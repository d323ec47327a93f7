// kolmo offline CASE: the reduced model of a case (POD of the training snapshots, or the weak
// greedy), with the Galerkin projections, the error-estimator data and the stability bound, written
// to rom.model with the basis. An external problem known only at sample points is first made
// affine by matrix EIM (rom/eim_affine_problem.hpp); the samples at the points of the test sample
// are held out of the EIM, to measure its error here and to be the truth of kolmo validate.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/sampler.hpp"
#include "core/snapshot_store.hpp"
#include "operators/external_problem.hpp"
#include "operators/problem_factory.hpp"
#include "rom/eim_affine_problem.hpp"
#include "rom/greedy.hpp"
#include "rom/model_file.hpp"
#include "rom/online/chebyshev_tucker_surrogate.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/output_surrogate_builder.hpp"
#include "rom/pod.hpp"
#include "rom/reduced_model_builder.hpp"
#include "rom/stability.hpp"
#include "solvers/sequence_solver.hpp"
#include "solvers/truth_solver.hpp"
#include "study.hpp"

namespace kolmo::app {
namespace {

int positive_option(const CommandLine& line, const std::string& name, int fallback) {
  const auto text = line.value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  KOLMO_INPUT_CHECK(end != text->c_str() && *end == '\0' && value >= 1 && value < 1000000000,
                    "--" << name << ": expected a positive integer, got '" << *text << "'");
  return static_cast<int>(value);
}

std::string choice_option(const CommandLine& line, const std::string& name,
                          const std::vector<std::string>& allowed, const std::string& fallback) {
  const std::string value = line.value(name).value_or(fallback);
  for (const auto& a : allowed)
    if (a == value) return value;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw InputError("--" + name + ": '" + value + "' is not one of: " + list);
}

std::string describe(const rom::StabilityBound& bound) {
  char text[160];
  if (bound.kind == "min_theta")
    return "min-theta coercivity bound (rigorous, parametrically coercive)";
  if (bound.kind == "eigen_interval") {
    std::snprintf(text, sizeof text,
                  "exact inf-sup bound from %zu generalized eigenvalues below %.6g (rigorous)",
                  bound.sigma.size(), bound.sigma_tail);
    return text;
  }
  if (bound.kind == "scm") return "successive constraint method (SCM) coercivity bound (rigorous)";
  std::snprintf(text, sizeof text,
                "constant %.6g = 0.9 x min sampled alpha(mu) (NOT rigorous: sampled, not SCM)",
                bound.constant);
  return text;
}

// Print the matrix EIM of a sample-mode external problem and return its report: terms, training
// error, true operator (and right-hand side) error on the held-out samples.
Json matrix_eim_report(MPI_Comm comm, const rom::EimAffineProblem& problem) {
  const rom::MatrixEim& eim = problem.operator_eim();
  const auto op = problem.operator_error();
  const auto rhs = problem.rhs_error();
  const double training_error = eim.errors().back() / eim.errors().front();
  print_root(comm, "matrix EIM of %zu sample matrices (%zu held out): M = %d terms (%s), training "
             "max-entry error %.3e relative, beta(mu) by %s RBF\n",
             problem.training_samples().size(), problem.held_out_samples().size(), eim.size(),
             operators::to_string(eim.interpolation().stop_reason()), training_error,
             rom::to_string(eim.kernel()));
  if (op.points > 0)
    print_root(comm, "  operator error ||A - A_M||_F / ||A||_F on the held-out samples: max %.3e, "
               "mean %.3e\n", op.max, op.mean);
  else
    print_root(comm, "  no held-out samples (list test points that are sample points to measure "
               "the operator error)\n");
  if (rhs.points > 0)
    print_root(comm, "  right-hand side error on the held-out samples: max %.3e\n", rhs.max);
  print_root(comm, "  %s: %s\n", problem.recast() ? "recast" : "not recast",
             problem.recast_note().c_str());
  std::vector<double> selected;
  for (auto k : eim.selected()) selected.push_back(static_cast<double>(problem.training_samples()[k]));
  Json json = Json::object();
  json.set("terms", eim.size())
      .set("stop_reason", operators::to_string(eim.interpolation().stop_reason()))
      .set("training_samples", static_cast<long long>(problem.training_samples().size()))
      .set("held_out_samples", static_cast<long long>(problem.held_out_samples().size()))
      .set("selected_samples", selected)
      .set("training_errors", eim.errors())
      .set("training_error", training_error)
      .set("recast", problem.recast())
      .set("recast_note", problem.recast_note());
  if (op.points > 0) json.set("operator_error_max", op.max).set("operator_error_mean", op.mean);
  if (problem.rhs_eim()) json.set("rhs_terms", problem.rhs_eim()->size());
  if (rhs.points > 0) json.set("rhs_error_max", rhs.max).set("rhs_error_mean", rhs.mean);
  return json;
}

rom::OutputSurrogateOptions surrogate_options(const CaseFile& c) {
  rom::OutputSurrogateOptions options;
  options.tolerance = c.rom.surrogate_tolerance;
  options.max_degree = c.rom.surrogate_max_degree;
  options.check_points = c.rom.surrogate_check_points;
  return options;
}

// The Chebyshev-Tucker surrogates of the model's outputs (rom.surrogate), built on every rank
// alike (deterministic, so the file does not depend on the ranks), printed and reported.
std::vector<rom::ChebyshevTuckerSurrogate> output_surrogates(MPI_Comm comm, const CaseFile& c,
                                                             const rom::ReducedModel& model,
                                                             Json& report) {
  if (model.outputs.empty()) {
    print_root(comm, "surrogate: the model has no outputs, nothing to approximate\n");
    return {};
  }
  rom::OutputSurrogateBuilder builder(rom::OnlineEvaluator(model), surrogate_options(c));
  std::vector<rom::OutputSurrogateReport> reports;
  auto surrogates = builder.build_all(&reports);
  Json& json = report["surrogates"];
  json = Json::array();
  for (const auto& r : reports) {
    std::string nodes, ranks;
    for (std::size_t l = 0; l < r.points.size(); ++l) {
      if (l > 0) {
        nodes += ' ';
        ranks += ' ';
      }
      nodes += std::to_string(r.points[l]);
      ranks += std::to_string(r.ranks[l]);
    }
    print_root(comm, "surrogate of '%s': Chebyshev-Tucker, nodes [%s], ranks [%s], %lld model "
               "evaluations%s; max deviation from s_N at %d random points %.3e (%.3e relative, "
               "tolerance %g), %.2f s\n",
               r.output.c_str(), nodes.c_str(), ranks.c_str(), r.accuracy.evaluations,
               r.accuracy.converged ? "" : " (NOT converged: raise max_degree)",
               r.accuracy.check_points, r.accuracy.check_error, r.accuracy.check_relative_error,
               r.accuracy.tolerance, r.seconds);
    std::vector<double> points(r.points.begin(), r.points.end()), rank_list(r.ranks.begin(), r.ranks.end());
    Json item = Json::object();
    item.set("output", r.output)
        .set("points", points)
        .set("ranks", rank_list)
        .set("evaluations", r.accuracy.evaluations)
        .set("converged", r.accuracy.converged)
        .set("tolerance", r.accuracy.tolerance)
        .set("check_points", r.accuracy.check_points)
        .set("check_error", r.accuracy.check_error)
        .set("check_relative_error", r.accuracy.check_relative_error)
        .set("seconds", r.seconds);
    json.push_back(item);
  }
  return surrogates;
}

// The matrix-EIM error term of the model (rom/online/reduced_model.hpp, OperatorEimError):
// ||A - A_M||_{X->X'} at the samples the EIM did not interpolate, times a safety factor of 2;
// printed and added to the EIM's report.
rom::OperatorEimError operator_error_term(MPI_Comm comm, const rom::EimAffineProblem& problem,
                                          Json& json) {
  const auto samples = problem.calibration_samples();
  KOLMO_INPUT_CHECK(!samples.empty(),
                    "matrix EIM: every sample is an interpolation point, so none measures the EIM "
                    "error for the error bound; give more samples or hold some out (test points "
                    "that are sample points)");
  const auto e = problem.operator_error_estimate(2.0, samples);
  const std::size_t held_out = problem.held_out_samples().size();
  const std::size_t unselected = samples.size() - held_out;
  double max_unselected = 0, max_held_out = 0;
  for (std::size_t i = 0; i < e.measured_operator.size(); ++i) {
    double& largest = i < unselected ? max_unselected : max_held_out;
    largest = std::max(largest, e.measured_operator[i]);
  }
  print_root(comm, "  ||A - A_M||_{X->X'} (spectral) at %zu unselected training samples: max %.3e; "
             "at %zu held-out samples: max %.3e; in the error bound: eps_A = %g x max = %.3e "
             "(an estimate, not certified)\n",
             unselected, max_unselected, held_out, max_held_out, e.safety_factor, e.operator_error);
  if (!e.measured_rhs.empty())
    print_root(comm, "  ||f - f_M||_X' at the same samples: eps_f = %g x max = %.3e\n",
               e.safety_factor, e.rhs_error);
  json.set("operator_dual_norm_error_unselected_max", max_unselected)
      .set("operator_dual_norm_error_held_out_max", max_held_out)
      .set("operator_error_bound_term", e.operator_error)
      .set("rhs_error_bound_term", e.rhs_error)
      .set("error_safety_factor", e.safety_factor);
  return e;
}

}  // namespace

int run_offline(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"method", "pod-method", "batch", "stability", "restart", "json"});
  const CaseFile c = load_case(comm, line);
  if (c.rom.surrogate) rom::check_output_surrogate_options(surrogate_options(c));  // before any work
  const std::string method = choice_option(line, "method", {"pod", "greedy"}, c.rom.method);
  const std::string pod_method =
      choice_option(line, "pod-method", {"qr", "snapshots", "incremental"}, "qr");
  const int batch = positive_option(line, "batch", 16);
  // --stability overrides rom.stability.method (rigorous: auto, or scm when the case asks for it).
  const std::string stability_mode = choice_option(
      line, "stability", {"rigorous", "sampled"},
      c.rom.stability.method == "sampled" ? "sampled" : "rigorous");
  const double start = MPI_Wtime();
  // Before any work: where the model goes (not over the case file or the snapshots it is built from).
  check_output_path(comm, c.rom.model, "rom.model", {c.path, c.snapshots.file});
  check_json_path(comm, line);

  auto source = operators::make_problem(comm, c);
  const auto training = required_sample(comm, c, "training", "offline");
  Json report = Json::object();
  std::unique_ptr<operators::ParametrizedProblem> eim_problem;
  std::optional<rom::OperatorEimError> operator_eim_error;
  if (const auto* external = dynamic_cast<const operators::ExternalProblem*>(source.get());
      external && external->sample_mode()) {
    const auto test = required_sample(comm, c, "test", "offline");
    auto affine = std::make_unique<rom::EimAffineProblem>(
        *external, rom::matrix_eim_options(external->settings().matrix_eim), test);
    Json eim_report = matrix_eim_report(comm, *affine);
    operator_eim_error = operator_error_term(comm, *affine, eim_report);
    report.set("matrix_eim", std::move(eim_report));
    eim_problem = std::move(affine);
  }
  const operators::ParametrizedProblem* const problem = eim_problem ? eim_problem.get() : source.get();

  // The stability bound first: a problem without one fails before any expensive work.
  rom::StabilityOptions stability_options = rom::stability_options(c.rom.stability);
  stability_options.allow_sampled = stability_mode == "sampled";
  if (stability_options.allow_sampled) stability_options.force_scm = false;
  stability_options.sample = training;
  if (c.rom.stability.scm_training > 0) {
    SampleSpec scm_sample;
    scm_sample.method = "random";
    scm_sample.size = static_cast<std::size_t>(c.rom.stability.scm_training);
    scm_sample.seed = 4;
    stability_options.sample = draw_sample(comm, c.parameters, scm_sample);
  }
  const auto stability = rom::compute_stability_bound(*problem, stability_options);
  print_root(comm, "%s: %s, %lld unknowns, stability: %s\n", c.name.c_str(), problem->type().c_str(),
             static_cast<long long>(problem->global_size()), describe(stability).c_str());

  report.set("case", c.path).set("method", method).set("model", c.rom.model);
  std::unique_ptr<rom::ReducedModelBuilder> builder;
  std::vector<double> singular_values;
  double pod_seconds = 0, snapshot_seconds = 0;
  if (method == "pod") {
    // The missing training snapshots, through the same (resumable) code path as kolmo snapshots.
    CommandLine snapshots;
    snapshots.program = line.program;
    snapshots.command = "snapshots";
    snapshots.positional = {line.positional.at(0)};
    if (line.has("restart")) snapshots.options["restart"] = "";
    const double t0 = MPI_Wtime();
    const int status = run_snapshots(comm, snapshots);
    snapshot_seconds = MPI_Wtime() - t0;
    if (status != 0) return status;

    const double t1 = MPI_Wtime();
    auto store = SnapshotStore::open(comm, c.snapshots.file);
    rom::PodOptions options;
    options.method = pod_method;
    options.tolerance = c.rom.tolerance;
    options.max_size = c.rom.max_size;
    options.batch = batch;
    auto pod = rom::compute_pod(*problem, store, options);
    store.close();
    pod_seconds = MPI_Wtime() - t1;
    print_root(comm, "POD (%s) of %lld snapshots: %d modes for energy tolerance %g (max %d); "
               "sigma_1 = %.4e, sigma_N = %.4e\n",
               pod_method.c_str(), static_cast<long long>(pod.snapshot_count), pod.size,
               c.rom.tolerance, c.rom.max_size, pod.singular_values.front(),
               pod.singular_values[static_cast<std::size_t>(pod.size - 1)]);
    builder = std::make_unique<rom::ReducedModelBuilder>(*problem, pod.size);
    VecHandle mode = problem->create_vector();
    for (int j = 0; j < pod.size; ++j) {
      KOLMO_PETSC_CALL(BVCopyVec(pod.modes, j, mode));
      builder->add(mode);  // POD modes are X-orthonormal; add() re-orthonormalises to round-off
    }
    singular_values = pod.singular_values;
    report.set("pod_method", pod_method)
        .set("snapshots", static_cast<long long>(pod.snapshot_count))
        .set("snapshot_seconds", snapshot_seconds)
        .set("pod_seconds", pod_seconds)
        .set("singular_values", pod.singular_values);
  } else {
    // The greedy's truth solves form a sequence too: under solver.sequence, each starts from the
    // projection onto the snapshots before it (the reduced solution) and may keep the
    // preconditioner. Without it they are independent solves.
    const auto policy = solvers::sequence_policy(c.solver.sequence);
    std::optional<solvers::TruthSolver> truth;
    std::optional<solvers::SequenceSolver> sequence;
    rom::TruthSolve solve;
    if (policy.is_default()) {
      truth.emplace(*problem, c.solver, "truth_");
      solve = [&truth](const Mu& mu, Vec u) { truth->solve(mu, u); };
    } else {
      sequence.emplace(*problem, c.solver, policy, "truth_");
      solve = [&sequence](const Mu& mu, Vec u) { sequence->solve(mu, u); };
      print_root(comm, "greedy truth solves as a sequence: %s\n", solvers::describe(policy).c_str());
    }
    builder = std::make_unique<rom::ReducedModelBuilder>(*problem, c.rom.max_size);
    rom::GreedyOptions options;
    options.tolerance = c.rom.tolerance;
    options.max_size = c.rom.max_size;
    options.estimator = c.rom.estimator;
    const auto greedy = rom::run_greedy(*builder, solve, training, stability, options);
    singular_values = greedy.max_relative_bound;
    print_root(comm, "greedy over %zu training points: N = %d, max relative bound %.3e (%s)\n",
               training.size(), builder->size(),
               greedy.max_relative_bound.empty() ? 0.0 : greedy.max_relative_bound.back(),
               greedy.stop_reason.c_str());
    print_root(comm, "  time: truth solves %.2f s, projections and representers %.2f s, bounds %.2f s\n",
               greedy.truth_seconds, greedy.builder_seconds, greedy.estimator_seconds);
    std::vector<double> selected;
    for (auto i : greedy.selected) selected.push_back(static_cast<double>(i));
    report.set("max_relative_bound", greedy.max_relative_bound)
        .set("max_bound", greedy.max_bound)
        .set("selected", selected)
        .set("converged", greedy.converged)
        .set("stop_reason", greedy.stop_reason)
        .set("truth_seconds", greedy.truth_seconds)
        .set("builder_seconds", greedy.builder_seconds)
        .set("estimator_seconds", greedy.estimator_seconds);
  }

  rom::ReducedModel model = builder->model();
  model.case_text = c.text;
  model.method = method;
  model.estimator = c.rom.estimator;
  model.stability = stability;
  model.singular_values = singular_values;
  model.operator_eim = operator_eim_error;
  std::vector<rom::ChebyshevTuckerSurrogate> surrogates;
  if (c.rom.surrogate) surrogates = output_surrogates(comm, c, model, report);
  std::function<void(h5::File&)> write_surrogates;
  if (!surrogates.empty())
    write_surrogates = [&](h5::File& file) { rom::write_output_surrogates(file, surrogates); };
  rom::write_model_file(c.rom.model, model, builder->basis(), *problem, write_surrogates);
  const double seconds = MPI_Wtime() - start;
  print_root(comm, "%s: reduced model of size %d (%zu + %zu x %d residual representers, Riesz "
             "solver: %s) written in %.2f s\n",
             c.rom.model.c_str(), model.max_size(), model.rhs.terms.size(), model.lhs.terms.size(),
             model.max_size(), builder->riesz_solver().description().c_str(), seconds);
  report.set("size", model.max_size())
      .set("stability", stability.kind)
      .set("estimator", model.estimator)
      .set("seconds", seconds);
  write_json_report(comm, line, report);
  return 0;
}

}  // namespace kolmo::app

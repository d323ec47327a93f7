// kolmo online MODEL.h5 --mu ... | --mu-file FILE.csv: evaluate a reduced model (outputs, output
// bounds, error bound) at parameter points. Runs without MPI and PETSc (main() dispatches it
// before starting them) unless --field asks for the reconstructed full field, which is written
// with PETSc like every other field file.
#include <petscvec.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/hdf5_file.hpp"
#include "core/json.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "core/sampler.hpp"
#include "core/text.hpp"
#include "core/xdmf.hpp"
#include "rom/online/chebyshev_tucker_surrogate.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "study.hpp"

namespace kolmo::app {
namespace {

using Clock = std::chrono::steady_clock;

struct Query {
  std::string model_path;
  std::vector<Mu> points;
  int size = -1;
  std::string estimator;
  int threads = 1;
};

int integer_option(const CommandLine& line, const std::string& name, int fallback, int minimum) {
  const auto text = line.value(name);
  if (!text) return fallback;
  const auto value = parse_integer(*text);
  KOLMO_INPUT_CHECK(value && *value >= minimum && *value <= 1000000,
                    "--" << name << " '" << *text << "': expected an integer >= " << minimum);
  return static_cast<int>(*value);
}

/// The evaluation's seconds per query: for one point, the mean over repetitions of at least a
/// millisecond (one query takes microseconds, below the clock's useful resolution).
double time_single(rom::OnlineEvaluator& evaluator, const Query& q) {
  rom::OnlineResult scratch;
  std::size_t repetitions = 0;
  const auto start = Clock::now();
  double elapsed = 0.0;
  while (elapsed < 1e-3 && repetitions < 100000) {
    for (int i = 0; i < 16; ++i) evaluator.evaluate(q.points[0], q.size, q.estimator, scratch, "--mu");
    repetitions += 16;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return elapsed / static_cast<double>(repetitions);
}

/// --surrogate: the Chebyshev-Tucker surrogates of the outputs (from the model file's /surrogate)
/// at every point, and their seconds per query (all outputs of one point).
struct SurrogateResults {
  std::vector<rom::ChebyshevTuckerSurrogate> surrogates;
  std::vector<std::vector<double>> values;  ///< per point, per surrogate
  double seconds_per_query = 0.0;
};

SurrogateResults evaluate_surrogates(const Query& q, const ParameterSpace& space) {
  SurrogateResults s;
  s.surrogates = rom::read_output_surrogates(q.model_path);
  KOLMO_INPUT_CHECK(s.surrogates.front().parameter_space().names() == space.names(),
                    q.model_path << ": /surrogate was built for other parameters than the model's");
  for (std::size_t i = 0; i < q.points.size(); ++i) {
    std::vector<double> values;
    for (const auto& surrogate : s.surrogates) values.push_back(surrogate.evaluate(q.points[i], "--mu"));
    s.values.push_back(std::move(values));
  }
  // As time_single: repetitions of at least a millisecond (a query takes about a microsecond).
  std::size_t repetitions = 0;
  double elapsed = 0.0, sink = 0.0;
  const auto start = Clock::now();
  while (elapsed < 1e-3 && repetitions < 1000000) {
    for (int i = 0; i < 16; ++i)
      for (const auto& surrogate : s.surrogates)
        sink += surrogate.evaluate(q.points[(repetitions + i) % q.points.size()], "--mu");
    repetitions += 16;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  s.seconds_per_query = std::isfinite(sink) ? elapsed / static_cast<double>(repetitions) : 0.0;
  return s;
}

void print_surrogate(const SurrogateResults& s, std::size_t point) {
  for (std::size_t k = 0; k < s.surrogates.size(); ++k) {
    const auto& a = s.surrogates[k].accuracy();
    std::printf("  %-16s %.12g (surrogate of %s; max deviation from s_N %.3e at %d random "
                "points offline)\n", "surrogate", s.values[point][k],
                s.surrogates[k].output_name().c_str(), a.check_error, a.check_points);
  }
}

std::string bound_text(double value) {
  if (std::isnan(value)) return "(no bound)";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "+- %.3e", value);
  return buffer;
}

void print_point(const rom::ReducedModel& model, const ParameterSpace& space, const Mu& mu,
                 const rom::OnlineResult& r) {
  std::printf("%s (N = %d)\n", format_mu(space, mu).c_str(), r.size);
  for (std::size_t k = 0; k < model.outputs.size(); ++k)
    std::printf("  %-16s %.12g %s\n", model.outputs[k].name.c_str(), r.outputs[k],
                bound_text(r.output_bounds[k]).c_str());
  if (model.nonaffine_rhs) {
    // The EIM part is an estimate (reduced_model.hpp, NonaffineRhsTerm): show it separately.
    std::printf("  %-16s %.3e (residual dual norm %.3e + EIM rhs error estimate %.3e, stability "
                "lower bound %.6g)\n", "error bound", r.error_bound, r.residual_dual_norm,
                r.rhs_error, r.stability_lower_bound);
    return;
  }
  if (model.operator_eim) {
    // The matrix-EIM part uses eps_A, an estimate (reduced_model.hpp, OperatorEimError).
    std::printf("  %-16s %.3e (residual dual norm %.3e + matrix EIM term %.3e, stability lower "
                "bound %.6g - eps_A %.3e)\n", "error bound", r.error_bound, r.residual_dual_norm,
                r.operator_error, r.stability_lower_bound, model.operator_eim->operator_error);
    return;
  }
  std::printf("  %-16s %.3e (residual dual norm %.3e, stability lower bound %.6g)\n", "error bound",
              r.error_bound, r.residual_dual_norm, r.stability_lower_bound);
}

Json result_json(const rom::ReducedModel& model, const Mu& mu, const rom::OnlineResult& r) {
  Json point = Json::object();
  point.set("mu", Json(mu)).set("size", r.size);
  Json& outputs = point["outputs"];
  outputs = Json::object();
  Json& bounds = point["output_bounds"];
  bounds = Json::object();
  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    outputs.set(model.outputs[k].name, r.outputs[k]);
    bounds.set(model.outputs[k].name, r.output_bounds[k]);
  }
  point.set("error_bound", r.error_bound)
      .set("residual_dual_norm", r.residual_dual_norm)
      .set("stability_lower_bound", r.stability_lower_bound);
  if (model.nonaffine_rhs) point.set("rhs_error", r.rhs_error);
  if (model.operator_eim) point.set("operator_error", r.operator_error);
  return point;
}

void write_text_file(const std::string& option, const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  KOLMO_INPUT_CHECK(static_cast<bool>(out), "--" << option << ": cannot write '" << path << "'");
}

std::string csv_text(const rom::ReducedModel& model, const std::vector<Mu>& points,
                     const std::vector<rom::OnlineResult>& results, const SurrogateResults& surrogate) {
  std::string text;
  for (const auto& name : model.parameter_names) text += name + ",";
  text += "size";
  for (const auto& output : model.outputs) {
    text += ",";
    text += output.name;
    text += ",";
    text += output.name;
    text += "_bound";
  }
  text += ",error_bound,residual_dual_norm,stability_lower_bound";
  text += model.nonaffine_rhs ? ",rhs_error" : "";
  for (const auto& s : surrogate.surrogates) {
    text += ",";
    text += s.output_name();
    text += "_surrogate";
  }
  text += "\n";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& r = results[i];
    for (double value : points[i]) text += format_number(value) + ",";
    text += std::to_string(r.size);
    for (std::size_t k = 0; k < model.outputs.size(); ++k) {
      text += ",";
      text += format_number(r.outputs[k]);
      text += ",";
      text += format_number(r.output_bounds[k]);
    }
    text += ",";
    text += format_number(r.error_bound);
    text += ",";
    text += format_number(r.residual_dual_norm);
    text += ",";
    text += format_number(r.stability_lower_bound);
    if (model.nonaffine_rhs) {
      text += ",";
      text += format_number(r.rhs_error);
    }
    if (i < surrogate.values.size())
      for (const double value : surrogate.values[i]) {
        text += ",";
        text += format_number(value);
      }
    text += "\n";
  }
  return text;
}

/// V u_N from the model file's /basis, written as a field file for ParaView.
void write_field(const std::string& model_path, const std::string& field_path,
                 const ParameterSpace& space, const Mu& mu, const rom::OnlineResult& r) {
  const auto file = h5::File::open_serial(model_path, h5::Access::read_only);
  KOLMO_INPUT_CHECK(rom::has_reduced_basis(file),
                    "--field: " << model_path
                                << " holds no reduced basis (/basis), so the field cannot be "
                                   "reconstructed; the offline stage stores it");
  const Eigen::MatrixXd basis = rom::read_reduced_basis(file, r.size);
  const FieldLayout layout = file.exists("/layout") ? read_field_layout(file, "/layout") : FieldLayout{};
  const Eigen::VectorXd field = basis * r.coefficients;

  VecHandle vec;
  KOLMO_PETSC_CALL(VecCreateSeq(PETSC_COMM_SELF, static_cast<PetscInt>(field.size()), vec.out()));
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayWrite(vec, &values));
  for (Eigen::Index i = 0; i < field.size(); ++i) values[i] = field(i);
  KOLMO_PETSC_CALL(VecRestoreArrayWrite(vec, &values));
  write_field_file(PETSC_COMM_SELF, field_path, "u_N", vec, layout,
                   {{"mu", format_mu(space, mu)},
                    {"model", model_path},
                    {"size", static_cast<std::int64_t>(r.size)},
                    {"error_bound", r.error_bound}});
}

int run(const CommandLine& line, bool mpi_started) {
  check_options(line, {"mu", "mu-file", "size", "estimator", "json", "csv", "threads", "field",
                       "surrogate"});
  Query q;
  q.model_path = positional(line, 0, "a reduced model file (MODEL.h5)");
  rom::OnlineEvaluator evaluator(rom::read_reduced_model(q.model_path));
  const rom::ReducedModel& model = evaluator.model();
  const ParameterSpace& space = evaluator.parameter_space();

  const auto mu_text = line.value("mu");
  const auto mu_file = line.value("mu-file");
  KOLMO_INPUT_CHECK(mu_text.has_value() != mu_file.has_value(),
                    "kolmo online: give either --mu (" << space.dimension()
                        << " comma-separated values, e.g. "
                        << format_mu(space, space.from_unit(std::vector<double>(space.dimension(), 0.5)))
                        << ") or --mu-file FILE.csv");
  if (mu_text) {
    q.points.push_back(space.parse(*mu_text, "--mu"));
  } else {
    q.points = read_sample_csv(space, *mu_file);
  }
  q.size = integer_option(line, "size", -1, 1);
  q.estimator = line.value("estimator").value_or("");
  q.threads = integer_option(line, "threads", 1, 0);
  const auto field = line.value("field");
  KOLMO_INPUT_CHECK(!field || q.points.size() == 1,
                    "--field: reconstructs the field at one point; give --mu, not --mu-file");
  // Before any work, and never over the model or the points file.
  for (const char* option : {"field", "json", "csv"}) {
    if (const auto path = line.value(option)) {
      const std::string problem = output_path_problem(*path, {q.model_path, mu_file.value_or("")});
      KOLMO_INPUT_CHECK(problem.empty(), "--" << option << ": cannot write '" << *path << "': " << problem);
    }
  }

  std::vector<rom::OnlineResult> results;
  double seconds_per_query = 0.0;
  if (q.points.size() == 1) {
    results.push_back(evaluator.evaluate(q.points[0], q.size, q.estimator));
    seconds_per_query = time_single(evaluator, q);
  } else {
    evaluator.evaluate_batch({q.points[0]}, q.size, 1, q.estimator);  // warm-up
    const auto start = Clock::now();
    results = evaluator.evaluate_batch(q.points, q.size, q.threads, q.estimator);
    seconds_per_query = std::chrono::duration<double>(Clock::now() - start).count() /
                        static_cast<double>(q.points.size());
  }
  const std::string estimator = q.estimator.empty() ? model.estimator : q.estimator;
  SurrogateResults surrogate;
  if (line.has("surrogate")) {
    KOLMO_INPUT_CHECK(line.value("surrogate")->empty(),
                      "--surrogate takes no value (got '" << *line.value("surrogate")
                                                          << "'); write it after the model file");
    surrogate = evaluate_surrogates(q, space);
  }

  if (!line.has("quiet") || q.points.size() == 1)
    for (std::size_t i = 0; i < q.points.size(); ++i) {
      print_point(model, space, q.points[i], results[i]);
      if (!surrogate.surrogates.empty()) print_surrogate(surrogate, i);
    }
  const int threads =
      q.points.size() > 1 ? rom::OnlineEvaluator::batch_workers(q.points.size(), q.threads) : 1;
  std::string how;
  if (q.points.size() > 1) {
    how = " (batch on ";
    how += std::to_string(threads);
    how += threads == 1 ? " thread)" : " threads)";
  }
  std::printf("%zu point%s, %s estimator, %.3f us per query%s\n", q.points.size(),
              q.points.size() == 1 ? "" : "s", estimator.c_str(), seconds_per_query * 1e6,
              how.c_str());
  if (!surrogate.surrogates.empty())
    std::printf("surrogate: %.3f us per query (all %zu outputs)\n", surrogate.seconds_per_query * 1e6,
                surrogate.surrogates.size());

  if (field) {
    KOLMO_CHECK(mpi_started, "--field needs PETSc, which main() starts for it");
    write_field(q.model_path, *field, space, q.points[0], results[0]);
    std::printf("  %-16s %s (+ .xdmf for ParaView when the model has a mesh)\n", "field",
                field->c_str());
  }
  if (const auto path = line.value("json")) {
    Json report = Json::object();
    report.set("model", q.model_path)
        .set("problem", model.problem_type)
        .set("parameter_names", Json(model.parameter_names))
        .set("estimator", estimator)
        .set("threads", threads)
        .set("seconds_per_query", seconds_per_query);
    Json& points = report["points"];
    points = Json::array();
    for (std::size_t i = 0; i < q.points.size(); ++i) {
      Json& point = points.push_back(result_json(model, q.points[i], results[i]));
      if (surrogate.surrogates.empty()) continue;
      Json values = Json::object();
      for (std::size_t k = 0; k < surrogate.surrogates.size(); ++k)
        values.set(surrogate.surrogates[k].output_name(), surrogate.values[i][k]);
      point.set("surrogate_outputs", values);
    }
    if (!surrogate.surrogates.empty()) {
      Json& info = report["surrogates"];
      info = Json::object();
      for (const auto& s : surrogate.surrogates)
        info.set(s.output_name(), Json::object()
                                      .set("check_error", s.accuracy().check_error)
                                      .set("check_points", s.accuracy().check_points)
                                      .set("tolerance", s.accuracy().tolerance));
      report.set("surrogate_seconds_per_query", surrogate.seconds_per_query);
    }
    write_text_file("json", *path, report.dump(2) + "\n");
  }
  if (const auto path = line.value("csv"))
    write_text_file("csv", *path, csv_text(model, q.points, results, surrogate));
  std::fflush(stdout);
  return 0;
}

}  // namespace

bool runs_without_mpi(const CommandLine& line) {
  return line.command == "online" && !line.has("field") && !line.has("help") &&
         !line.has("version");
}

int run_online_without_mpi(const CommandLine& line) {
  try {
    return run(line, false);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "kolmo: error: %s\n", e.what());
    return 1;
  }
}

int run_online(MPI_Comm comm, const CommandLine& line) {
  KOLMO_INPUT_CHECK(comm_size(comm) == 1,
                    "kolmo online runs on one process (got " << comm_size(comm)
                                                             << "): start it without mpiexec");
  return run(line, true);
}

}  // namespace kolmo::app

// kolmo train-pc CASE: fit a learned preconditioner (solvers/learned_model.hpp) from the case's
// snapshot file (solutions at parameter points; the matrices come from the problem), hold out the
// last snapshots, and report CG iterations on them before (the model's starting weights, IC(0)
// for learned_ic) and after the fit. The fitted model is written for -pc_kolmo_learned_file.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/snapshot_store.hpp"
#include "core/text.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/learned_ic_model.hpp"
#include "solvers/pc_learned.hpp"
#include "solvers/register_solvers.hpp"
#include "study.hpp"

namespace kolmo::app {
namespace {

int count_option(const CommandLine& line, const std::string& name, int fallback) {
  const auto text = line.value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  KOLMO_INPUT_CHECK(end != text->c_str() && *end == '\0' && value >= 1 && value < 1000000,
                    "--" << name << ": expected a positive integer, got '" << *text << "'");
  return static_cast<int>(value);
}

struct HeldOutSolve {
  PetscInt iterations = 0;
  double seconds = 0;
  bool converged = false;
};

HeldOutSolve solve_with(MPI_Comm comm, Mat a, Vec b, std::shared_ptr<solvers::LearnedModel> model) {
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(comm, ksp.out()));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPCG));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 0.0, PETSC_DEFAULT, 10000));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, solvers::pc_type_learned));
  solvers::learned_pc_set_model(pc, std::move(model));
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  const double t0 = MPI_Wtime();
  KOLMO_PETSC_CALL(KSPSolve(ksp, b, x));
  HeldOutSolve out;
  out.seconds = MPI_Wtime() - t0;
  KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp, &out.iterations));
  KSPConvergedReason reason{};
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp, &reason));
  out.converged = reason > 0;
  return out;
}

}  // namespace

int run_train_pc(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"model", "output", "held-out", "max-train", "iterations", "json"});
  const CaseFile c = load_case(comm, line);
  register_solvers();
  const std::string model_name = line.value("model").value_or(solvers::default_learned_model);
  const auto known_models = solvers::learned_model_names();
  KOLMO_INPUT_CHECK(std::find(known_models.begin(), known_models.end(), model_name) !=
                        known_models.end(),
                    "--model '" << model_name << "': unknown learned preconditioner model (known: "
                                << join(known_models) << ")");
  const std::string output = line.value("output").value_or(c.name + "_pc.h5");
  const int held_out = count_option(line, "held-out", 4);
  const int max_train = count_option(line, "max-train", 16);
  check_output_path(comm, output, "--output", {c.path, c.snapshots.file, c.rom.model});
  check_json_path(comm, line);
  auto problem = operators::make_problem(comm, c);
  auto store = SnapshotStore::open(comm, c.snapshots.file);
  const auto complete = store.complete_indices();
  KOLMO_INPUT_CHECK(static_cast<int>(complete.size()) > held_out,
                    c.snapshots.file << ": " << complete.size() << " complete snapshots; train-pc "
                                     << "needs more than --held-out " << held_out
                                     << " (run 'kolmo snapshots' first)");
  const std::size_t train_count =
      std::min<std::size_t>(complete.size() - static_cast<std::size_t>(held_out), static_cast<std::size_t>(max_train));

  solvers::TrainingData data;
  VecHandle natural = problem->create_natural_vector();
  for (std::size_t k = 0; k < train_count; ++k) {
    const std::int64_t i = complete[k];
    solvers::TrainingSystem sys;
    problem->assemble_operator(store.parameter(i), sys.matrix);
    if (k == 0) {
      PetscBool symmetric = PETSC_FALSE;
      KOLMO_PETSC_CALL(MatIsSymmetric(sys.matrix, 1e-10, &symmetric));
      KOLMO_INPUT_CHECK(symmetric || model_name != solvers::default_learned_model,
                        "kolmo train-pc: learned_ic needs a symmetric positive definite operator; "
                        "the " << problem->type() << " operator is not symmetric");
    }
    VecHandle x = problem->create_vector();
    store.read(i, natural);
    problem->from_natural(natural, x);
    sys.solutions.push_back(std::move(x));
    data.systems.push_back(std::move(sys));
  }

  auto start = std::shared_ptr<solvers::LearnedModel>(solvers::create_learned_model(model_name));
  auto fitted = std::shared_ptr<solvers::LearnedModel>(solvers::create_learned_model(model_name));
  if (auto* ic = dynamic_cast<solvers::LearnedIcModel*>(fitted.get()))
    ic->set_max_iterations(count_option(line, "iterations", 40));
  const double t0 = MPI_Wtime();
  const solvers::FitReport fit = fitted->fit(data);
  const double fit_seconds = MPI_Wtime() - t0;
  print_root(comm, "%s: fitted %s on %zu snapshots of %s (%lld dofs, %d ranks): loss %.4e -> %.4e, "
             "%d iterations, %.2f s\n", c.snapshots.file.c_str(), model_name.c_str(), train_count,
             problem->type().c_str(), static_cast<long long>(problem->global_size()),
             comm_size(comm), fit.initial_loss, fit.final_loss, fit.iterations, fit_seconds);
  fitted->save(comm, output);

  print_root(comm, "CG iterations to rtol 1e-8 on %d held-out snapshots (starting weights = IC(0) "
             "for learned_ic):\n  %10s %10s  %s\n", held_out, "before", "after", "mu");
  Json rows = Json::array();
  double before_sum = 0, after_sum = 0;
  for (std::size_t k = complete.size() - static_cast<std::size_t>(held_out); k < complete.size(); ++k) {
    const Mu& mu = store.parameter(complete[k]);
    MatHandle a;
    problem->assemble_operator(mu, a);
    VecHandle b = problem->create_vector();
    problem->assemble_rhs(mu, b);
    const HeldOutSolve before = solve_with(comm, a, b, start);
    const HeldOutSolve after = solve_with(comm, a, b, fitted);
    before_sum += static_cast<double>(before.iterations);
    after_sum += static_cast<double>(after.iterations);
    print_root(comm, "  %10lld %10lld  %s%s\n", static_cast<long long>(before.iterations),
               static_cast<long long>(after.iterations), format_mu(c.parameters, mu).c_str(),
               before.converged && after.converged ? "" : "  (not converged)");
    Json row = Json::object();
    row.set("mu", Json(mu))
        .set("iterations_before", static_cast<long long>(before.iterations))
        .set("iterations_after", static_cast<long long>(after.iterations));
    rows.push_back(row);
  }
  print_root(comm, "  mean: %.1f -> %.1f iterations; model written to %s (use -truth_pc_type "
             "kolmo_learned -truth_pc_kolmo_learned_file %s)\n", before_sum / held_out,
             after_sum / held_out, output.c_str(), output.c_str());
  store.close();

  Json report = Json::object();
  report.set("model", model_name)
      .set("file", output)
      .set("training_snapshots", static_cast<long long>(train_count))
      .set("initial_loss", fit.initial_loss)
      .set("final_loss", fit.final_loss)
      .set("fit_seconds", fit_seconds)
      .set("mean_iterations_before", before_sum / held_out)
      .set("mean_iterations_after", after_sum / held_out);
  report["held_out"] = rows;
  write_json_report(comm, line, report);
  return 0;
}

}  // namespace kolmo::app

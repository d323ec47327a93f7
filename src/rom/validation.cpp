#include "rom/validation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "core/expression.hpp"
#include "core/progress.hpp"
#include "rom/online/online_evaluator.hpp"

namespace kolmo::rom {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The reduced solve as the online stage does it (theta from the expressions, or the rhs
// coefficients from the EIM solve of a non-affine rhs term with rhs_is_beta; sum of the leading
// blocks, LU with partial pivoting), timed on its own to split a query into solve and bound.
class ReducedSolve {
 public:
  explicit ReducedSolve(const ReducedModel& model) : model_(model) {
    for (const auto& text : model.lhs.theta) lhs_.emplace_back(text, model.parameter_names);
    if (model.nonaffine_rhs && model.nonaffine_rhs->rhs_is_beta) {
      std::vector<std::string> variables = model.nonaffine_rhs->coordinates;
      variables.insert(variables.end(), model.parameter_names.begin(), model.parameter_names.end());
      g_.emplace(model.nonaffine_rhs->function, variables);
    } else {
      for (const auto& text : model.rhs.theta) rhs_.emplace_back(text, model.parameter_names);
    }
  }
  double solve(const Mu& mu, int size) {
    const Eigen::Index n = size;
    a_.setZero(n, n);
    f_.setZero(n);
    for (std::size_t q = 0; q < lhs_.size(); ++q)
      a_.noalias() += lhs_[q](mu) * model_.lhs.terms[q].topLeftCorner(n, n);
    if (g_) {
      const NonaffineRhsTerm& term = *model_.nonaffine_rhs;
      const auto d = static_cast<std::size_t>(term.magic_points.cols());
      variables_.resize(d + mu.size());
      std::copy(mu.begin(), mu.end(), variables_.begin() + static_cast<std::ptrdiff_t>(d));
      beta_.resize(term.magic_points.rows());
      for (Eigen::Index i = 0; i < term.magic_points.rows(); ++i) {
        for (std::size_t k = 0; k < d; ++k) variables_[k] = term.magic_points(i, static_cast<Eigen::Index>(k));
        beta_(i) = (*g_)(variables_);
      }
      term.interpolation_matrix.triangularView<Eigen::UnitLower>().solveInPlace(beta_);
      for (Eigen::Index q = 0; q < beta_.size(); ++q)
        f_.noalias() += beta_(q) * model_.rhs.terms[static_cast<std::size_t>(q)].head(n);
    }
    for (std::size_t q = 0; q < rhs_.size(); ++q) f_.noalias() += rhs_[q](mu) * model_.rhs.terms[q].head(n);
    u_ = a_.partialPivLu().solve(f_);
    return u_(0);
  }

 private:
  const ReducedModel& model_;
  std::vector<ParameterExpression> lhs_, rhs_;
  std::optional<ParameterExpression> g_;
  std::vector<double> variables_;
  Eigen::MatrixXd a_;
  Eigen::VectorXd f_, u_, beta_;
};

// Mean wall time in microseconds of body(point) over the points, repeating the sweep until
// `budget` seconds have passed.
template <class Body>
double time_per_call(const std::vector<Mu>& points, double budget, Body&& body) {
  std::size_t calls = 0;
  volatile double sink = 0;
  const auto start = Clock::now();
  do {
    for (const auto& mu : points) sink = sink + body(mu);
    calls += points.size();
  } while (seconds_since(start) < budget);
  return 1e6 * seconds_since(start) / static_cast<double>(calls);
}

double x_norm(Mat x, Vec v, Vec work) {
  KOLMO_PETSC_CALL(MatMult(x, v, work));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(v, work, &dot));
  return std::sqrt(std::max(0.0, static_cast<double>(dot)));
}

}  // namespace

std::size_t ValidationReport::default_failures() const {
  return static_cast<std::size_t>(std::count_if(
      failures.begin(), failures.end(),
      [&](const ValidationFailure& f) { return f.estimator == default_estimator; }));
}

Json ValidationReport::to_json() const {
  Json json = Json::object();
  json.set("test_points", static_cast<long long>(points));
  json.set("default_estimator", default_estimator);
  json.set("estimators", estimators);
  json.set("truth_solve_seconds", truth_seconds);
  // The bound's EIM part is an estimate (NonaffineRhsTerm): say so next to the figures.
  json.set("nonaffine_rhs", nonaffine_rhs ? "eim error estimate added to the bound" : "none");
  json.set("operator_eim", operator_eim ? "matrix eim error estimate added to the bound" : "none");
  if (operator_eim) json.set("operator_eim_error", operator_eim_error);
  Json sizes = Json::array();
  for (const auto& row : rows) {
    Json r = Json::object();
    r.set("N", row.size)
        .set("max_error", row.max_error)
        .set("mean_error", row.mean_error)
        .set("max_relative_error", row.max_relative_error)
        .set("mean_relative_error", row.mean_relative_error)
        .set("online_solve_us", row.online_solve_microseconds);
    if (nonaffine_rhs)
      r.set("max_rhs_error", row.max_rhs_error).set("max_relative_rhs_error", row.max_relative_rhs_error);
    if (operator_eim)
      r.set("max_operator_error", row.max_operator_error)
          .set("max_relative_operator_error", row.max_relative_operator_error);
    for (const auto& e : row.estimators) {
      Json f = Json::object();
      f.set("max_bound", e.max_bound)
          .set("max_relative_bound", e.max_relative_bound)
          .set("mean_relative_bound", e.mean_relative_bound)
          .set("effectivity_min", e.effectivity_min)
          .set("effectivity_max", e.effectivity_max)
          .set("failures", e.failures)
          .set("online_query_us", e.online_microseconds)
          .set("online_bound_us", std::max(0.0, e.online_microseconds - row.online_solve_microseconds));
      r.set(e.estimator, std::move(f));
    }
    sizes.push_back(std::move(r));
  }
  json.set("sizes", std::move(sizes));
  Json list = Json::array();
  for (const auto& f : failures)
    list.push_back(Json::object()
                       .set("N", f.size)
                       .set("point", static_cast<long long>(f.point))
                       .set("estimator", f.estimator)
                       .set("error", f.error)
                       .set("bound", f.bound)
                       .set("norm", f.norm));
  json.set("failures", std::move(list));
  json.set("status", default_failures() == 0 ? "ok" : "FAILURE");
  return json;
}

ValidationReport validate_model(const operators::ParametrizedProblem& problem,
                                const ReducedModel& model, BV basis, const std::vector<Mu>& test,
                                solvers::TruthSolver& truth, const ValidationOptions& options) {
  KOLMO_INPUT_CHECK(!test.empty(), "validate: the test sample is empty");
  ValidationReport report;
  report.points = test.size();
  report.default_estimator = model.estimator;
  report.nonaffine_rhs = model.nonaffine_rhs.has_value();
  report.operator_eim = model.operator_eim.has_value();
  if (model.operator_eim) report.operator_eim_error = model.operator_eim->operator_error;
  report.estimators.push_back(model.estimator);
  const bool has_classical = model.residual.gram.size() > 0;
  const bool has_stable = model.residual.orthonormal.size() > 0;
  for (const char* e : {"stable", "classical"})
    if (e != model.estimator && ((e == std::string("stable") && has_stable) ||
                                 (e == std::string("classical") && has_classical)))
      report.estimators.emplace_back(e);

  std::vector<int> sizes = options.sizes;
  if (sizes.empty())
    for (int n = 1; n <= model.max_size(); ++n) sizes.push_back(n);
  for (int n : sizes)
    KOLMO_INPUT_CHECK(n >= 1 && n <= model.max_size(),
                      "validate: basis size " << n << " is outside [1, " << model.max_size() << "]");

  report.rows.resize(sizes.size());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    report.rows[s].size = sizes[s];
    for (const auto& e : report.estimators) {
      EstimatorFigures f;
      f.estimator = e;
      f.effectivity_min = std::numeric_limits<double>::infinity();
      report.rows[s].estimators.push_back(f);
    }
  }

  OnlineEvaluator evaluator(model);
  VecHandle u = problem.create_vector(), error = problem.create_vector(), work = problem.create_vector();
  Mat x = problem.inner_product();
  Progress progress(problem.comm(), "validate", test.size(), options.quiet);
  OnlineResult result;
  for (std::size_t p = 0; p < test.size(); ++p) {
    const auto stats = truth.solve(test[p], u);
    report.truth_seconds += stats.setup_seconds + stats.solve_seconds;
    const double norm = x_norm(x, u, work);
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      auto& row = report.rows[s];
      const int n = sizes[s];
      double err = 0;
      for (std::size_t k = 0; k < report.estimators.size(); ++k) {
        auto& figures = row.estimators[k];
        evaluator.evaluate(test[p], n, figures.estimator, result);
        if (k == 0) {
          KOLMO_PETSC_CALL(VecCopy(u, error));
          KOLMO_PETSC_CALL(BVSetActiveColumns(basis, 0, n));
          KOLMO_PETSC_CALL(BVMultVec(basis, -1.0, 1.0, error, result.coefficients.data()));
          err = x_norm(x, error, work);
          row.max_error = std::max(row.max_error, err);
          row.mean_error += err / static_cast<double>(test.size());
          const double rel = norm > 0 ? err / norm : err;
          row.max_relative_error = std::max(row.max_relative_error, rel);
          row.mean_relative_error += rel / static_cast<double>(test.size());
        }
        if (k == 0) {
          row.max_rhs_error = std::max(row.max_rhs_error, result.rhs_error);
          row.max_relative_rhs_error =
              std::max(row.max_relative_rhs_error, norm > 0 ? result.rhs_error / norm : result.rhs_error);
          row.max_operator_error = std::max(row.max_operator_error, result.operator_error);
          row.max_relative_operator_error =
              std::max(row.max_relative_operator_error,
                       norm > 0 ? result.operator_error / norm : result.operator_error);
        }
        const double bound = result.error_bound;
        figures.max_bound = std::max(figures.max_bound, bound);
        const double relative_bound = norm > 0 ? bound / norm : bound;
        figures.max_relative_bound = std::max(figures.max_relative_bound, relative_bound);
        figures.mean_relative_bound += relative_bound / static_cast<double>(test.size());
        if (err > 0) {
          figures.effectivity_min = std::min(figures.effectivity_min, bound / err);
          figures.effectivity_max = std::max(figures.effectivity_max, bound / err);
        }
        if (!(bound >= err - options.failure_margin * norm)) {
          ++figures.failures;
          report.failures.push_back({n, p, figures.estimator, err, bound, norm});
        }
      }
    }
    progress.advance(1);
  }
  progress.finish();
  report.truth_seconds /= static_cast<double>(test.size());

  // Online timings, per size: the reduced solve alone, then full queries per estimator.
  ReducedSolve solve(model);
  for (auto& row : report.rows) {
    row.online_solve_microseconds = time_per_call(test, options.timing_seconds, [&](const Mu& mu) {
      return solve.solve(mu, row.size);
    });
    for (auto& figures : row.estimators) {
      if (std::isinf(figures.effectivity_min)) figures.effectivity_min = 0;  // no error above zero
      figures.online_microseconds = time_per_call(test, options.timing_seconds, [&](const Mu& mu) {
        evaluator.evaluate(mu, row.size, figures.estimator, result);
        return result.error_bound;
      });
    }
  }
  return report;
}

}  // namespace kolmo::rom

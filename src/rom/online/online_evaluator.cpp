#include "rom/online/online_evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "core/exceptions.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/online/scm_bound.hpp"

namespace kolmo::rom {
namespace {

enum class Estimator { classical, stable };

ParameterSpace space_of(const ReducedModel& model) {
  std::vector<Parameter> parameters;
  for (std::size_t i = 0; i < model.parameter_names.size(); ++i)
    parameters.push_back({model.parameter_names[i], model.parameter_min[i], model.parameter_max[i],
                          model.parameter_scale[i] == "log" ? Scale::log : Scale::linear});
  return ParameterSpace(std::move(parameters));
}

std::vector<ParameterExpression> compile(const std::vector<std::string>& texts,
                                         const std::vector<std::string>& variables) {
  std::vector<ParameterExpression> compiled;
  compiled.reserve(texts.size());
  for (const auto& text : texts) compiled.emplace_back(text, variables);
  return compiled;
}

void evaluate_all(std::vector<ParameterExpression>& expressions, const Mu& mu,
                  std::vector<double>& values) {
  values.resize(expressions.size());
  for (std::size_t q = 0; q < expressions.size(); ++q) values[q] = expressions[q](mu);
}

bool has_data(const ResidualNormData& data, Estimator e) {
  return e == Estimator::classical ? data.gram.size() > 0 : data.orthonormal.size() > 0;
}

/// True iff every entry below the diagonal of `m` is zero: R from Gram-Schmidt or QR in the
/// representers' order is upper trapezoidal, and a triangular product then halves the work.
bool is_upper_trapezoidal(const Eigen::MatrixXd& m) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = j + 1; i < m.rows(); ++i)
      if (m(i, j) != 0.0) return false;
  return m.size() > 0;
}

/// Gather the columns (and, for a square Gram matrix, the rows) of the representers that are
/// active for basis size `size` from the q-major / n-minor ordering at size `max_size`.
Eigen::MatrixXd active_block(const Eigen::MatrixXd& full, Eigen::Index qf, Eigen::Index qa,
                             Eigen::Index max_size, Eigen::Index size, bool rows_too) {
  if (size == max_size) return full;
  std::vector<Eigen::Index> index;
  for (Eigen::Index q = 0; q < qf; ++q) index.push_back(q);
  for (Eigen::Index q = 0; q < qa; ++q)
    for (Eigen::Index n = 0; n < size; ++n) index.push_back(qf + q * max_size + n);
  const auto m = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd block(rows_too ? m : full.rows(), m);
  for (Eigen::Index j = 0; j < m; ++j) {
    if (rows_too) {
      for (Eigen::Index i = 0; i < m; ++i) block(i, j) = full(index[i], index[j]);
    } else {
      block.col(j) = full.col(index[j]);
    }
  }
  return block;
}

}  // namespace

struct OnlineEvaluator::Compiled {
  std::vector<ParameterExpression> lhs, rhs;
  std::vector<std::vector<ParameterExpression>> outputs;
  std::optional<ParameterExpression> t;  // eigen_interval stability bound
  std::optional<ParameterExpression> g;  // the non-affine rhs term's g(coordinates, mu)
  bool upper = false;                    // model.residual.orthonormal is upper trapezoidal

  explicit Compiled(const ReducedModel& model)
      : upper(is_upper_trapezoidal(model.residual.orthonormal)) {
    const auto& names = model.parameter_names;
    lhs = compile(model.lhs.theta, names);
    // With rhs_is_beta the rhs coefficients come from the EIM solve: their (long) expressions
    // are neither compiled nor evaluated.
    if (!(model.nonaffine_rhs && model.nonaffine_rhs->rhs_is_beta))
      rhs = compile(model.rhs.theta, names);
    for (const auto& output : model.outputs) outputs.push_back(compile(output.functional.theta, names));
    if (model.stability.kind == "eigen_interval") t.emplace(model.stability.t_expression, names);
    if (model.nonaffine_rhs) {
      std::vector<std::string> variables = model.nonaffine_rhs->coordinates;
      variables.insert(variables.end(), names.begin(), names.end());
      g.emplace(model.nonaffine_rhs->function, std::move(variables));
    }
  }
};

/// Everything a query writes, sized by N and Q only. The residual matrices restricted to the
/// active representers are cached for the last basis size used.
struct OnlineEvaluator::Workspace {
  std::vector<double> theta_a, theta_f, theta_l;
  Eigen::MatrixXd a;
  Eigen::VectorXd b;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu;
  Eigen::VectorXd c, product;
  int cached_size = -1;
  Eigen::MatrixXd gram, orthonormal;  // restricted to the active representers of cached_size
  std::vector<double> variables;      // coordinates then parameters, for g
  Eigen::VectorXd g_magic, beta, g_indicator;  // g at the magic points, EIM coefficients, g - I_M g
};

OnlineEvaluator::OnlineEvaluator(const ReducedModel& model) {
  check_reduced_model(model, "reduced model");
  model_ = std::make_shared<const ReducedModel>(model);
  space_ = std::make_shared<const ParameterSpace>(space_of(*model_));
  compiled_ = std::make_unique<Compiled>(*model_);
  work_ = std::make_unique<Workspace>();
}

OnlineEvaluator::OnlineEvaluator(const OnlineEvaluator& other)
    : model_(other.model_),
      space_(other.space_),
      compiled_(std::make_unique<Compiled>(*other.model_)),
      work_(std::make_unique<Workspace>()) {}

OnlineEvaluator& OnlineEvaluator::operator=(const OnlineEvaluator& other) {
  if (this != &other) *this = OnlineEvaluator(other);
  return *this;
}

OnlineEvaluator::OnlineEvaluator(OnlineEvaluator&&) noexcept = default;
OnlineEvaluator& OnlineEvaluator::operator=(OnlineEvaluator&&) noexcept = default;
OnlineEvaluator::~OnlineEvaluator() = default;

const ReducedModel& OnlineEvaluator::model() const noexcept { return *model_; }
const ParameterSpace& OnlineEvaluator::parameter_space() const noexcept { return *space_; }
int OnlineEvaluator::max_size() const noexcept { return model_->max_size(); }

namespace {

Estimator parse_estimator(const ReducedModel& model, std::string_view name) {
  const std::string_view chosen = name.empty() ? std::string_view(model.estimator) : name;
  Estimator e;
  if (chosen == "classical") {
    e = Estimator::classical;
  } else if (chosen == "stable") {
    e = Estimator::stable;
  } else {
    throw InputError("estimator '" + std::string(chosen) + "' is neither classical nor stable");
  }
  KOLMO_INPUT_CHECK(has_data(model.residual, e),
                    "the reduced model holds no data for the " << chosen << " estimator (/residual/"
                        << (e == Estimator::classical ? "gram" : "orthonormal") << ")");
  return e;
}

int checked_size(const ReducedModel& model, int size) {
  const int n = model.max_size();
  if (size < 0) return n;
  KOLMO_INPUT_CHECK(size >= 1 && size <= n, "basis size " << size
                                                          << " is out of range: the model has sizes 1 to "
                                                          << n);
  return size;
}

/// ||sum_q theta_q l_q||_X' from the dual-norm data `data` with coefficients `c` (all columns),
/// without temporaries (c is short).
double dual_norm(const ResidualNormData& data, Estimator e, const std::vector<double>& c) {
  const auto q = static_cast<Eigen::Index>(c.size());
  double sum = 0.0;
  if (e == Estimator::classical) {
    for (Eigen::Index i = 0; i < q; ++i)
      for (Eigen::Index j = 0; j < q; ++j)
        sum += c[static_cast<std::size_t>(i)] * data.gram(i, j) * c[static_cast<std::size_t>(j)];
    return std::sqrt(std::max(0.0, sum));
  }
  for (Eigen::Index i = 0; i < data.orthonormal.rows(); ++i) {
    double row = 0.0;
    for (Eigen::Index j = 0; j < q; ++j)
      row += data.orthonormal(i, j) * c[static_cast<std::size_t>(j)];
    sum += row * row;
  }
  return std::sqrt(sum);
}

/// g at every row of `points` (coordinates), with the parameters `mu`, into `values`.
void evaluate_at(ParameterExpression& g, const Eigen::MatrixXd& points, const Mu& mu,
                 std::vector<double>& variables, Eigen::VectorXd& values) {
  const auto d = static_cast<std::size_t>(points.cols());
  variables.resize(d + mu.size());
  std::copy(mu.begin(), mu.end(), variables.begin() + static_cast<std::ptrdiff_t>(d));
  values.resize(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    for (std::size_t k = 0; k < d; ++k) variables[k] = points(i, static_cast<Eigen::Index>(k));
    values(i) = g(variables);
  }
}

}  // namespace

OnlineResult OnlineEvaluator::evaluate(const Mu& mu, int size, const std::string& estimator) {
  OnlineResult result;
  evaluate(mu, size, estimator, result, "mu");
  return result;
}

void OnlineEvaluator::evaluate(const Mu& mu, int size, std::string_view estimator,
                               OnlineResult& result, std::string_view where) {
  const ReducedModel& model = *model_;
  space_->check(mu, where);
  const int n = checked_size(model, size);
  const Estimator e = parse_estimator(model, estimator);
  Workspace& w = *work_;
  Compiled& x = *compiled_;

  evaluate_all(x.lhs, mu, w.theta_a);
  // The EIM coefficients of a non-affine rhs term (reduced_model.hpp, NonaffineRhsTerm), from g
  // at the magic points exactly as the offline EIM computes them.
  if (model.nonaffine_rhs) {
    const NonaffineRhsTerm& term = *model.nonaffine_rhs;
    evaluate_at(*x.g, term.magic_points, mu, w.variables, w.g_magic);
    w.beta = term.interpolation_matrix.triangularView<Eigen::UnitLower>().solve(w.g_magic);
  }
  if (model.nonaffine_rhs && model.nonaffine_rhs->rhs_is_beta) {
    w.theta_f.assign(w.beta.data(), w.beta.data() + w.beta.size());
  } else {
    evaluate_all(x.rhs, mu, w.theta_f);
  }

  // The reduced system, on the leading n x n blocks of the stored terms.
  w.a.resize(n, n);
  w.a.setZero();
  for (std::size_t q = 0; q < w.theta_a.size(); ++q)
    w.a.noalias() += w.theta_a[q] * model.lhs.terms[q].topLeftCorner(n, n);
  w.b.resize(n);
  w.b.setZero();
  for (std::size_t q = 0; q < w.theta_f.size(); ++q)
    w.b.noalias() += w.theta_f[q] * model.rhs.terms[q].head(n);
  w.lu.compute(w.a);
  result.size = n;
  result.coefficients.resize(n);
  result.coefficients.noalias() = w.lu.solve(w.b);
  const auto& u = result.coefficients;

  // Residual dual norm: c = [theta_f; -(theta_a_q u_n)] over the active representers.
  const auto qf = static_cast<Eigen::Index>(w.theta_f.size());
  const auto qa = static_cast<Eigen::Index>(w.theta_a.size());
  const Eigen::Index max_n = model.max_size();
  if (w.cached_size != n) {
    w.gram = model.residual.gram.size() > 0
                 ? active_block(model.residual.gram, qf, qa, max_n, n, true)
                 : Eigen::MatrixXd();
    w.orthonormal = model.residual.orthonormal.size() > 0
                        ? active_block(model.residual.orthonormal, qf, qa, max_n, n, false)
                        : Eigen::MatrixXd();
    w.cached_size = n;
  }
  const Eigen::Index m = qf + qa * n;
  w.c.resize(m);
  for (Eigen::Index q = 0; q < qf; ++q) w.c(q) = w.theta_f[static_cast<std::size_t>(q)];
  for (Eigen::Index q = 0; q < qa; ++q)
    w.c.segment(qf + q * n, n) = -w.theta_a[static_cast<std::size_t>(q)] * u;
  const Eigen::MatrixXd& gram = n == max_n ? model.residual.gram : w.gram;
  const Eigen::MatrixXd& orthonormal = n == max_n ? model.residual.orthonormal : w.orthonormal;
  if (e == Estimator::classical) {
    w.product.resize(m);
    w.product.noalias() = gram.selfadjointView<Eigen::Lower>() * w.c;
    result.residual_dual_norm = std::sqrt(std::max(0.0, w.c.dot(w.product)));
  } else {
    w.product.resize(orthonormal.rows());
    if (n == max_n && x.upper) {
      w.product.noalias() = orthonormal.triangularView<Eigen::Upper>() * w.c;
    } else {
      w.product.noalias() = orthonormal * w.c;
    }
    result.residual_dual_norm = w.product.norm();
  }

  // Stability lower bound (reduced_model.hpp, StabilityBound).
  const StabilityBound& s = model.stability;
  double alpha = 0.0;
  if (s.kind == "min_theta") {
    alpha = std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < w.theta_a.size(); ++q)
      alpha = std::min(alpha, w.theta_a[q] / s.theta_bar[q]);
  } else if (s.kind == "constant") {
    alpha = s.constant;
  } else if (s.kind == "scm") {
    alpha = scm_lower_bound(s.sigma, w.theta_a);
  } else {
    const double t = (*x.t)(mu);
    // The eigenvalues not stored are >= sigma_tail: when t < sigma_tail, |sigma - t| / (sigma + 1)
    // is monotone in sigma from sigma_tail on with limit 1, so its infimum is the smaller of 1 and
    // its value at sigma_tail; otherwise one of them may equal t.
    if (std::isinf(s.sigma_tail)) {
      alpha = std::numeric_limits<double>::infinity();  // every eigenvalue is stored
    } else {
      alpha = t >= s.sigma_tail ? 0.0 : std::min(1.0, (s.sigma_tail - t) / (s.sigma_tail + 1.0));
    }
    for (double sigma : s.sigma) alpha = std::min(alpha, std::abs(sigma - t) / (sigma + 1.0));
  }
  result.stability_lower_bound = alpha;

  // The non-affine rhs term: the EIM residual of g at the indicator points.
  result.rhs_error = 0.0;
  if (model.nonaffine_rhs) {
    const NonaffineRhsTerm& term = *model.nonaffine_rhs;
    evaluate_at(*x.g, term.indicator_points, mu, w.variables, w.g_indicator);
    w.g_indicator.noalias() -= term.indicator_basis * w.beta;
    result.rhs_error = term.dual_norm_factor * w.g_indicator.cwiseAbs().maxCoeff();
  }

  const double inf = std::numeric_limits<double>::infinity();
  const double r = result.residual_dual_norm;
  result.error_bound = alpha > 0 ? (r + result.rhs_error) / alpha : inf;

  // Outputs and their bounds.
  result.outputs.resize(model.outputs.size());
  result.output_bounds.resize(model.outputs.size());
  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    const ReducedOutput& output = model.outputs[k];
    evaluate_all(x.outputs[k], mu, w.theta_l);
    double value = 0.0;
    for (std::size_t q = 0; q < w.theta_l.size(); ++q)
      value += w.theta_l[q] * output.functional.terms[q].head(n).dot(u);
    result.outputs[k] = value;
    if (output.compliant && model.nonaffine_rhs) {
      result.output_bounds[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    if (output.compliant) {
      result.output_bounds[k] = alpha > 0 ? r * r / alpha : inf;
      continue;
    }
    // ||l(mu)||_X' is not small, so either evaluation is accurate: use the other if needed.
    const Estimator le = has_data(output.dual_norm, e)
                             ? e
                             : (e == Estimator::classical ? Estimator::stable : Estimator::classical);
    if (!has_data(output.dual_norm, le)) {
      result.output_bounds[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    result.output_bounds[k] = dual_norm(output.dual_norm, le, w.theta_l) * result.error_bound;
  }
}

int OnlineEvaluator::batch_workers(std::size_t points, int threads) {
  const std::size_t requested = threads > 0 ? static_cast<std::size_t>(threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t useful = std::max<std::size_t>(1, (points + 31) / 32);
  return static_cast<int>(std::min(requested, useful));
}

std::vector<OnlineResult> OnlineEvaluator::evaluate_batch(const std::vector<Mu>& points, int size,
                                                          int threads,
                                                          const std::string& estimator) const {
  for (std::size_t i = 0; i < points.size(); ++i)
    space_->check(points[i], "point " + std::to_string(i));
  checked_size(*model_, size);
  parse_estimator(*model_, estimator);
  std::vector<OnlineResult> results(points.size());
  if (points.empty()) return results;

  const auto workers = static_cast<std::size_t>(batch_workers(points.size(), threads));
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](std::size_t worker) {
    try {
      OnlineEvaluator local(*this);
      // Chunks of consecutive points: few atomic operations, still balanced.
      constexpr std::size_t chunk = 16;
      for (std::size_t begin = next.fetch_add(chunk); begin < points.size();
           begin = next.fetch_add(chunk)) {
        const std::size_t end = std::min(points.size(), begin + chunk);
        for (std::size_t i = begin; i < end; ++i)
          local.evaluate(points[i], size, estimator, results[i], "point");
      }
    } catch (...) {
      errors[worker] = std::current_exception();
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers);
    for (std::size_t t = 0; t < workers; ++t) pool.emplace_back(work, t);
    for (auto& thread : pool) thread.join();
  }
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace kolmo::rom

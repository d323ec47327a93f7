#include "rom/output_surrogate_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "core/exceptions.hpp"
#include "core/sampler.hpp"
#include "tensor/box.hpp"

namespace kolmo::rom {
namespace {

constexpr std::size_t kMaxDims = 6;

double variable(const Parameter& p, double value) {
  return p.scale == Scale::log ? std::log(value) : value;
}

// The parameter value of a tensor variable, clamped to its range: exp(ln(min)) may round just
// outside [min, max], and the reduced model range-checks mu.
double parameter_value(const Parameter& p, double x) {
  const double value = p.scale == Scale::log ? std::exp(x) : x;
  return std::clamp(value, p.min, p.max);
}

void check_space(const ParameterSpace& space) {
  const std::size_t d = space.dimension();
  KOLMO_INPUT_CHECK(d >= 1 && d <= kMaxDims,
                    "surrogate: the model has " << d << " parameters; a Chebyshev-Tucker surrogate "
                                                   "takes 1 to "
                                                << kMaxDims);
  for (const auto& p : space.parameters())
    KOLMO_INPUT_CHECK(p.min < p.max, "surrogate: parameter '" << p.name << "' has an empty range ["
                                                              << p.min << ", " << p.max << "]");
}

}  // namespace

void check_output_surrogate_options(const OutputSurrogateOptions& options) {
  KOLMO_INPUT_CHECK(options.tolerance > 0 && options.tolerance < 1,
                    "surrogate: 'tolerance' must be in (0, 1), got " << options.tolerance);
  KOLMO_INPUT_CHECK(options.max_degree >= 1 && options.max_degree <= 1024,
                    "surrogate: 'max_degree' must be in [1, 1024], got " << options.max_degree);
  KOLMO_INPUT_CHECK(options.max_evaluations >= 1,
                    "surrogate: 'max_evaluations' must be positive, got " << options.max_evaluations);
  KOLMO_INPUT_CHECK(options.check_points >= 1,
                    "surrogate: 'check_points' must be positive, got " << options.check_points);
  KOLMO_INPUT_CHECK(options.size == -1 || options.size >= 1,
                    "surrogate: the basis size must be -1 (all) or positive, got " << options.size);
}

ChebyshevTuckerSurrogate to_surrogate(const std::string& name, const ParameterSpace& space,
                                      const tensor::ChebyshevTucker& tensor,
                                      const SurrogateAccuracy& accuracy) {
  check_space(space);
  const int d = static_cast<int>(space.dimension());
  KOLMO_INPUT_CHECK(tensor.dims() == d, "surrogate of '" << name << "': a tensor of dimension "
                                                         << tensor.dims() << " for " << d
                                                         << " parameters");
  for (int l = 0; l < d; ++l) {
    const Parameter& p = space.parameter(static_cast<std::size_t>(l));
    const double a = variable(p, p.min), b = variable(p, p.max);
    const double slack = 1e-12 * std::max(1.0, b - a);
    KOLMO_INPUT_CHECK(std::abs(tensor.box().lower(l) - a) <= slack &&
                          std::abs(tensor.box().upper(l) - b) <= slack,
                      "surrogate of '" << name << "': the tensor's side " << l << " ["
                                       << tensor.box().lower(l) << ", " << tensor.box().upper(l)
                                       << "] is not the range of '" << p.name << "'");
  }
  const tensor::TuckerTensor& t = tensor.tucker();
  Eigen::VectorXd core = Eigen::Map<const Eigen::VectorXd>(t.core.data(), t.core.size());
  return ChebyshevTuckerSurrogate(name, space, t.factors, std::move(core), accuracy);
}

ChebyshevTuckerSurrogate build_surrogate(const std::string& name, const ParameterSpace& space,
                                         const std::function<double(const Mu&)>& f,
                                         const OutputSurrogateOptions& options,
                                         tensor::ChebyshevTucker* tensor,
                                         OutputSurrogateReport* report) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  check_output_surrogate_options(options);
  check_space(space);
  const std::size_t d = space.dimension();

  std::vector<double> lower, upper;
  for (const auto& p : space.parameters()) {
    lower.push_back(variable(p, p.min));
    upper.push_back(variable(p, p.max));
  }
  const tensor::Box box(lower, upper);
  const tensor::BatchFunction batch = [&](const Eigen::MatrixXd& points, Eigen::VectorXd& values) {
    Mu mu(d);
    for (Eigen::Index j = 0; j < points.cols(); ++j) {
      for (std::size_t l = 0; l < d; ++l)
        mu[l] = parameter_value(space.parameter(l), points(static_cast<Eigen::Index>(l), j));
      values[j] = f(mu);
    }
  };

  tensor::ChebyshevTuckerOptions o;
  o.eps = options.tolerance;
  o.max_points = options.max_degree + 1;
  // 17 starting nodes resolve typical outputs' first probes; above 4 parameters 17^d model
  // evaluations alone would cost minutes, so start at 9 there (the probes grow what needs it).
  o.min_points = std::min<tensor::Index>(d <= 4 ? 17 : 9, o.max_points);
  o.max_total_points = static_cast<tensor::Index>(options.max_evaluations);
  tensor::ChebyshevTuckerReport built;
  tensor::ChebyshevTucker ct = tensor::ChebyshevTucker::from_function(batch, box, o, &built);

  SurrogateAccuracy accuracy;
  accuracy.tolerance = options.tolerance;
  accuracy.evaluations = static_cast<long long>(built.chebyshev.evaluations);
  accuracy.converged = built.chebyshev.converged;
  const ChebyshevTuckerSurrogate unchecked = to_surrogate(name, space, ct, accuracy);

  // The check: the stored form (not the tensor layer's) against f at random points.
  const auto sample = sample_random(space, static_cast<std::size_t>(options.check_points), options.seed);
  double max_error = 0.0, max_value = 0.0;
  for (const Mu& mu : sample) {
    const double value = f(mu);
    max_error = std::max(max_error, std::abs(unchecked.evaluate(mu, "surrogate check") - value));
    max_value = std::max(max_value, std::abs(value));
  }
  accuracy.check_error = max_error;
  accuracy.check_relative_error = max_value > 0.0 ? max_error / max_value : max_error;
  accuracy.check_points = options.check_points;
  ChebyshevTuckerSurrogate surrogate = to_surrogate(name, space, ct, accuracy);

  if (report) {
    report->output = name;
    report->points = surrogate.points();
    report->ranks = surrogate.ranks();
    report->accuracy = accuracy;
    report->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  if (tensor) *tensor = std::move(ct);
  return surrogate;
}

OutputSurrogateBuilder::OutputSurrogateBuilder(const OnlineEvaluator& evaluator,
                                               OutputSurrogateOptions options)
    : evaluator_(evaluator), options_(std::move(options)) {
  check_output_surrogate_options(options_);
  check_space(evaluator_.parameter_space());
  KOLMO_INPUT_CHECK(options_.size <= evaluator_.max_size(),
                    "surrogate: basis size " << options_.size << " above the model's "
                                             << evaluator_.max_size());
}

ChebyshevTuckerSurrogate OutputSurrogateBuilder::build(int output, OutputSurrogateReport* report) {
  const auto& outputs = evaluator_.model().outputs;
  KOLMO_CHECK(output >= 0 && static_cast<std::size_t>(output) < outputs.size(),
              "OutputSurrogateBuilder::build: output " << output << " of " << outputs.size());
  const auto k = static_cast<std::size_t>(output);
  const auto f = [&](const Mu& mu) {
    evaluator_.evaluate(mu, options_.size, "", result_, "surrogate");
    return result_.outputs[k];
  };
  OutputSurrogateReport local;
  OutputSurrogateReport& r = report ? *report : local;
  ChebyshevTuckerSurrogate s =
      build_surrogate(outputs[k].name, evaluator_.parameter_space(), f, options_, nullptr, &r);
  // Record the basis size it approximates (build_surrogate knows nothing of reduced models).
  SurrogateAccuracy accuracy = s.accuracy();
  accuracy.basis_size = options_.size < 0 ? evaluator_.max_size() : options_.size;
  r.accuracy = accuracy;
  std::vector<Eigen::MatrixXd> factors;
  for (int l = 0; l < s.dims(); ++l) factors.push_back(s.factor(l));
  return ChebyshevTuckerSurrogate(s.output_name(), s.parameter_space(), std::move(factors), s.core(),
                                  accuracy);
}

std::vector<ChebyshevTuckerSurrogate> OutputSurrogateBuilder::build_all(
    std::vector<OutputSurrogateReport>* reports) {
  std::vector<ChebyshevTuckerSurrogate> surrogates;
  if (reports) reports->clear();
  for (std::size_t k = 0; k < evaluator_.model().outputs.size(); ++k) {
    OutputSurrogateReport r;
    surrogates.push_back(build(static_cast<int>(k), &r));
    if (reports) reports->push_back(std::move(r));
  }
  return surrogates;
}

}  // namespace kolmo::rom

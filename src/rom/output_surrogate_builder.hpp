#pragma once
/// @file
/// The offline construction of Chebyshev-Tucker surrogates of a reduced model's outputs,
/// mu -> s_N(mu), for models of 1 to 6 parameters: the reduced model is evaluated at the
/// Chebyshev-Lobatto nodes of the parameter box (in ln mu for log-scale parameters, where such
/// maps are smoother), the nodes per parameter chosen from the decay of the coefficients
/// (tensor::ChebyshevInterpolant::interpolate), the coefficient tensor compressed by ST-HOSVD
/// (tensor::ChebyshevTucker), and the result measured against the reduced model at random points.
/// The surrogate then answers a query in about a microsecond (rom/online/chebyshev_tucker_surrogate.hpp)
/// instead of a reduced solve, but without a certified bound: what it carries is the measured max
/// deviation from s_N, which adds to s_N's own error bound.
///
/// Nothing here is collective: every rank that builds gets the same surrogate (the construction
/// is deterministic), and what is written does not depend on the number of ranks.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "rom/online/chebyshev_tucker_surrogate.hpp"
#include "rom/online/online_evaluator.hpp"
#include "tensor/chebyshev_tucker.hpp"

namespace kolmo::rom {

/// How a surrogate is built (the case file's `rom: surrogate:` section).
struct OutputSurrogateOptions {
  /// Relative tolerance (0 < tolerance < 1): of the Tucker truncation of the coefficient tensor
  /// (Frobenius) and, / 20, of the trailing Chebyshev coefficients (relative to the largest).
  double tolerance = 1e-8;
  /// Highest polynomial degree per parameter (nodes = degree + 1; the adaptivity doubles the
  /// nodes 17 -> 33 -> 65, capped here).
  int max_degree = 32;
  /// Cap on the reduced-model evaluations of one full grid (the product of the nodes); the nodes
  /// are halved in the largest dimension until it fits, and the surrogate reports converged =
  /// false.
  long long max_evaluations = 1LL << 22;
  /// Random points (uniform in the scaled coordinates) of the check against the reduced model.
  int check_points = 1000;
  /// Seed of the check sample.
  std::uint64_t seed = 12345;
  /// The basis size N of the reduced model (-1: all).
  int size = -1;
};

/// What building one surrogate did, beyond what the surrogate stores (SurrogateAccuracy).
struct OutputSurrogateReport {
  std::string output;          ///< the output's name
  std::vector<int> points;     ///< Chebyshev nodes per parameter (degree + 1) kept
  std::vector<int> ranks;      ///< Tucker ranks
  double seconds = 0.0;        ///< wall time of the build and the check
  SurrogateAccuracy accuracy;  ///< as stored with the surrogate
};

/// @throws InputError when a value of `options` is out of range (naming the option).
void check_output_surrogate_options(const OutputSurrogateOptions& options);

/// Build the surrogate of the scalar function `f` on the box of `space` (1..6 parameters, each
/// with min < max) and measure it against `f` at options.check_points random points. `f` is
/// called with points inside the box only (the nodes, clamped to the ranges). `tensor`, if given,
/// receives the tensor-layer object the surrogate was made from (its box is in the variables of
/// the surrogate: ln mu for log-scale parameters), `report` what was done; neither is owned.
/// @throws InputError for bad options, a box of more than 6 parameters, or a non-finite value.
ChebyshevTuckerSurrogate build_surrogate(const std::string& name, const ParameterSpace& space,
                                         const std::function<double(const Mu&)>& f,
                                         const OutputSurrogateOptions& options,
                                         tensor::ChebyshevTucker* tensor = nullptr,
                                         OutputSurrogateReport* report = nullptr);

/// The surrogate holding the parts of a tensor-layer Chebyshev-Tucker function of the variables
/// of `space` (box side l = [min_l, max_l], or [ln min_l, ln max_l] for a log-scale parameter).
/// @throws InputError when the boxes differ.
ChebyshevTuckerSurrogate to_surrogate(const std::string& name, const ParameterSpace& space,
                                      const tensor::ChebyshevTucker& tensor,
                                      const SurrogateAccuracy& accuracy);

/// Builds the surrogates of the outputs of a reduced model from its online evaluator.
class OutputSurrogateBuilder {
 public:
  /// Copies `evaluator` (its copies are independent; the original is not used afterwards).
  /// @throws InputError for bad options or a model of more than 6 parameters.
  OutputSurrogateBuilder(const OnlineEvaluator& evaluator, OutputSurrogateOptions options);

  /// The surrogate of output `output` (0 <= output < number of outputs), about
  /// prod(nodes) + options.check_points reduced-model evaluations. Not collective.
  ChebyshevTuckerSurrogate build(int output, OutputSurrogateReport* report = nullptr);
  /// The surrogates of all outputs, in order; `reports` (if given) gets one entry per output.
  std::vector<ChebyshevTuckerSurrogate> build_all(std::vector<OutputSurrogateReport>* reports = nullptr);

  const OutputSurrogateOptions& options() const noexcept { return options_; }

 private:
  OnlineEvaluator evaluator_;
  OutputSurrogateOptions options_;
  OnlineResult result_;
};

}  // namespace kolmo::rom

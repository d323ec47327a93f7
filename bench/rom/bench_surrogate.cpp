// bench_surrogate: the Chebyshev-Tucker surrogate of a reduced model's outputs against the model
// itself. For a model file (from kolmo offline; 1 to 6 parameters) it builds the surrogate of
// every output at each tolerance given, and prints its size (nodes, ranks, stored doubles), the
// build time and model evaluations, the max deviation from s_N at random points, and the time per
// query of the surrogate against the reduced solve + error bound at the same N. Single thread.
//
//   bench_surrogate MODEL.h5 [--size N] [--points P] [--tolerance t1,t2,...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/sampler.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/output_surrogate_builder.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Seconds per call of `body(i)` over the points, repeated for at least 0.2 s.
template <class Body>
double time_per_query(std::size_t points, Body&& body) {
  std::size_t calls = 0;
  const auto start = Clock::now();
  double elapsed = 0.0;
  while (elapsed < 0.2) {
    for (std::size_t i = 0; i < points; ++i) body(i);
    calls += points;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return elapsed / static_cast<double>(calls);
}

std::string join(const std::vector<int>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += 'x';
    text += std::to_string(values[i]);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strncmp(argv[1], "--", 2) == 0) {
    std::fprintf(stderr, "usage: bench_surrogate MODEL.h5 [--size N] [--points P] [--tolerance t1,t2,...]\n");
    return 2;
  }
  const std::string path = argv[1];
  int size = -1;
  std::size_t points = 10000;
  std::vector<double> tolerances = {1e-6, 1e-8, 1e-10};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--size") {
      size = std::atoi(value.c_str());
    } else if (name == "--points") {
      points = static_cast<std::size_t>(std::atol(value.c_str()));
    } else if (name == "--tolerance") {
      tolerances.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) tolerances.push_back(std::atof(item.c_str()));
    } else {
      std::fprintf(stderr, "bench_surrogate: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  try {
    kolmo::rom::OnlineEvaluator evaluator(kolmo::rom::read_reduced_model(path));
    const auto& model = evaluator.model();
    const auto& space = evaluator.parameter_space();
    const int n = size < 0 ? evaluator.max_size() : size;
    std::printf("%s: %s, %zu parameters, N = %d of %d, %zu outputs, estimator %s\n", path.c_str(),
                model.problem_type.c_str(), space.dimension(), n, evaluator.max_size(),
                model.outputs.size(), model.estimator.c_str());

    // The reduced model at independent random points: reference values and the time of a query
    // (reduced solve + residual dual norm + stability bound + outputs and bounds).
    const auto sample = kolmo::sample_random(space, points, 777);
    std::vector<std::vector<double>> reference(sample.size());
    kolmo::rom::OnlineResult result;
    for (std::size_t i = 0; i < sample.size(); ++i) {
      evaluator.evaluate(sample[i], n, "", result);
      reference[i] = result.outputs;
    }
    const double reduced_seconds =
        time_per_query(sample.size(), [&](std::size_t i) { evaluator.evaluate(sample[i], n, "", result); });
    std::printf("reduced model: %.3f us per query (solve + bound, all outputs)\n\n", reduced_seconds * 1e6);

    std::printf("%-14s %9s %-14s %-12s %8s %10s %8s %11s %11s %9s %8s\n", "output", "tolerance",
                "nodes", "ranks", "doubles", "evals", "build s", "max dev", "rel dev", "us/query",
                "speedup");
    for (const double tolerance : tolerances) {
      kolmo::rom::OutputSurrogateOptions options;
      options.tolerance = tolerance;
      options.size = n;
      kolmo::rom::OutputSurrogateBuilder builder(evaluator, options);
      std::vector<kolmo::rom::OutputSurrogateReport> reports;
      const auto surrogates = builder.build_all(&reports);
      for (std::size_t k = 0; k < surrogates.size(); ++k) {
        const auto& s = surrogates[k];
        double deviation = 0.0, scale = 0.0;
        for (std::size_t i = 0; i < sample.size(); ++i) {
          deviation = std::max(deviation, std::abs(s.evaluate(sample[i]) - reference[i][k]));
          scale = std::max(scale, std::abs(reference[i][k]));
        }
        double sink = 0.0;
        const double seconds = time_per_query(sample.size(), [&](std::size_t i) { sink += s.evaluate(sample[i]); });
        std::printf("%-14s %9.1e %-14s %-12s %8lld %10lld %8.2f %11.3e %11.3e %9.3f %7.0fx%s\n",
                    s.output_name().c_str(), tolerance, join(s.points()).c_str(), join(s.ranks()).c_str(),
                    s.storage(), reports[k].accuracy.evaluations, reports[k].seconds, deviation,
                    scale > 0 ? deviation / scale : deviation, seconds * 1e6, reduced_seconds / seconds,
                    std::isfinite(sink) ? (reports[k].accuracy.converged ? "" : " (not converged)") : "");
      }
    }
    std::printf("\nmax dev: max |s_surrogate - s_N| over %zu random points (not those of the build's check);"
                " speedup: reduced query time / surrogate query time (one output)\n",
                sample.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_surrogate: %s\n", e.what());
    return 1;
  }
  return 0;
}

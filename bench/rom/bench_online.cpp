// bench_online: time of one online query (reduced solve + residual dual norm + stability bound +
// outputs and their bounds) against the basis size N and the number of affine terms Q, for both
// residual estimators, and the throughput of batch evaluation on threads. Linked to Kolmo::online
// only. The models are random (sizes are what matters): Q operator terms with theta_q = mu_q, one
// right-hand side term, a compliant and a non-compliant output, min-theta stability bound.
//
//   bench_online [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "rom/online/online_evaluator.hpp"

namespace {

using kolmo::rom::OnlineEvaluator;
using kolmo::rom::OnlineResult;
using kolmo::rom::ReducedModel;
using Clock = std::chrono::steady_clock;

ReducedModel random_model(int n, int q, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  auto random = [&](int rows, int cols) {
    Eigen::MatrixXd m(rows, cols);
    for (int j = 0; j < cols; ++j)
      for (int i = 0; i < rows; ++i) m(i, j) = uniform(rng);
    return m;
  };
  ReducedModel m;
  m.problem_type = "bench";
  for (int i = 0; i < q; ++i) {
    m.parameter_names.push_back("mu" + std::to_string(i + 1));
    m.lhs.theta.push_back(m.parameter_names.back());
    const Eigen::MatrixXd b = random(n, n);
    m.lhs.terms.push_back(b * b.transpose() / n + Eigen::MatrixXd::Identity(n, n));
  }
  m.parameter_min.assign(q, 0.1);
  m.parameter_max.assign(q, 1.0);
  m.parameter_scale.assign(q, "linear");
  m.rhs.theta = {"1"};
  m.rhs.terms = {random(n, 1)};
  kolmo::rom::ReducedOutput compliance;
  compliance.name = "compliance";
  compliance.compliant = true;
  compliance.functional = m.rhs;
  kolmo::rom::ReducedOutput mean;
  mean.name = "mean";
  mean.functional.theta = {"1"};
  mean.functional.terms = {random(n, 1)};
  mean.dual_norm.gram = Eigen::MatrixXd::Identity(1, 1);
  mean.dual_norm.orthonormal = Eigen::MatrixXd::Identity(1, 1);
  m.outputs = {compliance, mean};
  m.stability.kind = "min_theta";
  m.stability.theta_bar.assign(q, 1.0);
  const int representers = 1 + q * n;
  const Eigen::MatrixXd w = random(representers + 4, representers);
  m.residual.gram = w.transpose() * w;
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(w);
  m.residual.orthonormal = qr.matrixQR().topRows(representers).triangularView<Eigen::Upper>();
  m.method = "pod";
  return m;
}

std::vector<kolmo::Mu> random_points(int q, int count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.1, 1.0);
  std::vector<kolmo::Mu> points(count, kolmo::Mu(q));
  for (auto& mu : points)
    for (auto& value : mu) value = uniform(rng);
  return points;
}

/// CPU time of the calling thread in seconds (the machine may be shared: wall time then
/// includes the time other processes had the core).
double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Timing {
  double wall_us = 0, cpu_us = 0;
};

/// Microseconds per query of evaluate() reusing one result: the run of 5 with the least CPU time
/// (and its wall time).
Timing time_query(OnlineEvaluator& evaluator, const std::vector<kolmo::Mu>& points,
                  const char* estimator, int queries) {
  OnlineResult result;
  for (int i = 0; i < 200; ++i)
    evaluator.evaluate(points[i % points.size()], -1, estimator, result);
  Timing best{0, 1e300};
  for (int run = 0; run < 5; ++run) {
    const auto start = Clock::now();
    const double cpu = thread_seconds();
    for (int i = 0; i < queries; ++i)
      evaluator.evaluate(points[i % points.size()], -1, estimator, result);
    const double cpu_us = (thread_seconds() - cpu) * 1e6 / queries;
    if (cpu_us < best.cpu_us)
      best = {std::chrono::duration<double, std::micro>(Clock::now() - start).count() / queries,
              cpu_us};
  }
  return best;
}

/// Microseconds per query as an application making isolated queries sees it: evaluate(mu)
/// returning a new result, each query after `evict` bytes were streamed through (0: warm cache;
/// else the model's data comes from memory, as for a query every so often). The median of
/// `queries` single-query CPU times.
double time_isolated(OnlineEvaluator& evaluator, const std::vector<kolmo::Mu>& points,
                     std::size_t evict, int queries) {
  std::vector<double> buffer(evict / sizeof(double), 1.0);
  std::vector<double> times;
  volatile double sink = 0.0;
  for (int i = 0; i < queries; ++i) {
    double sum = 0.0;
    for (std::size_t k = 0; k < buffer.size(); k += 8) sum += buffer[k]++;
    sink = sink + sum;
    const double cpu = thread_seconds();
    const OnlineResult result = evaluator.evaluate(points[i % points.size()], -1, "stable");
    times.push_back((thread_seconds() - cpu) * 1e6);
    sink = sink + result.error_bound;
  }
  std::nth_element(times.begin(), times.begin() + queries / 2, times.end());
  return times[static_cast<std::size_t>(queries / 2)];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int queries = quick ? 500 : 5000;
  std::printf("online query time in microseconds, single thread: CPU time (wall time), the best "
              "of 5 runs of %d queries\n",
              queries);
  std::printf("%4s %4s %6s %20s %20s\n", "N", "Q", "M", "classical", "stable");
  std::vector<int> sizes{10, 20, 40, 50};
  std::vector<int> terms{4, 6, 8, 9, 10};
  if (quick) sizes = {10, 40}, terms = {4, 10};
  for (int n : sizes) {
    for (int q : terms) {
      OnlineEvaluator evaluator(random_model(n, q, 1000u * n + q));
      const auto points = random_points(q, 1000, 7);
      const Timing classical = time_query(evaluator, points, "classical", queries);
      const Timing stable = time_query(evaluator, points, "stable", queries);
      std::printf("%4d %4d %6d %9.2f (%8.2f) %9.2f (%8.2f)\n", n, q, 1 + q * n, classical.cpu_us,
                  classical.wall_us, stable.cpu_us, stable.wall_us);
    }
  }

  {
    const int n = 50, q = 9;
    OnlineEvaluator evaluator(random_model(n, q, 1000u * n + q));
    const auto points = random_points(q, 1000, 7);
    const int isolated = quick ? 200 : 2000;
    std::printf("\nisolated queries N = %d, Q = %d, stable, evaluate(mu) returning a new result: "
                "median CPU time in microseconds\n",
                n, q);
    std::printf("  warm cache %8.2f\n", time_isolated(evaluator, points, 0, isolated));
    std::printf("  cold cache %8.2f (64 MB streamed through before each query)\n",
                time_isolated(evaluator, points, std::size_t{64} << 20, isolated / 4));
  }

  std::printf("\nbatch throughput (evaluate_batch, stable estimator; wall time)\n");
  std::printf("%4s %4s %8s %8s %14s %10s\n", "N", "Q", "points", "threads", "queries/s", "us/query");
  for (int n : {20, 50}) {
    const int q = 9;
    OnlineEvaluator evaluator(random_model(n, q, 99u + n));
    const auto points = random_points(q, quick ? 2000 : 50000, 8);
    for (int threads : {1, 2}) {
      evaluator.evaluate_batch({points[0]}, -1, 1);
      const auto start = Clock::now();
      const auto results = evaluator.evaluate_batch(points, -1, threads, "stable");
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("%4d %4d %8zu %8d %14.0f %10.2f\n", n, q, results.size(), threads,
                  static_cast<double>(results.size()) / seconds, seconds * 1e6 / results.size());
    }
  }
  return 0;
}

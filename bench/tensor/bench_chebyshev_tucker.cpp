// Benchmark of the Chebyshev-Tucker format (issue 5) on f(x) = erf(|x|)/|x| (2/sqrt(pi) at 0) on
// [-10, 10]^3, against the grid route (ST-HOSVD of f sampled on an n^3 grid).
//
//   bench_chebyshev_tucker [--grid N] [--points P] [--repeat K] [--no-baseline]
//   mpirun -n 2 bench_chebyshev_tucker      (the grid baseline runs distributed)
//
// Prints, per eps in {1e-6, 1e-8, 1e-10}: Tucker ranks, Chebyshev nodes, build time (one core;
// min and median of K builds), the max relative error at P random off-grid points, measured as
// max_p |f(x_p) - f_approx(x_p)| / max_p |f(x_p)|, the time to expand to the factors of a 4096^3
// grid; the same for the build from the CP form (a 40-term Gauss-Legendre sum of Gaussians);
// then the grid baseline (sampling time, ST-HOSVD time and ranks per eps), and the expansion
// time against the grid size n. Targets (issue 5): ranks <= 9, 11, 13; error <= 2 eps; build
// < 0.5 s; expansion < 50 ms.
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/environment.hpp"
#include "core/mpi.hpp"
#include "tensor/chebyshev_tucker.hpp"
#include "tensor/distributed_tensor.hpp"

using namespace kolmo::tensor;

namespace {

const double two_over_sqrt_pi = 2.0 / std::sqrt(std::numbers::pi);

void erf_over_r(const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
  for (Index j = 0; j < p.cols(); ++j) {
    const double r = p.col(j).norm();
    v[j] = r == 0.0 ? two_over_sqrt_pi : std::erf(r) / r;
  }
}

// erf(r)/r = 2/sqrt(pi) int_0^1 exp(-t^2 r^2) dt, Gauss-Legendre with k nodes: a CP function.
CpFunction erf_over_r_cp(int k) {
  Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(k, k);
  for (int i = 1; i < k; ++i) jacobi(i, i - 1) = jacobi(i - 1, i) = i / std::sqrt(4.0 * i * i - 1.0);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(jacobi);
  const Eigen::VectorXd t = (eig.eigenvalues().array() + 1.0) / 2.0;
  CpFunction f;
  f.dims = 3;
  f.weights = two_over_sqrt_pi * eig.eigenvectors().row(0).transpose().array().square();
  f.factors = [t](int, const Eigen::VectorXd& x, Eigen::MatrixXd& values) {
    for (Index nu = 0; nu < t.size(); ++nu) values.col(nu) = (-t[nu] * t[nu] * x.array().square()).exp().matrix();
  };
  return f;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double min = 0, median = 0;
};

template <class F>
Timing time_it(int repeat, F&& f) {
  std::vector<double> t;
  for (int k = 0; k < repeat; ++k) {
    const double t0 = now();
    f();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

std::string ranks_text(const Dims& r) {
  std::string s;
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (k) s += ',';
    s += std::to_string(r[k]);
  }
  return s;
}

const char* yes(bool ok) { return ok ? "yes" : "NO"; }

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment environment;
  const MPI_Comm comm = MPI_COMM_WORLD;
  const bool root = kolmo::comm_rank(comm) == 0;
  Index grid_n = 512, npoints = 10000;
  int repeat = 5;
  bool baseline = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--grid" && i + 1 < argc) grid_n = std::stol(argv[++i]);
    else if (a == "--points" && i + 1 < argc) npoints = std::stol(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::stoi(argv[++i]));
    else if (a == "--no-baseline") baseline = false;
    else {
      if (root) std::fprintf(stderr, "usage: %s [--grid N] [--points P] [--repeat K] [--no-baseline]\n", argv[0]);
      return 2;
    }
  }
  const Box box = Box::cube(3, -10.0, 10.0);
  const BatchFunction f = erf_over_r;
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(-10.0, 10.0);
  Eigen::MatrixXd points(3, npoints);
  for (Index k = 0; k < points.size(); ++k) points.data()[k] = u(rng);
  Eigen::VectorXd exact(npoints);
  f(points, exact);
  const double fmax = exact.cwiseAbs().maxCoeff();
  const std::vector<double> eps_list{1e-6, 1e-8, 1e-10};
  const std::vector<Index> rank_target{9, 11, 13};
  const std::vector<Eigen::VectorXd> grid4096(3, uniform_points(4096, -10.0, 10.0));
  const CpFunction cp = erf_over_r_cp(40);

  if (root) {
    std::printf("Chebyshev-Tucker of erf(|x|)/|x| on [-10,10]^3 (one core; times min/median of %d)\n", repeat);
    std::printf("error = max_p |f - f_approx| / max_p |f| over %ld random off-grid points (max_p |f| = %.6f)\n\n",
                static_cast<long>(npoints), fmax);
    std::printf("%-7s %-9s %-9s %-8s %-7s %-19s %-10s %-14s | %-9s %-15s %-10s\n", "eps", "ranks", "nodes",
                "sampled", "kernel", "build s (min/med)", "max err", "expand 4096 ms", "CP ranks",
                "CP build s", "CP err");
  }
  std::vector<ChebyshevTucker> built;
  for (std::size_t k = 0; k < eps_list.size(); ++k) {
    ChebyshevTuckerOptions options;
    options.eps = eps_list[k];
    ChebyshevTuckerReport report;
    ChebyshevTucker ct = ChebyshevTucker::from_function(f, box, options, &report);  // warm-up
    const Timing build = time_it(repeat, [&] { ct = ChebyshevTucker::from_function(f, box, options, &report); });
    const double err = (ct.evaluate(points) - exact).cwiseAbs().maxCoeff() / fmax;
    std::vector<Eigen::MatrixXd> factors;
    const Timing expand = time_it(std::max(repeat, 5), [&] { factors = ct.grid_factors(grid4096); });
    ChebyshevTucker cc = ChebyshevTucker::from_cp(cp, box, options);
    const Timing cp_build = time_it(repeat, [&] { cc = ChebyshevTucker::from_cp(cp, box, options); });
    const double cp_err = (cc.evaluate(points) - exact).cwiseAbs().maxCoeff() / fmax;
    if (root) {
      char b[64], e[64];
      std::snprintf(b, sizeof b, "%.3f/%.3f", build.min, build.median);
      std::snprintf(e, sizeof e, "%.2f/%.2f", 1e3 * expand.min, 1e3 * expand.median);
      std::printf("%-7.0e %-9s %-9s %-8ld %-7s %-19s %-10.2e %-14s | %-9s %-15.4f %-10.2e\n", eps_list[k],
                  ranks_text(ct.ranks()).c_str(), ranks_text(ct.points()).c_str(),
                  static_cast<long>(report.chebyshev.sampled_points[0]), to_string(report.hosvd.kernel), b, err,
                  e, ranks_text(cc.ranks()).c_str(), cp_build.min, cp_err);
      const Dims ranks = ct.ranks();
      const Index max_rank = *std::max_element(ranks.begin(), ranks.end());
      std::printf("        targets: ranks <= %ld %s, error <= 2 eps %s, build < 0.5 s %s, expansion < 50 ms %s"
                  " (function evaluations %ld, storage %ld doubles)\n",
                  static_cast<long>(rank_target[k]), yes(max_rank <= rank_target[k]), yes(err <= 2 * eps_list[k]),
                  yes(build.median < 0.5), yes(expand.median < 0.05),
                  static_cast<long>(report.chebyshev.evaluations), static_cast<long>(ct.storage()));
    }
    built.push_back(std::move(ct));
  }

  if (root) {
    std::printf("\nexpansion to the factors of an n^3 grid (eps = 1e-8), ms (min/median):\n");
    for (Index n : {Index(256), Index(1024), Index(4096), Index(16384), Index(65536)}) {
      const std::vector<Eigen::VectorXd> g(3, uniform_points(n, -10.0, 10.0));
      const Timing t = time_it(5, [&] { (void)built[1].grid_factors(g); });
      std::printf("  n = %6ld: %8.2f / %8.2f\n", static_cast<long>(n), 1e3 * t.min, 1e3 * t.median);
    }
  }

  if (baseline) {
    const int size = kolmo::comm_size(comm);
    if (root)
      std::printf("\ngrid baseline: ST-HOSVD of f sampled on a %ld^3 grid (%d rank%s, tensor %.2f GB)\n",
                  static_cast<long>(grid_n), size, size > 1 ? "s" : "",
                  8.0 * static_cast<double>(grid_n * grid_n * grid_n) / 1e9);
    const std::vector<Eigen::VectorXd> grid(3, uniform_points(grid_n, -10.0, 10.0));
    MPI_Barrier(comm);
    double t0 = now();
    const DistributedTensor x = DistributedTensor::sample(comm, f, grid);
    MPI_Barrier(comm);
    const double sample_time = now() - t0;
    // Error at random grid entries (the grid route only knows the grid).
    std::mt19937_64 irng(777);
    std::uniform_int_distribution<Index> pick(0, grid_n - 1);
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> idx(3, npoints);
    Eigen::MatrixXd at(3, npoints);
    for (Index j = 0; j < npoints; ++j)
      for (int l = 0; l < 3; ++l) {
        idx(l, j) = pick(irng);
        at(l, j) = grid[static_cast<std::size_t>(l)][idx(l, j)];
      }
    Eigen::VectorXd grid_exact(npoints);
    f(at, grid_exact);
    if (root)
      std::printf("  sampling %.2f s\n  %-7s %-10s %-7s %-12s %-16s | %-10s %-12s %-8s\n", sample_time, "eps",
                  "ranks", "kernel", "ST-HOSVD s", "max err (grid)", "CT ranks", "CT build s", "speed-up");
    for (std::size_t k = 0; k < eps_list.size(); ++k) {
      TuckerOptions options;
      options.eps = eps_list[k];
      HosvdReport report;
      MPI_Barrier(comm);
      t0 = now();
      const TuckerTensor t = st_hosvd(x, options, &report);
      MPI_Barrier(comm);
      const double seconds = now() - t0;
      const double err = (t.entries(idx) - grid_exact).cwiseAbs().maxCoeff() / grid_exact.cwiseAbs().maxCoeff();
      ChebyshevTuckerOptions copt;
      copt.eps = eps_list[k];
      const Timing ct = time_it(repeat, [&] { (void)ChebyshevTucker::from_function(f, box, copt); });
      if (root)
        std::printf("  %-7.0e %-10s %-7s %-12.2f %-16.2e | %-10s %-12.3f %-8.0f\n", eps_list[k],
                    ranks_text(t.ranks()).c_str(), to_string(report.kernel), seconds, err,
                    ranks_text(built[k].ranks()).c_str(), ct.median, (seconds + sample_time) / ct.median);
    }
    if (root)
      std::printf("  (speed-up = (sampling + ST-HOSVD) / Chebyshev-Tucker build, both from function values)\n");
  }
  return 0;
}

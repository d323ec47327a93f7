// Benchmark of the range-separated Newton potential (issue 5): N random +-1 charges in [-8, 8]^3,
// long range (Gaussians wider than the split width) in Chebyshev-Tucker form on [-10, 10]^3.
//
//   bench_range_separated [--eps E] [--split S] [--points P] [--grid-n N] [--optimal-n N]
//                         [--sizes 100,1000] [--no-grid-route] [--no-scaling]
//                         [--kernel sinc|compressed]   (the Gaussian sum for 1/r; default compressed)
//   mpirun -n 2 bench_range_separated     (the full-grid expansion at the end runs in slabs)
//
// (b) Per N: the Chebyshev-Tucker build from the CP form (1-D Chebyshev coefficients of every
//     shifted Gaussian, RHOSVD, core recompression), its ranks, the errors against direct
//     summation at P random points (long range vs the direct sum of the long-range kernel; whole
//     potential and field vs sum q/r), the grid route (the same RHOSVD on the factors of an
//     n^3 grid, n = 1024) and the grid-optimal ranks (ST-HOSVD of the full grid tensor at the
//     largest n where it is affordable).
// (c) Scaling: build time against m (fixed Chebyshev nodes) and N; expansion time against n;
//     the full-grid expansion against the number of MPI ranks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/environment.hpp"
#include "core/mpi.hpp"
#include "tensor/distributed_tensor.hpp"
#include "tensor/range_separated_potential.hpp"

using namespace kolmo::tensor;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double min_time(int repeat, F&& f) {
  double best = 1e300;
  for (int k = 0; k < repeat; ++k) {
    const double t0 = now();
    f();
    best = std::min(best, now() - t0);
  }
  return best;
}

ParticleSet random_charges(Index n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-8.0, 8.0);
  ParticleSet p;
  p.positions.resize(3, n);
  p.charges.resize(n);
  for (Index i = 0; i < n; ++i) {
    for (Index l = 0; l < 3; ++l) p.positions(l, i) = u(rng);
    p.charges[i] = (rng() % 2) ? 1.0 : -1.0;
  }
  return p;
}

std::string ranks_text(const Dims& r) {
  std::string s;
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (k) s += ',';
    s += std::to_string(r[k]);
  }
  return s;
}

double max_rel(const Eigen::MatrixXd& exact, const Eigen::MatrixXd& approx) {
  return (exact - approx).cwiseAbs().maxCoeff() / exact.cwiseAbs().maxCoeff();
}

// The CP tensor of the long-range potential on a uniform n^3 grid of the box (the grid route's
// input: n x R factors).
CpTensor grid_cp(const CpFunction& f, const Box& box, Index n) {
  CpTensor t;
  t.weights = f.weights;
  for (int l = 0; l < 3; ++l) {
    const Eigen::VectorXd x = uniform_points(n, box.lower(l), box.upper(l));
    Eigen::MatrixXd v(n, f.terms());
    f.factors(l, x, v);
    t.factors.push_back(std::move(v));
  }
  return t;
}

std::vector<Index> parse_list(const std::string& text) {
  std::vector<Index> v;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) v.push_back(std::stol(item));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment environment;
  const MPI_Comm comm = MPI_COMM_WORLD;
  const bool root = kolmo::comm_rank(comm) == 0;
  double eps = 1e-6, split = 1.0;
  Index npoints = 10000, grid_n = 1024, optimal_n = 128;
  std::vector<Index> sizes{100, 1000};
  bool grid_route = true, scaling = true;
  GaussianSumMethod kernel_method = GaussianSumMethod::compressed;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--eps" && i + 1 < argc) eps = std::stod(argv[++i]);
    else if (a == "--split" && i + 1 < argc) split = std::stod(argv[++i]);
    else if (a == "--points" && i + 1 < argc) npoints = std::stol(argv[++i]);
    else if (a == "--grid-n" && i + 1 < argc) grid_n = std::stol(argv[++i]);
    else if (a == "--optimal-n" && i + 1 < argc) optimal_n = std::stol(argv[++i]);
    else if (a == "--sizes" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--no-grid-route") grid_route = false;
    else if (a == "--kernel" && i + 1 < argc) {
      const std::string k = argv[++i];
      kernel_method = k == "sinc" ? GaussianSumMethod::sinc : GaussianSumMethod::compressed;
    }
    else if (a == "--no-scaling") scaling = false;
    else {
      if (root)
        std::fprintf(stderr, "usage: %s [--eps E] [--split S] [--points P] [--grid-n N] [--optimal-n N] "
                             "[--sizes 100,1000] [--no-grid-route] [--no-scaling] [--kernel sinc|compressed]\n", argv[0]);
      return 2;
    }
  }
  const Box box = Box::cube(3, -10.0, 10.0);
  RangeSeparatedOptions options;
  options.eps = eps;
  options.split_width = split;
  options.box = box;
  options.kernel_method = kernel_method;
  std::mt19937_64 prng(4242);
  std::uniform_real_distribution<double> u(-10.0, 10.0);
  Eigen::MatrixXd points(3, npoints);
  for (Index k = 0; k < points.size(); ++k) points.data()[k] = u(prng);

  if (root) {
    const RangeSeparatedPotential probe(random_charges(2, 1), options);
    std::printf("Range-separated Newton potential, N random +-1 charges in [-8,8]^3, box [-10,10]^3, "
                "eps %.0e, split width %g (one core)\n", eps, split);
    std::printf("kernel (%s): %ld Gaussians on [%.3g, %.3g] (%ld short range, %ld long range), short-range cutoff %.3f\n\n",
                to_string(kernel_method), static_cast<long>(probe.kernel().terms()), 1e-3 * std::sqrt(3.0) * 20.0, std::sqrt(3.0) * 20.0,
                static_cast<long>(probe.short_range_kernel().terms()),
                static_cast<long>(probe.long_range_kernel().terms()), probe.cutoff());
    std::printf("(b) %-6s %-9s %-10s %-9s %-10s %-10s %-10s %-10s | %-10s %-9s %-8s | %-12s %-9s\n", "N", "CP rank",
                "CT ranks", "nodes", "build s", "err long", "err phi", "err E", "grid s", "grid rk",
                "speedup", "optimal rk", "(n)");
  }
  for (const Index n : sizes) {
    if (!root) break;
    const ParticleSet particles = random_charges(n, static_cast<unsigned>(n));
    RangeSeparatedReport report;
    RangeSeparatedPotential pot(particles, options, &report);
    const double build = min_time(2, [&] { pot = RangeSeparatedPotential(particles, options, &report); });
    const Eigen::VectorXd exact_long = direct_potential(particles, points, &pot.long_range_kernel());
    const double err_long = max_rel(exact_long, pot.long_range_potential(points));
    const double err_phi = max_rel(direct_potential(particles, points), pot.potential(points));
    const double err_e = max_rel(direct_field(particles, points), pot.field(points));
    const CpFunction cp = particle_cp_function(particles, pot.long_range_kernel());
    double grid_time = 0.0;
    Dims grid_ranks{0, 0, 0};
    if (grid_route) {
      TuckerOptions t;
      t.eps = eps;
      grid_time = min_time(1, [&] { grid_ranks = rhosvd(grid_cp(cp, box, grid_n), t).ranks(); });
    }
    // Grid-optimal: ST-HOSVD (QR kernel) of the full grid tensor at optimal_n^3.
    TuckerOptions t;
    t.eps = eps;
    t.kernel = SvdKernel::qr;
    const Dims optimal = st_hosvd(grid_cp(cp, box, optimal_n).full(), t).ranks();
    std::printf("    %-6ld %-9ld %-10s %-9s %-10.3f %-10.2e %-10.2e %-10.2e | %-10.2f %-9s %-8.1f | %-12s %-9ld\n",
                static_cast<long>(n), static_cast<long>(cp.terms()), ranks_text(pot.long_range().ranks()).c_str(),
                ranks_text(pot.long_range().points()).c_str(), build, err_long, err_phi, err_e, grid_time,
                ranks_text(grid_ranks).c_str(), grid_route ? grid_time / build : 0.0, ranks_text(optimal).c_str(),
                static_cast<long>(optimal_n));
    std::fflush(stdout);
  }
  if (root)
    std::printf("    err long = max |phi_long - direct sum of the long-range kernel| / max |.|; err phi, err E: the\n"
                "    whole potential / field (long + short range) against sum q/r at %ld random points;\n"
                "    grid s = the grid route (RHOSVD of the n^3 grid's CP factors, n = %ld), speedup = grid s / build s.\n\n",
                static_cast<long>(npoints), static_cast<long>(grid_n));

  if (scaling && root) {
    const ParticleSet p1000 = random_charges(1000, 1000);
    std::printf("(c1) build time against the Chebyshev nodes m (N = 1000, fixed m, from CP):\n");
    std::printf("     %-6s %-10s %-10s %-10s\n", "m", "build s", "ranks", "err long");
    const RangeSeparatedPotential ref(p1000, options);
    const Eigen::VectorXd exact = direct_potential(p1000, points, &ref.long_range_kernel());
    const CpFunction cp = particle_cp_function(p1000, ref.long_range_kernel());
    for (const Index m : {Index(33), Index(49), Index(65), Index(97), Index(129)}) {
      ChebyshevTuckerOptions copt;
      copt.eps = eps;
      copt.points = {m};
      ChebyshevTucker ct;
      const double t = min_time(1, [&] { ct = ChebyshevTucker::from_cp(cp, box, copt); });
      std::printf("     %-6ld %-10.3f %-10s %-10.2e\n", static_cast<long>(m), t, ranks_text(ct.ranks()).c_str(),
                  max_rel(exact, ct.evaluate(points)));
    }
    std::printf("\n(c2) build time against N (adaptive m):\n     %-6s %-10s %-10s %-9s %-10s\n", "N", "build s",
                "ranks", "nodes", "s / particle");
    for (const Index n : {Index(30), Index(100), Index(300), Index(1000), Index(3000)}) {
      const ParticleSet p = random_charges(n, static_cast<unsigned>(n) + 7);
      RangeSeparatedPotential pot(p, options);
      const double t = min_time(1, [&] { pot = RangeSeparatedPotential(p, options); });
      std::printf("     %-6ld %-10.3f %-10s %-9s %-10.2e\n", static_cast<long>(n), t,
                  ranks_text(pot.long_range().ranks()).c_str(), ranks_text(pot.long_range().points()).c_str(),
                  t / static_cast<double>(n));
      std::fflush(stdout);
    }
    std::printf("\n(c3) expansion of the long range (N = 1000) to an n^3 grid: factors only, and the full tensor\n");
    std::printf("     %-7s %-14s %-14s\n", "n", "factors ms", "full grid s");
    for (const Index n : {Index(64), Index(128), Index(256), Index(1024), Index(4096), Index(16384)}) {
      const std::vector<Eigen::VectorXd> g(3, uniform_points(n, -10.0, 10.0));
      TuckerTensor t;
      const double tf = min_time(3, [&] { t = ref.long_range_on_grid(g); });
      double tfull = -1.0;
      if (n <= 256) tfull = min_time(1, [&] { (void)t.full(); });
      if (tfull >= 0)
        std::printf("     %-7ld %-14.3f %-14.3f\n", static_cast<long>(n), 1e3 * tf, tfull);
      else
        std::printf("     %-7ld %-14.3f %-14s\n", static_cast<long>(n), 1e3 * tf, "-");
    }
    std::fflush(stdout);
  }

  // (c4) The full grid in slabs of the last dimension, one per MPI rank (what `kolmo tensor` does).
  {
    const ParticleSet p = random_charges(1000, 1000);
    const RangeSeparatedPotential pot(p, options);
    const Index n = 384;
    const std::vector<Eigen::VectorXd> g(3, uniform_points(n, -10.0, 10.0));
    const TuckerTensor t = pot.long_range_on_grid(g);
    const int size = kolmo::comm_size(comm);
    const auto [begin, count] = DistributedTensor::partition(n, size, kolmo::comm_rank(comm));
    MPI_Barrier(comm);
    const double t0 = now();
    TuckerTensor slab = t;
    slab.factors.back() = Eigen::MatrixXd(t.factors.back().middleRows(begin, count));
    const double local_sum = count > 0 ? slab.full().vector().sum() : 0.0;
    double sum = 0.0;
    MPI_Reduce(&local_sum, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
    MPI_Barrier(comm);
    const double seconds = now() - t0;
    if (root)
      std::printf("\n(c4) full %ld^3 grid of the long range (N = 1000), slabs on %d MPI rank%s: %.3f s (checksum %.6e)\n",
                  static_cast<long>(n), size, size > 1 ? "s" : "", seconds, sum);
  }
  return 0;
}

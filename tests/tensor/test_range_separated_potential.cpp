#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "tensor/range_separated_potential.hpp"

using namespace kolmo::tensor;

namespace {

ParticleSet random_charges(Index n, double half_width, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-half_width, half_width);
  ParticleSet p;
  p.positions.resize(3, n);
  p.charges.resize(n);
  for (Index i = 0; i < n; ++i) {
    for (Index l = 0; l < 3; ++l) p.positions(l, i) = u(rng);
    p.charges[i] = (rng() % 2) ? 1.0 : -1.0;
  }
  return p;
}

Eigen::MatrixXd random_points(const Box& box, Index count, unsigned seed) {
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd x(3, count);
  for (Index j = 0; j < count; ++j)
    for (int l = 0; l < 3; ++l)
      x(l, j) = std::uniform_real_distribution<double>(box.lower(l), box.upper(l))(rng);
  return x;
}

// Points at least `gap` away from every particle (where 1/r is within the kernel's range).
Eigen::MatrixXd away_from(const ParticleSet& p, const Eigen::MatrixXd& x, double gap) {
  std::vector<Index> keep;
  for (Index j = 0; j < x.cols(); ++j)
    if ((p.positions.colwise() - x.col(j)).colwise().norm().minCoeff() >= gap) keep.push_back(j);
  Eigen::MatrixXd y(3, static_cast<Index>(keep.size()));
  for (std::size_t k = 0; k < keep.size(); ++k) y.col(static_cast<Index>(k)) = x.col(keep[k]);
  return y;
}

double max_rel(const Eigen::MatrixXd& exact, const Eigen::MatrixXd& approx) {
  return (exact - approx).cwiseAbs().maxCoeff() / exact.cwiseAbs().maxCoeff();
}

Index max_rank(const ChebyshevTucker& t) {
  const Dims r = t.ranks();
  return *std::max_element(r.begin(), r.end());
}

}  // namespace

TEST_CASE("the long-range potential of a few charges matches direct summation", "[tensor][particles]") {
  ParticleSet p = random_charges(6, 3.0, 42);
  p.charges[2] = 2.5;  // not only unit charges
  RangeSeparatedOptions options;
  options.eps = 1e-7;
  options.split_width = 0.8;
  options.box = Box::cube(3, -5.0, 5.0);
  RangeSeparatedReport report;
  const RangeSeparatedPotential pot(p, options, &report);
  REQUIRE(pot.long_range_kernel().terms() > 0);
  REQUIRE(pot.short_range_kernel().terms() > 0);
  CHECK(pot.box() == options.box);

  const Eigen::MatrixXd x = random_points(pot.box(), 3000, 5);
  // Long range against the direct sum of the same (long-range) kernel: the tensor's error.
  const Eigen::VectorXd long_exact = direct_potential(p, x, &pot.long_range_kernel());
  CHECK(max_rel(long_exact, pot.long_range_potential(x)) <= 5 * options.eps);
  const Eigen::MatrixXd long_field = direct_field(p, x, &pot.long_range_kernel());
  CHECK(max_rel(long_field, pot.long_range_field(x)) <= 50 * options.eps);
  // The short range from cell lists equals its direct sum (nothing beyond the cutoff matters).
  const Eigen::VectorXd short_exact = direct_potential(p, x, &pot.short_range_kernel());
  CHECK((short_exact - pot.short_range_potential(x)).cwiseAbs().maxCoeff() <= 1e-7 / options.split_width);
  // The whole potential and field against sum q / r, away from the particles (r >= r_min).
  const Eigen::MatrixXd y = away_from(p, x, 0.05);
  REQUIRE(y.cols() > 2500);
  CHECK(max_rel(direct_potential(p, y), pot.potential(y)) <= 5 * options.eps);
  const Eigen::MatrixXd e = direct_field(p, y);
  CHECK(max_rel(e, pot.field(y)) <= 1e-5);

  // At the particles: the potential and field of the others.
  Eigen::VectorXd phi(p.size());
  Eigen::MatrixXd field(3, p.size());
  for (Index i = 0; i < p.size(); ++i) {
    ParticleSet others;
    others.positions.resize(3, p.size() - 1);
    others.charges.resize(p.size() - 1);
    for (Index j = 0, k = 0; j < p.size(); ++j)
      if (j != i) {
        others.positions.col(k) = p.positions.col(j);
        others.charges[k++] = p.charges[j];
      }
    const Eigen::MatrixXd xi = p.positions.col(i);
    phi[i] = direct_potential(others, xi)[0];
    field.col(i) = direct_field(others, xi).col(0);
  }
  CHECK(max_rel(phi, pot.potential_at_particles()) <= 5 * options.eps);
  CHECK(max_rel(field, pot.field_at_particles()) <= 1e-5);

  // The long range on a grid (Tucker form) agrees with pointwise evaluation.
  const std::vector<Eigen::VectorXd> grid(3, uniform_points(9, -5.0, 5.0));
  const DenseTensor full = pot.long_range_on_grid(grid).full();
  Eigen::MatrixXd gp(3, 9 * 9 * 9);
  for (Index k = 0, c = 0; k < 9; ++k)
    for (Index j = 0; j < 9; ++j)
      for (Index i = 0; i < 9; ++i, ++c) gp.col(c) << grid[0][i], grid[1][j], grid[2][k];
  CHECK((full.vector() - pot.long_range_potential(gp)).cwiseAbs().maxCoeff() <= 1e-12 * full.max_abs());
  const Eigen::MatrixXd grid_field = pot.long_range_field(gp);
  for (int l = 0; l < 3; ++l) {
    const DenseTensor el = pot.long_range_field_on_grid(grid, l).full();
    CHECK((el.vector() - grid_field.row(l).transpose()).cwiseAbs().maxCoeff() <= 1e-12 * grid_field.cwiseAbs().maxCoeff());
  }

  // The short-range reference tensor is the short kernel on the local grid.
  const CpTensor ref = pot.short_range_reference(11);
  const DenseTensor rf = ref.full();
  const Eigen::VectorXd g = uniform_points(11, -pot.cutoff(), pot.cutoff());
  CHECK(std::abs(rf.at(5, 5, 5) - pot.short_range_kernel()(0.0)) <= 1e-12 * rf.max_abs());
  const double r = std::sqrt(g[2] * g[2] + g[7] * g[7] + g[5] * g[5]);
  CHECK(std::abs(rf.at(2, 7, 5) - pot.short_range_kernel()(r)) <= 1e-12 * rf.max_abs());
}

TEST_CASE("the long-range Tucker rank grows only slowly with the number of charges", "[tensor][particles]") {
  RangeSeparatedOptions options;
  options.eps = 1e-6;
  options.split_width = 1.0;
  options.box = Box::cube(3, -10.0, 10.0);
  const RangeSeparatedPotential p20(random_charges(20, 8.0, 1), options);
  const RangeSeparatedPotential p200(random_charges(200, 8.0, 2), options);
  const Index r20 = max_rank(p20.long_range()), r200 = max_rank(p200.long_range());
  INFO("ranks " << r20 << " (N = 20) and " << r200 << " (N = 200); CP rank of the input "
                << 200 * p200.long_range_kernel().terms());
  CHECK(r200 <= r20 + 8);
  // Far below the CP rank N * (long-range terms) and the Chebyshev nodes.
  CHECK(r200 < p200.long_range().points()[0]);
  const Eigen::MatrixXd x = random_points(options.box, 2000, 9);
  CHECK(max_rel(direct_potential(p200.particles(), x, &p200.long_range_kernel()),
                p200.long_range_potential(x)) <= 5 * options.eps);
}

TEST_CASE("the compressed kernel keeps potential and field accurate with fewer Gaussians", "[tensor][particles]") {
  const ParticleSet p = random_charges(40, 4.0, 3);
  RangeSeparatedOptions options;
  options.eps = 1e-6;
  options.split_width = 0.7;
  options.box = Box::cube(3, -6.0, 6.0);
  options.kernel_method = GaussianSumMethod::sinc;
  RangeSeparatedReport sinc_report, report;
  const RangeSeparatedPotential sinc(p, options, &sinc_report);
  options.kernel_method = GaussianSumMethod::compressed;
  const RangeSeparatedPotential pot(p, options, &report);
  CHECK(report.kernel.method == GaussianSumMethod::compressed);
  CHECK(sinc_report.kernel.method == GaussianSumMethod::sinc);
  INFO("kernel terms: sinc " << sinc.kernel().terms() << ", compressed " << pot.kernel().terms()
                             << "; long range " << sinc.long_range_kernel().terms() << ", "
                             << pot.long_range_kernel().terms());
  CHECK(pot.kernel().terms() < sinc.kernel().terms());
  CHECK(pot.long_range_kernel().terms() < sinc.long_range_kernel().terms());
  const Eigen::MatrixXd y = away_from(p, random_points(pot.box(), 3000, 21), 0.05);
  REQUIRE(y.cols() > 2500);
  const Eigen::VectorXd phi = direct_potential(p, y);
  const Eigen::MatrixXd e = direct_field(p, y);
  for (const RangeSeparatedPotential* q : {&sinc, &pot}) {
    CHECK(max_rel(direct_potential(p, y, &q->long_range_kernel()), q->long_range_potential(y)) <= 5 * options.eps);
    CHECK(max_rel(phi, q->potential(y)) <= 5 * options.eps);
    CHECK(max_rel(e, q->field(y)) <= 5 * options.eps);
  }
}

TEST_CASE("particle files: CSV and HDF5, and their errors", "[tensor][particles]") {
  const std::string csv = "test_rsp_particles.csv";
  {
    std::ofstream out(csv);
    out << "# comment\nx, y, z, q\n\n0, 0, 0, 1\n1.5 2 3 -1\n";
  }
  const ParticleSet p = read_particles(csv);
  REQUIRE(p.size() == 2);
  CHECK(p.positions(1, 1) == 2.0);
  CHECK(p.charges[1] == -1.0);
  {
    std::ofstream out(csv);
    out << "0,0,0,1\n1,2,3,4,5\n";
  }
  CHECK_THROWS_WITH(read_particles(csv), Catch::Contains("test_rsp_particles.csv:2: 5 columns; expected 4"));
  {
    std::ofstream out(csv);
    out << "0,0,0,1\n1,abc,3,4\n";
  }
  CHECK_THROWS_WITH(read_particles(csv), Catch::Contains(":2: column 2: 'abc' is not a finite number"));
  std::remove(csv.c_str());
  CHECK_THROWS_AS(read_particles("no_such_particles.csv"), kolmo::InputError);

  const std::string h5 = "test_rsp_particles.h5";
  {
    auto file = kolmo::h5::File::create_serial(h5, true);
    file.write_doubles("/positions", {2, 3}, {0, 0, 0, 1, 2, 3});
    file.write_doubles("/charges", {2}, {1, -1});
    file.close();
  }
  const ParticleSet q = read_particles(h5);
  CHECK(q.positions.col(1) == Eigen::Vector3d(1, 2, 3));
  CHECK(q.charges[1] == -1.0);
  {
    auto file = kolmo::h5::File::create_serial(h5, true);
    file.write_doubles("/positions", {2, 3}, {0, 0, 0, 1, 2, 3});
    file.write_doubles("/charges", {3}, {1, -1, 1});
    file.close();
  }
  CHECK_THROWS_WITH(read_particles(h5), Catch::Contains("/positions holds 6 values for 3 charges"));
  std::remove(h5.c_str());

  ParticleSet bad = random_charges(3, 1.0, 1);
  bad.charges.resize(2);
  CHECK_THROWS_AS(RangeSeparatedPotential(bad), kolmo::InputError);
  RangeSeparatedOptions options;
  options.eps = 0.0;
  CHECK_THROWS_AS(RangeSeparatedPotential(random_charges(3, 1.0, 1), options), kolmo::InputError);
  options.eps = 1e-6;
  options.box = Box::cube(3, 5.0, 6.0);  // the particles lie outside
  CHECK_THROWS_AS(RangeSeparatedPotential(random_charges(3, 1.0, 1), options), kolmo::InputError);
}

#include <unistd.h>

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <random>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "tensor/chebyshev_tucker.hpp"

using namespace kolmo::tensor;

namespace {

const double two_over_sqrt_pi = 2.0 / std::sqrt(std::numbers::pi);

// erf(|x|)/|x|, continued by 2/sqrt(pi) at 0: smooth, with a Newton-like 1/|x| tail.
const BatchFunction erf_over_r = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
  for (Index j = 0; j < p.cols(); ++j) {
    const double r = p.col(j).norm();
    v[j] = r == 0.0 ? two_over_sqrt_pi : std::erf(r) / r;
  }
};

// The same function as a sum of Gaussians, which is separable: erf(r)/r = 2/sqrt(pi) int_0^1
// exp(-t^2 r^2) dt by Gauss-Legendre with k nodes (Golub-Welsch).
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

Eigen::MatrixXd random_points(const Box& box, Index count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd p(box.dims(), count);
  for (Index j = 0; j < count; ++j)
    for (int l = 0; l < box.dims(); ++l) p(l, j) = box.lower(l) + box.width(l) * u(rng);
  return p;
}

Eigen::VectorXd values_of(const BatchFunction& f, const Eigen::MatrixXd& points) {
  Eigen::VectorXd v(points.cols());
  f(points, v);
  return v;
}

struct TempFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("kolmo_test_chebyshev_tucker_" + std::to_string(::getpid()) + ".h5");
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("erf(|x|)/|x| on [-10,10]^3 reaches the tolerance at random off-grid points", "[tensor][chebyshev_tucker]") {
  const Box box = Box::cube(3, -10.0, 10.0);
  const Eigen::MatrixXd points = random_points(box, 4000, 1);
  const Eigen::VectorXd exact = values_of(erf_over_r, points);
  const double fmax = two_over_sqrt_pi;
  const CpFunction cp = erf_over_r_cp(40);
  CHECK((cp.evaluate(points) - exact).cwiseAbs().maxCoeff() < 1e-14);
  for (double eps : {1e-6, 1e-8, 1e-10}) {
    INFO("eps " << eps);
    ChebyshevTuckerOptions options;
    options.eps = eps;
    ChebyshevTuckerReport report;
    const ChebyshevTucker f = ChebyshevTucker::from_function(erf_over_r, box, options, &report);
    CHECK(report.chebyshev.converged);
    const Index bound = eps == 1e-6 ? 9 : eps == 1e-8 ? 11 : 13;
    for (const Index r : f.ranks()) CHECK(r <= bound);
    CHECK((f.evaluate(points) - exact).cwiseAbs().maxCoeff() <= 2 * eps * fmax);

    // From the CP form, without the m^3 coefficient tensor: the same accuracy and ranks.
    const ChebyshevTucker g = ChebyshevTucker::from_cp(cp, box, options, &report);
    CHECK(report.chebyshev.converged);
    for (int l = 0; l < 3; ++l) CHECK(std::abs(g.ranks()[static_cast<std::size_t>(l)] - f.ranks()[static_cast<std::size_t>(l)]) <= 1);
    CHECK((g.evaluate(points) - exact).cwiseAbs().maxCoeff() <= 2 * eps * fmax);
  }
}

TEST_CASE("separable functions have rank 1 and sums of r terms rank r", "[tensor][chebyshev_tucker]") {
  const Box box({0.0, -1.0, 1.0}, {2.0, 1.0, 3.0});
  const BatchFunction one = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (p.row(0).array().exp() * p.row(1).array().sin() * (1.0 + p.row(2).array().square())).transpose();
  };
  ChebyshevTuckerOptions options;
  options.eps = 1e-12;
  const ChebyshevTucker f1 = ChebyshevTucker::from_function(one, box, options);
  CHECK(f1.ranks() == Dims{1, 1, 1});
  const Eigen::MatrixXd points = random_points(box, 1000, 2);
  CHECK((f1.evaluate(points) - values_of(one, points)).cwiseAbs().maxCoeff() < 1e-12 * 20.0);
  // The integral of a separable function: (e^2 - 1) * 0 * ... is trivial, so shift the sine.
  const BatchFunction shifted = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (p.row(0).array().exp() * (1.0 + p.row(1).array().sin() + p.row(1).array()) *
         (1.0 + p.row(2).array().square())).transpose();
  };
  const ChebyshevTucker fs = ChebyshevTucker::from_function(shifted, box, options);
  CHECK(fs.ranks() == Dims{1, 1, 1});
  const double exact_integral = (std::exp(2.0) - 1.0) * 2.0 * (2.0 + (27.0 - 1.0) / 3.0);
  CHECK(fs.integral() == Approx(exact_integral).epsilon(1e-12));

  const BatchFunction three = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    const auto x = p.row(0).array(), y = p.row(1).array(), z = p.row(2).array();
    v = (x.exp() * y.cos() * z + x.square() * (2.0 * y).exp() * z.sin() + x.cos() * y * z.log()).transpose();
  };
  const ChebyshevTucker f3 = ChebyshevTucker::from_function(three, box, options);
  CHECK(f3.ranks() == Dims{3, 3, 3});
  CHECK((f3.evaluate(points) - values_of(three, points)).cwiseAbs().maxCoeff() < 1e-10);
  // The same through the CP route.
  CpFunction cp = CpFunction::from_terms(
      Eigen::Vector3d(1.0, 1.0, 1.0),
      {{[](double x) { return std::exp(x); }, [](double y) { return std::cos(y); }, [](double z) { return z; }},
       {[](double x) { return x * x; }, [](double y) { return std::exp(2 * y); }, [](double z) { return std::sin(z); }},
       {[](double x) { return std::cos(x); }, [](double y) { return y; }, [](double z) { return std::log(z); }}});
  const ChebyshevTucker g3 = ChebyshevTucker::from_cp(cp, box, options);
  CHECK(g3.ranks() == Dims{3, 3, 3});
  CHECK((g3.evaluate(points) - values_of(three, points)).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("polynomials of degree below m are reproduced exactly", "[tensor][chebyshev_tucker]") {
  const Box box({-1.0, 0.0}, {2.0, 5.0});
  const BatchFunction p = [](const Eigen::MatrixXd& q, Eigen::VectorXd& v) {
    const auto x = q.row(0).array(), y = q.row(1).array();
    v = (1.0 - x + 3.0 * x.cube() * y.square() + 0.25 * y.pow(4) * x).transpose();
  };
  ChebyshevTuckerOptions options;
  options.eps = 1e-14;
  options.points = {4, 5};
  const ChebyshevTucker f = ChebyshevTucker::from_function(p, box, options);
  CHECK(f.points() == Dims{4, 5});
  const Eigen::MatrixXd points = random_points(box, 500, 3);
  const Eigen::VectorXd exact = values_of(p, points);
  CHECK((f.evaluate(points) - exact).cwiseAbs().maxCoeff() < 1e-12 * exact.cwiseAbs().maxCoeff());
}

TEST_CASE("expansion onto grids of any size matches pointwise evaluation", "[tensor][chebyshev_tucker]") {
  const Box box = Box::cube(3, -10.0, 10.0);
  ChebyshevTuckerOptions options;
  options.eps = 1e-8;
  const ChebyshevTucker f = ChebyshevTucker::from_function(erf_over_r, box, options);
  const std::vector<Eigen::VectorXd> grid{uniform_points(17, -10, 10), uniform_points(12, -10, 10),
                                          chebyshev_points(9, -10, 10)};
  const auto factors = f.grid_factors(grid);
  for (int l = 0; l < 3; ++l) {
    CHECK(factors[static_cast<std::size_t>(l)].rows() == grid[static_cast<std::size_t>(l)].size());
    CHECK(factors[static_cast<std::size_t>(l)].cols() == f.ranks()[static_cast<std::size_t>(l)]);
  }
  const DenseTensor full = f.full_grid(grid);
  CHECK(full.dims() == Dims{17, 12, 9});
  const DenseTensor exact = sample_grid(erf_over_r, grid);
  CHECK((full - exact).max_abs() <= 2e-8 * two_over_sqrt_pi);
  Eigen::MatrixXd point(3, 1);
  point << grid[0][5], grid[1][7], grid[2][3];
  CHECK(full.at(5, 7, 3) == Approx(f.evaluate(point)[0]).margin(1e-14));
  // A large grid costs only its factors.
  const std::vector<Eigen::VectorXd> big(3, uniform_points(4096, -10, 10));
  const TuckerTensor on_big = f.on_grid(big);
  CHECK(on_big.dims() == Dims{4096, 4096, 4096});
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> idx(3, 2);
  idx << 2048, 100, 2048, 4000, 2048, 7;
  Eigen::MatrixXd at(3, 2);
  for (int j = 0; j < 2; ++j)
    for (int l = 0; l < 3; ++l) at(l, j) = big[static_cast<std::size_t>(l)][idx(l, j)];
  CHECK((on_big.entries(idx) - values_of(erf_over_r, at)).cwiseAbs().maxCoeff() <= 2e-8 * two_over_sqrt_pi);
  CHECK_THROWS_AS(f.evaluate(Eigen::MatrixXd::Constant(3, 1, 10.5)), kolmo::Exception);
}

TEST_CASE("sums and products with recompression", "[tensor][chebyshev_tucker]") {
  const Box box = Box::cube(3, -3.0, 3.0);
  const BatchFunction ga = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (-0.25 * p.colwise().squaredNorm().array()).exp().transpose();
  };
  const BatchFunction gb = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (1.0 + p.colwise().squaredNorm().array()).inverse().transpose();
  };
  ChebyshevTuckerOptions options;
  options.eps = 1e-9;
  const ChebyshevTucker a = ChebyshevTucker::from_function(ga, box, options);
  const ChebyshevTucker b = ChebyshevTucker::from_function(gb, box, options);
  CHECK(a.ranks() == Dims{1, 1, 1});
  const Eigen::MatrixXd points = random_points(box, 2000, 4);
  const Eigen::VectorXd va = values_of(ga, points), vb = values_of(gb, points);

  const ChebyshevTucker s = add(a, b, 1e-9, 2.0, -3.0);
  CHECK((s.evaluate(points) - (2.0 * va - 3.0 * vb)).cwiseAbs().maxCoeff() < 1e-8);
  CHECK(s.ranks()[0] <= a.ranks()[0] + b.ranks()[0]);
  const ChebyshevTucker doubled = add(b, b, 1e-9);
  CHECK(doubled.ranks() == b.ranks());
  CHECK((doubled.evaluate(points) - 2.0 * vb).cwiseAbs().maxCoeff() < 1e-8);

  const ChebyshevTucker p = hadamard(a, b, 1e-9);
  const Eigen::VectorXd vp = va.cwiseProduct(vb);
  CHECK((p.evaluate(points) - vp).cwiseAbs().maxCoeff() < 1e-8);
  CHECK(p.ranks()[0] <= a.ranks()[0] * b.ranks()[0]);
  CHECK(p.points()[0] < a.points()[0] + b.points()[0] - 1);  // trailing coefficients dropped
  // Products of products stay compressed: (a b) b.
  const ChebyshevTucker p2 = hadamard(p, b, 1e-9);
  CHECK((p2.evaluate(points) - vp.cwiseProduct(vb)).cwiseAbs().maxCoeff() < 1e-8);
  CHECK(p2.ranks()[0] <= b.ranks()[0] + 4);

  // Derivatives: d/dx exp(-|x|^2/4) = -x/2 exp(...).
  const ChebyshevTucker dx = a.derivative(0);
  const Eigen::VectorXd expected = -0.5 * points.row(0).transpose().cwiseProduct(va);
  CHECK((dx.evaluate(points) - expected).cwiseAbs().maxCoeff() < 1e-7);
  CHECK_THROWS_AS(add(a, ChebyshevTucker::from_function(ga, Box::cube(3, -3.0, 3.5), options), 1e-9),
                  kolmo::Exception);
}

TEST_CASE("HDF5 round trip of core and factors", "[tensor][chebyshev_tucker]") {
  const Box box({-2.0, 0.0, 1.0}, {2.0, 1.0, 2.0});
  const BatchFunction g = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (p.row(0).array() * p.row(1).array() + p.row(2).array()).sin().transpose();
  };
  ChebyshevTuckerOptions options;
  options.eps = 1e-10;
  const ChebyshevTucker f = ChebyshevTucker::from_function(g, box, options);
  TempFile file;
  f.save(file.path.string());
  const ChebyshevTucker h = ChebyshevTucker::load(file.path.string());
  CHECK(h.box() == f.box());
  CHECK(h.ranks() == f.ranks());
  CHECK(h.points() == f.points());
  CHECK(h.tucker().core.vector() == f.tucker().core.vector());
  for (int l = 0; l < 3; ++l) CHECK(h.tucker().factors[static_cast<std::size_t>(l)] == f.tucker().factors[static_cast<std::size_t>(l)]);
  const Eigen::MatrixXd points = random_points(box, 100, 5);
  CHECK(h.evaluate(points) == f.evaluate(points));
  {
    auto raw = kolmo::h5::File::open_serial(file.path.string(), kolmo::h5::Access::read_only);
    CHECK(raw.read_string_attribute("/chebyshev_tucker", "format") == "kolmo.chebyshev_tucker");
    CHECK(raw.shape("/chebyshev_tucker/factor_1") ==
          std::vector<hsize_t>{static_cast<hsize_t>(f.points()[1]), static_cast<hsize_t>(f.ranks()[1])});
  }
  // A file without the group is reported as bad input.
  {
    auto other = kolmo::h5::File::create_serial(file.path.string(), true);
    other.create_group("/something_else");
  }
  CHECK_THROWS_AS(ChebyshevTucker::load(file.path.string()), kolmo::InputError);
}

TEST_CASE("bad Chebyshev-Tucker input gives clear errors", "[tensor][chebyshev_tucker]") {
  const Box box = Box::cube(3, -1.0, 1.0);
  ChebyshevTuckerOptions options;
  options.eps = 0.0;
  CHECK_THROWS_WITH(ChebyshevTucker::from_function(erf_over_r, box, options), Catch::Contains("eps must be > 0"));
  options.eps = 1e-6;
  const BatchFunction singular = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    for (Index j = 0; j < p.cols(); ++j) v[j] = 1.0 / p.col(j).norm();
  };
  CHECK_THROWS_AS(ChebyshevTucker::from_function(singular, box, options), kolmo::InputError);
  CHECK_THROWS_AS(Box::cube(3, 1.0, 1.0), kolmo::InputError);
  CpFunction cp = erf_over_r_cp(5);
  cp.dims = 2;
  CHECK_THROWS_AS(ChebyshevTucker::from_cp(cp, box, options), kolmo::InputError);
}

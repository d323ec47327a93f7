#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <random>

#include "core/exceptions.hpp"
#include "tensor/chebyshev.hpp"

using namespace kolmo::tensor;

namespace {

Eigen::MatrixXd random_points(const Box& box, Index count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd p(box.dims(), count);
  for (Index j = 0; j < count; ++j)
    for (int l = 0; l < box.dims(); ++l) p(l, j) = box.lower(l) + box.width(l) * u(rng);
  return p;
}

double max_error(const ChebyshevInterpolant& c, const BatchFunction& f, const Eigen::MatrixXd& points) {
  Eigen::VectorXd exact(points.cols());
  f(points, exact);
  return (c.evaluate(points) - exact).cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("Chebyshev-Lobatto nodes", "[tensor][chebyshev]") {
  const Eigen::VectorXd x = chebyshev_points(9, 2.0, 5.0);
  CHECK(x[0] == 2.0);
  CHECK(x[8] == 5.0);
  CHECK(x[4] == Approx(3.5).margin(1e-15));
  for (Index j = 0; j < 9; ++j) {
    const double expected = 3.5 - 1.5 * std::cos(std::numbers::pi * static_cast<double>(j) / 8.0);
    CHECK(x[j] == Approx(expected).margin(1e-14));
    if (j > 0) CHECK(x[j] > x[j - 1]);
  }
  CHECK(chebyshev_points(1, -1, 3)[0] == 1.0);
}

TEST_CASE("values <-> coefficients is exact for polynomials of degree below m", "[tensor][chebyshev]") {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (Index m : {Index(2), Index(3), Index(8), Index(33), Index(100)}) {
    Eigen::MatrixXd c(m, 3);
    for (Index k = 0; k < c.size(); ++k) c.data()[k] = u(rng);
    const Eigen::VectorXd x = chebyshev_points(m, -2.0, 4.0);
    // Values by the definition T_k(t) = cos(k acos t) at the mapped nodes.
    Eigen::MatrixXd values = Eigen::MatrixXd::Zero(m, 3);
    for (Index j = 0; j < m; ++j) {
      const double t = std::clamp((2.0 * x[j] - 2.0) / 6.0, -1.0, 1.0);
      for (Index k = 0; k < m; ++k) values.row(j) += std::cos(static_cast<double>(k) * std::acos(t)) * c.row(k);
    }
    CHECK((chebyshev_coefficients(values) - c).cwiseAbs().maxCoeff() < 1e-13 * static_cast<double>(m));
    CHECK((chebyshev_values(c) - values).cwiseAbs().maxCoeff() < 1e-13 * static_cast<double>(m));
    CHECK((chebyshev_transform_matrix(m) * values - c).cwiseAbs().maxCoeff() < 1e-13 * static_cast<double>(m));
    // Basis matrix and Clenshaw agree with the values.
    CHECK((chebyshev_basis(m, x, -2.0, 4.0) * c - values).cwiseAbs().maxCoeff() < 1e-12);
    for (Index j = 0; j < m; ++j) {
      const double t = (2.0 * x[j] - 2.0) / 6.0;
      const Eigen::VectorXd c0 = c.col(0);
      CHECK(chebyshev_clenshaw(std::span<const double>(c0.data(), static_cast<std::size_t>(m)), t) ==
            Approx(values(j, 0)).margin(1e-12));
    }
  }
}

TEST_CASE("1-D interpolation converges spectrally", "[tensor][chebyshev]") {
  // f = 1/(2 - x) on [-1, 1] is analytic inside the Bernstein ellipse of rho = 2 + sqrt(3): the
  // error of the degree-n interpolant decays like rho^-n.
  const double rho = 2.0 + std::sqrt(3.0);
  const Box box({-1.0}, {1.0});
  const BatchFunction f = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    v = (2.0 - p.row(0).array()).inverse().matrix().transpose();
  };
  const Eigen::MatrixXd points = random_points(box, 2000, 3);
  std::vector<double> errors;
  for (Index m : {Index(5), Index(9), Index(13), Index(17)}) {
    ChebyshevOptions options;
    options.points = {m};
    errors.push_back(max_error(ChebyshevInterpolant::interpolate(f, box, options), f, points));
  }
  for (std::size_t k = 1; k < errors.size(); ++k) {
    // Each 4 more nodes gain about rho^4 ~ 193: ask for at least a quarter of it.
    CHECK(errors[k - 1] / errors[k] > std::pow(rho, 4) / 4.0);
  }
  ChebyshevOptions adaptive;
  adaptive.tol = 1e-14;
  ChebyshevReport report;
  const auto c = ChebyshevInterpolant::interpolate(f, box, adaptive, &report);
  CHECK(report.converged);
  CHECK(max_error(c, f, points) < 1e-13);
  CHECK(report.points[0] < 40);
}

TEST_CASE("integration is exact up to the degree", "[tensor][chebyshev]") {
  const double a = -1.5, b = 2.5;
  for (Index m : {Index(1), Index(2), Index(5), Index(12)}) {
    const Eigen::VectorXd w = clenshaw_curtis_weights(m, a, b);
    const Eigen::VectorXd x = chebyshev_points(m, a, b);
    for (int k = 0; k < m; ++k) {
      const double exact = (std::pow(b, k + 1) - std::pow(a, k + 1)) / (k + 1);
      CHECK(w.dot(x.array().pow(k).matrix()) == Approx(exact).epsilon(1e-13).margin(1e-13));
    }
  }
  // A 3-D polynomial of degrees (2, 3, 4) with m = (3, 4, 5) nodes is reproduced exactly and
  // integrated exactly.
  const Box box({0.0, -1.0, 1.0}, {2.0, 1.0, 4.0});
  const auto p = [](double x, double y, double z) { return 1.0 + x * x - 2.0 * x * y * y * y + 0.5 * y * z * z * z * z; };
  const BatchFunction f = [&](const Eigen::MatrixXd& q, Eigen::VectorXd& v) {
    for (Index j = 0; j < q.cols(); ++j) v[j] = p(q(0, j), q(1, j), q(2, j));
  };
  ChebyshevOptions options;
  options.points = {3, 4, 5};
  const auto c = ChebyshevInterpolant::interpolate(f, box, options);
  CHECK(c.points() == Dims{3, 4, 5});
  CHECK(max_error(c, f, random_points(box, 500, 4)) < 1e-12);
  // int over [0,2]x[-1,1]x[1,4]: 1 -> 12, x^2 -> 8/3*2*3 = 16, x y^3 -> 0, y z^4 -> 0.
  CHECK(c.integral() == Approx(28.0).epsilon(1e-14));
}

TEST_CASE("adaptive product interpolation in 3-D reaches the tolerance", "[tensor][chebyshev]") {
  const Box box({0.0, -1.0, 0.0}, {1.0, 2.0, 3.0});
  const BatchFunction f = [](const Eigen::MatrixXd& q, Eigen::VectorXd& v) {
    v = (q.row(0).array() + 2.0 * q.row(1).array()).exp().transpose() * q.row(2).array().cos().transpose();
  };
  ChebyshevOptions options;
  options.tol = 1e-12;
  ChebyshevReport report;
  const auto c = ChebyshevInterpolant::interpolate(f, box, options, &report);
  CHECK(report.converged);
  const double fmax = std::exp(5.0);
  CHECK(max_error(c, f, random_points(box, 3000, 5)) < 1e-11 * fmax);
  // The x-direction (rate e^x on width 1) needs fewer nodes than y (e^{2y} on width 3).
  CHECK(report.points[0] < report.points[1]);
  const double exact = (std::exp(1.0) - 1.0) * (std::exp(4.0) - std::exp(-2.0)) / 2.0 * std::sin(3.0);
  CHECK(c.integral() == Approx(exact).epsilon(1e-11));
}

TEST_CASE("derivative coefficients", "[tensor][chebyshev]") {
  const Index m = 30;
  const Eigen::VectorXd x = chebyshev_points(m, 0.0, 3.0);
  const Eigen::MatrixXd c = chebyshev_coefficients(Eigen::MatrixXd(x.array().sin().matrix()));
  const Eigen::MatrixXd dc = chebyshev_derivative(c, 0.0, 3.0);
  CHECK(dc.rows() == m - 1);
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(50, 0.0, 3.0);
  CHECK((chebyshev_basis(m - 1, y, 0.0, 3.0) * dc - Eigen::VectorXd(y.array().cos())).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("bad input gives clear errors", "[tensor][chebyshev]") {
  CHECK_THROWS_AS(Box({0.0, 1.0}, {1.0, 1.0}), kolmo::InputError);
  CHECK_THROWS_WITH(Box({0.0, 1.0}, {1.0, 1.0}), Catch::Contains("zero or negative width"));
  CHECK_THROWS_AS(Box({0.0}, {1.0, 2.0}), kolmo::InputError);
  const Box box = Box::cube(2, -1.0, 1.0);
  const BatchFunction nan_at_origin = [](const Eigen::MatrixXd& q, Eigen::VectorXd& v) {
    for (Index j = 0; j < q.cols(); ++j) v[j] = q.col(j).norm() == 0.0 ? std::nan("") : 1.0;
  };
  CHECK_THROWS_WITH(ChebyshevInterpolant::interpolate(nan_at_origin, box),
                    Catch::Contains("not finite") && Catch::Contains("(0, 0)"));
  ChebyshevOptions bad;
  bad.tol = 0.0;
  CHECK_THROWS_AS(ChebyshevInterpolant::interpolate(nan_at_origin, box, bad), kolmo::InputError);
}

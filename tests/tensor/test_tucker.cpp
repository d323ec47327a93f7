#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "core/exceptions.hpp"
#include "tensor/tucker.hpp"

using namespace kolmo::tensor;

namespace {

Eigen::MatrixXd gaussian_matrix(Index rows, Index cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a(rows, cols);
  for (Index k = 0; k < a.size(); ++k) a.data()[k] = normal(rng);
  return a;
}

Eigen::MatrixXd orthonormal(Index rows, Index cols, unsigned seed) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(gaussian_matrix(rows, cols, seed));
  return qr.householderQ() * Eigen::MatrixXd::Identity(rows, cols);
}

// X = sum_i s_i u_i o v_i o w_i with orthonormal u, v, w: its mode-n singular values are s in
// every mode (the superdiagonal core is all-orthogonal).
DenseTensor orthogonal_cp(const Eigen::VectorXd& s, const Dims& dims, unsigned seed) {
  CpTensor cp;
  cp.weights = s;
  for (std::size_t l = 0; l < dims.size(); ++l)
    cp.factors.push_back(orthonormal(dims[l], s.size(), seed + static_cast<unsigned>(l)));
  return cp.full();
}

double relative_error(const DenseTensor& x, const TuckerTensor& t) {
  return (x - t.full()).norm() / x.norm();
}

// A smooth tensor without exact low rank: samples of 1/(1 + x + 2y + 3z) on [0,1]^3.
DenseTensor smooth_tensor(Index n) {
  return DenseTensor::generate({n, n + 1, n + 2}, [&](std::span<const Index> i) {
    const double x = static_cast<double>(i[0]) / static_cast<double>(n);
    const double y = static_cast<double>(i[1]) / static_cast<double>(n + 1);
    const double z = static_cast<double>(i[2]) / static_cast<double>(n + 2);
    return 1.0 / (1.0 + x + 2.0 * y + 3.0 * z);
  });
}

}  // namespace

TEST_CASE("ST-HOSVD recovers known multilinear ranks", "[tensor][tucker]") {
  // Core of sizes (3, 4, 2) expanded by orthonormal factors into a 10 x 12 x 9 tensor.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  const DenseTensor core = DenseTensor::generate({3, 4, 2}, [&](std::span<const Index>) { return normal(rng); });
  TuckerTensor exact{core, {orthonormal(10, 3, 1), orthonormal(12, 4, 2), orthonormal(9, 2, 3)}};
  const DenseTensor x = exact.full();
  for (SvdKernel kernel : {SvdKernel::qr, SvdKernel::gram}) {
    TuckerOptions options;
    options.eps = kernel == SvdKernel::qr ? 1e-12 : 1e-6;
    options.kernel = kernel;
    const TuckerTensor t = st_hosvd(x, options);
    CHECK(t.ranks() == Dims{3, 4, 2});
    CHECK(relative_error(x, t) < (kernel == SvdKernel::qr ? 1e-13 : 1e-7));
    for (const auto& f : t.factors)
      CHECK((f.transpose() * f - Eigen::MatrixXd::Identity(f.cols(), f.cols())).norm() < 1e-13);
  }
}

TEST_CASE("ST-HOSVD finds prescribed multilinear singular values and meets its error bound", "[tensor][tucker]") {
  Eigen::VectorXd s(8);
  s << 1.0, 0.5, 0.2, 1e-2, 3e-3, 1e-4, 2e-6, 1e-8;
  const DenseTensor x = orthogonal_cp(s, {12, 10, 11}, 20);
  HosvdReport report;
  TuckerOptions tight;
  tight.eps = 1e-14;
  tight.kernel = SvdKernel::qr;
  st_hosvd(x, tight, &report);
  for (int n = 0; n < 3; ++n) {
    const auto& sigma = report.singular_values[static_cast<std::size_t>(n)];
    CHECK((sigma.head(8) - s).cwiseAbs().maxCoeff() < 1e-14);
    CHECK(sigma.tail(sigma.size() - 8).cwiseAbs().maxCoeff() < 1e-14);
  }
  // The rank per mode is the smallest whose tail fits eps^2 ||X||^2 / 3.
  const double norm2 = s.squaredNorm();
  for (double eps : {1e-1, 1e-2, 1e-3, 1e-5, 1e-7, 1e-9}) {
    Index expected = 8;
    while (expected > 1 && s.tail(8 - expected + 1).squaredNorm() <= eps * eps * norm2 / 3.0) --expected;
    TuckerOptions options;
    options.eps = eps;
    const TuckerTensor t = st_hosvd(x, options, &report);
    CHECK(t.ranks() == Dims{expected, expected, expected});
    const double err = (x - t.full()).norm();
    CHECK(err <= report.error_bound() * (1 + 1e-8) + 1e-13 * x.norm());  // plus rounding
    CHECK(err <= eps * x.norm());
  }
}

TEST_CASE("the error bound holds for a tensor without exact low rank", "[tensor][tucker]") {
  const DenseTensor x = smooth_tensor(20);
  Index previous = 0;
  for (double eps : {1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12}) {
    TuckerOptions options;
    options.eps = eps;
    HosvdReport report;
    const TuckerTensor t = st_hosvd(x, options, &report);
    const double err = (x - t.full()).norm();
    CHECK(err <= report.error_bound() * (1 + 1e-8) + 1e-15 * x.norm());
    CHECK(report.error_bound() <= eps * x.norm());
    CHECK(t.ranks()[0] >= previous);
    previous = t.ranks()[0];
  }
  CHECK(previous > 5);
}

TEST_CASE("the QR kernel stays accurate below 1e-8 where the Gram kernel floors", "[tensor][tucker]") {
  // Singular values 10^-i, i = 0..13, in every mode.
  Eigen::VectorXd s(14);
  for (Index i = 0; i < 14; ++i) s[i] = std::pow(10.0, -static_cast<double>(i));
  const DenseTensor x = orthogonal_cp(s, {30, 30, 30}, 40);
  for (double eps : {1e-10, 1e-12}) {
    TuckerOptions qr;
    qr.eps = eps;
    qr.kernel = SvdKernel::qr;
    HosvdReport qr_report;
    const TuckerTensor tq = st_hosvd(x, qr, &qr_report);
    const Index expected = eps == 1e-10 ? 11 : 13;
    CHECK(tq.ranks() == Dims{expected, expected, expected});
    CHECK(relative_error(x, tq) <= eps);
    CHECK(qr_report.singular_values[0][12] == Approx(1e-12).epsilon(1e-3));

    TuckerOptions gram = qr;
    gram.kernel = SvdKernel::gram;
    HosvdReport gram_report;
    const TuckerTensor tg = st_hosvd(x, gram, &gram_report);
    // The Gram route squares the singular values: below ~1e-8 they are rounding noise, the
    // ranks inflate and the error floors near 1e-8, far above eps.
    CHECK(tg.ranks()[0] > expected + 3);
    CHECK(relative_error(x, tg) > 1e-9);  // the floor, whatever eps
    CHECK(std::abs(gram_report.singular_values[0][12] - 1e-12) > 1e-10);
  }
  // The automatic kernel picks QR here and Gram only at safe tolerances.
  TuckerOptions automatic;
  automatic.eps = 1e-10;
  HosvdReport report;
  st_hosvd(x, automatic, &report);
  CHECK(report.kernel == SvdKernel::qr);
  automatic.eps = 1e-5;
  const TuckerTensor coarse = st_hosvd(x, automatic, &report);
  CHECK(report.kernel == SvdKernel::gram);
  CHECK(relative_error(x, coarse) <= 1e-5);
}

TEST_CASE("HOOI does not increase the error of ST-HOSVD", "[tensor][tucker]") {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal;
  DenseTensor x = smooth_tensor(14);
  // Noise makes ST-HOSVD's truncation visibly sub-optimal.
  DenseTensor noise = DenseTensor::generate(x.dims(), [&](std::span<const Index>) { return normal(rng); });
  noise *= 0.02 * x.norm() / noise.norm();
  x += noise;
  TuckerOptions options;
  options.eps = 1e-12;
  options.max_ranks = {3, 2, 4};
  const TuckerTensor start = st_hosvd(x, options);
  REQUIRE(start.ranks() == Dims{3, 2, 4});
  HooiReport report;
  const TuckerTensor refined = hooi(x, start, {}, &report);
  CHECK(refined.ranks() == start.ranks());
  const double before = relative_error(x, start), after = relative_error(x, refined);
  CHECK(after <= before * (1 + 1e-12));
  CHECK(after < before);  // with noise the first sweep improves on ST-HOSVD
  CHECK(report.iterations >= 1);
  for (std::size_t k = 1; k < report.relative_errors.size(); ++k)
    CHECK(report.relative_errors[k] <= report.relative_errors[k - 1] * (1 + 1e-12));
  CHECK(report.relative_errors.back() == Approx(after).epsilon(1e-6));
}

TEST_CASE("RHOSVD of CP input equals ST-HOSVD of the formed tensor", "[tensor][tucker]") {
  for (const Dims& dims : {Dims{8, 9, 10}, Dims{4, 9, 6}, Dims{5, 6, 4, 7}}) {
    const Index big_r = 5;
    CpTensor cp;
    cp.weights.resize(big_r);
    cp.weights << 3.0, -1.0, 0.5, 1e-3, 2e-6;
    for (std::size_t l = 0; l < dims.size(); ++l)
      cp.factors.push_back(gaussian_matrix(dims[l], big_r, 50 + static_cast<unsigned>(l)));
    const DenseTensor x = cp.full();
    CHECK(cp.norm() == Approx(x.norm()).epsilon(1e-12));
    for (double eps : {1e-3, 1e-6, 1e-12}) {
      TuckerOptions options;
      options.eps = eps;
      const TuckerTensor direct = st_hosvd(x, options);
      const TuckerTensor reduced = rhosvd(cp, options);
      INFO("eps " << eps << " order " << dims.size());
      CHECK(reduced.ranks() == direct.ranks());
      CHECK(relative_error(x, reduced) <= eps);
      // The two approximations agree to within the tolerance (the same subspaces, up to
      // the truncated part).
      CHECK((direct.full() - reduced.full()).norm() <= 2 * eps * x.norm());
    }
  }
}

TEST_CASE("RHOSVD of cancelling +- charges: grid ranks and eps without the rigorous bound's cost", "[tensor][tucker]") {
  // Dipoles: +1 and -1 charges 0.25 apart, each a sum of three Gaussians of widths 1, 2, 4 on a
  // 40^3 grid of [-8, 8]^3. The terms nearly cancel (||X|| is a small fraction of the sum of the
  // terms' norms), which the side matrices cannot see.
  const Index n = 40, dipoles = 25;
  const Eigen::VectorXd grid = Eigen::VectorXd::LinSpaced(n, -8.0, 8.0);
  const double widths[] = {1.0, 2.0, 4.0};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-5.0, 5.0);
  CpTensor cp;
  cp.weights.resize(2 * dipoles * 3);
  cp.factors.assign(3, Eigen::MatrixXd(n, 2 * dipoles * 3));
  double term_norms = 0.0;
  for (Index i = 0; i < dipoles; ++i) {
    const Eigen::Vector3d c(u(rng), u(rng), u(rng));
    const Eigen::Vector3d shift = 0.25 * Eigen::Vector3d(u(rng), u(rng), u(rng)).normalized();
    for (int sign = 0; sign < 2; ++sign)
      for (int k = 0; k < 3; ++k) {
        const Index col = (2 * i + sign) * 3 + k;
        cp.weights[col] = sign == 0 ? 1.0 : -1.0;
        double norm = 1.0;
        for (int l = 0; l < 3; ++l) {
          const double centre = c[l] + (sign == 0 ? 0.0 : shift[l]);
          cp.factors[static_cast<std::size_t>(l)].col(col) =
              (-(grid.array() - centre).square() / (widths[k] * widths[k])).exp().matrix();
          norm *= cp.factors[static_cast<std::size_t>(l)].col(col).norm();
        }
        term_norms += norm;
      }
  }
  const DenseTensor x = cp.full();
  REQUIRE(x.norm() < 0.1 * term_norms);
  for (const double eps : {1e-4, 1e-6, 1e-8}) {
    INFO("eps " << eps);
    TuckerOptions options;
    options.eps = eps;
    options.kernel = SvdKernel::qr;
    const Dims grid_ranks = st_hosvd(x, options).ranks();
    HosvdReport report, bound_report;
    const TuckerTensor reduced = rhosvd(cp, options, &report);
    TuckerOptions bound = options;
    bound.rhosvd_bound = true;
    const TuckerTensor safe = rhosvd(cp, bound, &bound_report);
    const Dims ranks = reduced.ranks();
    for (std::size_t l = 0; l < 3; ++l) {
      INFO("mode " << l << ": rhosvd " << ranks[l] << ", grid ST-HOSVD " << grid_ranks[l] << ", core "
                   << report.singular_values[l].size() << " (rigorous bound: "
                   << bound_report.singular_values[l].size() << ")");
      CHECK(std::abs(ranks[l] - grid_ranks[l]) <= 2);
      // The core before its recompression: never larger than the rigorous bound's.
      CHECK(report.singular_values[l].size() <= bound_report.singular_values[l].size());
    }
    CHECK(relative_error(x, reduced) <= eps);
    CHECK(relative_error(x, safe) <= eps);
  }
}

TEST_CASE("recompression, sums, Hadamard products and inner products", "[tensor][tucker]") {
  TuckerOptions options;
  options.eps = 1e-12;
  const DenseTensor a = smooth_tensor(9);
  DenseTensor b = DenseTensor::generate(a.dims(), [](std::span<const Index> i) {
    return std::cos(0.3 * static_cast<double>(i[0] + i[1])) * std::exp(-0.1 * static_cast<double>(i[2]));
  });
  const TuckerTensor ta = st_hosvd(a, options), tb = st_hosvd(b, options);
  CHECK(tucker_inner(ta, tb) == Approx(a.vector().dot(b.vector())).epsilon(1e-12));
  CHECK(ta.norm() == Approx(a.norm()).epsilon(1e-13));

  const TuckerTensor twice = tucker_sum(ta, ta, 2.0, -1.0);  // 2a - a: ranks doubled, value a
  CHECK(twice.ranks()[0] == 2 * ta.ranks()[0]);
  const TuckerTensor compressed = recompress(twice, options);
  CHECK(compressed.ranks() == ta.ranks());
  CHECK((compressed.full() - a).norm() <= 1e-12 * a.norm());

  const TuckerTensor sum = recompress(tucker_sum(ta, tb), options);
  CHECK((sum.full() - (a + b)).norm() <= 1e-12 * (a + b).norm());

  DenseTensor ab = a;
  ab.vector() = a.vector().cwiseProduct(b.vector());
  const TuckerTensor product = tucker_hadamard(ta, tb);
  CHECK(product.ranks()[1] == ta.ranks()[1] * tb.ranks()[1]);
  CHECK((product.full() - ab).norm() <= 1e-12 * ab.norm());
  TuckerOptions loose;
  loose.eps = 1e-6;
  const TuckerTensor small = recompress(product, loose);
  CHECK((small.full() - ab).norm() <= 1e-6 * ab.norm());
  CHECK(small.storage() < product.storage());
}

TEST_CASE("bad Tucker input gives clear errors", "[tensor][tucker]") {
  const DenseTensor x = smooth_tensor(4);
  TuckerOptions options;
  options.eps = 0.0;
  CHECK_THROWS_AS(st_hosvd(x, options), kolmo::InputError);
  options.eps = -1.0;
  CHECK_THROWS_WITH(st_hosvd(x, options), Catch::Contains("eps must be > 0"));
  CpTensor cp{Eigen::VectorXd::Ones(2), {Eigen::MatrixXd::Ones(3, 2), Eigen::MatrixXd::Ones(3, 3)}};
  CHECK_THROWS_AS(rhosvd(cp), kolmo::Exception);
}

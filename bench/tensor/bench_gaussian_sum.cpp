// Terms of the Gaussian sum for 1/r (issue 5) by method (sinc; compressed = trapezoidal rule in
// log t with the wide tail by Gauss quadrature, kernel and derivative within eps; compressed_value
// = the kernel only) against r_max / r_min and the relative tolerance, with the max relative
// errors re-checked at 10^5 random log-uniform radii and the construction time.
//
//   bench_gaussian_sum
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <utility>

#include "tensor/sinc_gaussian_sum.hpp"

using namespace kolmo::tensor;

namespace {

// Max relative errors of the kernel and of its derivative at 10^5 random log-uniform radii.
std::pair<double, double> check(const GaussianSum& v, double r_min, double r_max) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(std::log(r_min), std::log(r_max));
  Eigen::VectorXd r(100000);
  for (Index i = 0; i < r.size(); ++i) r[i] = std::exp(u(rng));
  const double err = (r.cwiseProduct(v(r)).array() - 1.0).abs().maxCoeff();
  const double derr = (r.array().cube() * v.derivative_over_r(r).array() + 1.0).abs().maxCoeff();
  return {err, derr};
}

}  // namespace

int main() {
  const GaussianSumMethod methods[3] = {GaussianSumMethod::sinc, GaussianSumMethod::compressed,
                                        GaussianSumMethod::compressed_value};
  std::printf("terms / max relative error of the kernel / of its derivative (10^5 random radii) / ms\n");
  std::printf("%-7s %-7s", "eps", "ratio");
  for (const auto m : methods) std::printf(" | %-36s", to_string(m));
  std::printf("\n");
  for (const double eps : {1e-6, 1e-7, 1e-8, 1e-10}) {
    for (const double ratio : {1e2, 1e3, 1e4, 1e6}) {
      std::printf("%-7.0e %-7.0e", eps, ratio);
      for (const auto m : methods) {
        const auto t0 = std::chrono::steady_clock::now();
        const GaussianSum v = newton_gaussian_sum(1.0, ratio, eps, m);
        const double ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto [err, derr] = check(v, 1.0, ratio);
        std::printf(" | %-4ld %-9.2e %-9.2e %-8.1f", static_cast<long>(v.terms()), err, derr, ms);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "tensor/distributed_tensor.hpp"

using namespace kolmo::tensor;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

// Samples of a smooth function of d variables on [0,1]^d without exact low rank.
BatchFunction smooth(int d) {
  return [d](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    for (Index j = 0; j < p.cols(); ++j) {
      double s = 1.0;
      for (int l = 0; l < d; ++l) s += (l + 1) * p(l, j);
      v[j] = 1.0 / s + 0.1 * std::sin(3.0 * p(0, j) * p(d - 1, j));
    }
  };
}

std::vector<Eigen::VectorXd> grid_of(const Dims& dims) {
  std::vector<Eigen::VectorXd> g;
  for (const Index n : dims) g.push_back(uniform_points(n, 0.0, 1.0));
  return g;
}

// True iff every rank holds bitwise the same values as rank 0.
bool same_on_all_ranks(const Eigen::VectorXd& v) {
  Eigen::VectorXd root = v;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_DOUBLE, 0, test_comm());
  return on_all_ranks(root == v);
}

Eigen::VectorXd flatten(const TuckerTensor& t) {
  Eigen::VectorXd v = t.core.vector();
  for (const auto& f : t.factors) {
    Eigen::VectorXd w(v.size() + f.size());
    w << v, Eigen::Map<const Eigen::VectorXd>(f.data(), f.size());
    v.swap(w);
  }
  return v;
}

}  // namespace

TEST_CASE("slabs partition the last mode and gather restores the tensor", "[tensor][distributed]") {
  const MPI_Comm comm = test_comm();
  const int size = kolmo::comm_size(comm);
  Index total = 0;
  for (int p = 0; p < size; ++p) {
    const auto [begin, count] = DistributedTensor::partition(7, size, p);
    CHECK(begin == total);
    total += count;
  }
  CHECK(total == 7);
  const Dims dims{4, 3, 7};
  const DistributedTensor x = DistributedTensor::sample(comm, smooth(3), grid_of(dims));
  const DenseTensor full = sample_grid(smooth(3), grid_of(dims));
  REQUIRE(on_all_ranks(x.local().vector() == full.last_mode_slab(x.last_begin(), x.last_count()).vector()));
  REQUIRE(on_all_ranks(x.gather().vector() == full.vector()));
  CHECK(x.norm() == Approx(full.norm()).epsilon(1e-14));
}

TEST_CASE("distributed ST-HOSVD equals the serial one on any number of ranks", "[tensor][distributed]") {
  const MPI_Comm comm = test_comm();
  for (const Dims& dims : {Dims{20, 18, 17}, Dims{9, 8, 7, 6}, Dims{12, 10, 1}, Dims{15, 3}}) {
    const int d = static_cast<int>(dims.size());
    const DistributedTensor x = DistributedTensor::sample(comm, smooth(d), grid_of(dims));
    const DenseTensor full = x.gather();
    for (SvdKernel kernel : {SvdKernel::qr, SvdKernel::gram}) {
      for (double eps : {1e-4, 1e-10}) {
        if (kernel == SvdKernel::gram && eps < 1e-6) continue;
        INFO("order " << d << " kernel " << to_string(kernel) << " eps " << eps);
        TuckerOptions options;
        options.eps = eps;
        options.kernel = kernel;
        HosvdReport distributed_report, serial_report;
        const TuckerTensor t = st_hosvd(x, options, &distributed_report);
        const TuckerTensor s = st_hosvd(full, options, &serial_report);
        REQUIRE(on_all_ranks(t.ranks() == s.ranks()));
        REQUIRE(same_on_all_ranks(flatten(t)));
        // The QR route resolves every singular value to rounding; the Gram route only those
        // well above sqrt(machine eps) sigma_1 (its small ones are noise that differs with the
        // summation order), so compare the kept ones there.
        bool ok = true;
        for (int n = 0; n < d; ++n) {
          const auto& a = distributed_report.singular_values[static_cast<std::size_t>(n)];
          const auto& b = serial_report.singular_values[static_cast<std::size_t>(n)];
          const Index compared = kernel == SvdKernel::qr ? b.size() : s.ranks()[static_cast<std::size_t>(n)];
          const double tol = kernel == SvdKernel::qr ? 1e-12 : 1e-9;
          ok = ok && a.size() == b.size() &&
               (a.head(compared) - b.head(compared)).cwiseAbs().maxCoeff() <= tol * b[0];
        }
        CHECK(on_all_ranks(ok));
        const double distributed_error = (full - t.full()).norm() / full.norm();
        const double serial_error = (full - s.full()).norm() / full.norm();
        CHECK(on_all_ranks(distributed_error <= eps));
        CHECK(on_all_ranks(std::abs(distributed_error - serial_error) <= 1e-12));
        CHECK(on_all_ranks((t.full() - s.full()).norm() <= 1e-12 * full.norm()));
      }
    }
  }
}

TEST_CASE("distributed ST-HOSVD rejects a bad tolerance on every rank", "[tensor][distributed]") {
  const DistributedTensor x(test_comm(), {3, 3, 3});
  TuckerOptions options;
  options.eps = -1.0;
  bool thrown = false;
  try {
    st_hosvd(x, options);
  } catch (const kolmo::InputError&) {
    thrown = true;
  }
  CHECK(on_all_ranks(thrown));
}

TEST_CASE("a non-finite sample on one rank fails every rank", "[tensor][distributed]") {
  // The last slab (the last rank's) holds z = 1, where the function is not finite.
  const BatchFunction bad = [](const Eigen::MatrixXd& p, Eigen::VectorXd& v) {
    for (Index j = 0; j < p.cols(); ++j) v[j] = p(2, j) == 1.0 ? std::nan("") : 1.0;
  };
  std::string message;
  try {
    DistributedTensor::sample(test_comm(), bad, grid_of({3, 3, 4}));
  } catch (const kolmo::InputError& e) {
    message = e.what();
  }
  CHECK(on_all_ranks(message.find("not finite") != std::string::npos));
  CHECK(on_all_ranks(message.find(", 1)") != std::string::npos));
}

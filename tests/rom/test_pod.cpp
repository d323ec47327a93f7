// POD in the X inner product: known singular values of manufactured snapshot sets (S = Phi Sigma
// W^T with X-orthonormal Phi and orthonormal W), the energy truncation, the method of snapshots'
// accuracy limit, the incremental variant against the full one, POD of a snapshot file, and the
// same results on any number of ranks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "core/snapshot_store.hpp"
#include "mpi_test_helpers.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/pod.hpp"
#include "solvers/truth_solver.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

// sigma_k = 10^(-0.7 k), k = 0..r-1: from 1 down to 10^(-0.7 (r-1)).
std::vector<double> decaying(int r) {
  std::vector<double> s;
  for (int k = 0; k < r; ++k) s.push_back(std::pow(10.0, -0.7 * k));
  return s;
}

struct Manufactured {
  std::unique_ptr<operators::ThermalBlockProblem> problem;
  BVHandle phi;
  std::vector<double> sigma;
  Eigen::MatrixXd w;
  int m = 0;

  Manufactured(MPI_Comm comm, int r, int m_) : problem(kolmo::testing::small_thermal_block(comm, 16)), m(m_) {
    phi = kolmo::testing::orthonormal_modes(problem->inner_product(), r);
    sigma = decaying(r);
    w = kolmo::testing::orthonormal_columns(m, r, 7);
  }
  PodResult pod(const PodOptions& options) const {
    return compute_pod(problem->inner_product(), m,
                       [&](std::int64_t j, Vec out) { kolmo::testing::manufactured_snapshot(phi, sigma, w, j, out); },
                       options);
  }
};

// |(mode_k, phi_k)_X| for the first k modes.
std::vector<double> alignment(Mat x, BV modes, BV phi, int k) {
  std::vector<double> a;
  for (int i = 0; i < k; ++i) {
    Vec u = nullptr, v = nullptr;
    KOLMO_PETSC_CALL(BVGetColumn(modes, i, &u));
    KOLMO_PETSC_CALL(BVGetColumn(phi, i, &v));
    a.push_back(std::abs(kolmo::testing::x_dot(x, u, v)));
    KOLMO_PETSC_CALL(BVRestoreColumn(phi, i, &v));
    KOLMO_PETSC_CALL(BVRestoreColumn(modes, i, &u));
  }
  return a;
}

double orthonormality_defect(Mat x, BV modes, int k) {
  double worst = 0;
  VecHandle u, v;
  KOLMO_PETSC_CALL(MatCreateVecs(x, u.out(), v.out()));
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      KOLMO_PETSC_CALL(BVCopyVec(modes, i, u));
      KOLMO_PETSC_CALL(BVCopyVec(modes, j, v));
      const double d = kolmo::testing::x_dot(x, u, v) - (i == j ? 1.0 : 0.0);
      worst = std::max(worst, std::abs(d));
    }
  return worst;
}

}  // namespace

TEST_CASE("QR POD recovers prescribed singular values to machine precision", "[rom][pod]") {
  const Manufactured data(test_comm(), 20, 30);  // rank 20, sigma from 1 to 10^-13.3
  const auto result = data.pod({"qr", 0.0, 0, 16});
  REQUIRE(result.singular_values.size() == 30);
  for (int k = 0; k < 20; ++k) {
    INFO("k = " << k << ": sigma " << result.singular_values[k] << " expected " << data.sigma[k]);
    CHECK(std::abs(result.singular_values[k] - data.sigma[k]) <= 1e-14);
  }
  for (int k = 20; k < 30; ++k) CHECK(result.singular_values[k] <= 1e-14);
  // Every exact mode is found: sigma_19 = 10^-13.3 is above the floor m eps sigma_1 = 6.7e-15.
  CHECK(result.size == 20);
  CHECK(result.total_energy == Approx(1.0 / (1.0 - std::pow(10.0, -1.4))).epsilon(1e-12));
  // Modes are X-orthonormal and match the prescribed ones where the singular values are well
  // above round-off (the mode error is about eps / sigma_k).
  CHECK(orthonormality_defect(data.problem->inner_product(), result.modes, result.size) < 1e-13);
  const auto a = alignment(data.problem->inner_product(), result.modes, data.phi, 12);
  for (int k = 0; k < 12; ++k) {
    INFO("mode " << k);
    CHECK(a[k] == Approx(1.0).margin(1e-6));
  }
}

TEST_CASE("the method of snapshots is accurate only above sqrt(eps) sigma_1", "[rom][pod]") {
  const Manufactured data(test_comm(), 20, 30);
  const auto qr = data.pod({"qr", 0.0, 0, 16});
  const auto snapshots = data.pod({"snapshots", 0.0, 0, 16});
  // Large singular values agree; below the floor sqrt(m eps) sigma_1 ~ 8e-8 the modes are noise
  // and are not kept.
  for (int k = 0; k < 6; ++k) {  // sigma down to 3e-4
    INFO("k = " << k);
    CHECK(snapshots.singular_values[k] == Approx(data.sigma[k]).epsilon(1e-9));
  }
  CHECK(snapshots.size == 11);  // sigma_10 = 1e-7 > 8.2e-8 > sigma_11 = 2e-8
  CHECK(qr.size == 20);
  // The squared condition number shows: the snapshot-method value of sigma_15 (1e-10.5) is wrong
  // by orders of magnitude, while QR has it to 1e-14 absolute.
  CHECK(std::abs(snapshots.singular_values[15] - data.sigma[15]) > 1e-3 * data.sigma[15]);
  CHECK(std::abs(qr.singular_values[15] - data.sigma[15]) < 1e-14);
}

TEST_CASE("POD truncation honours the energy criterion and the maximal size", "[rom][pod]") {
  const Manufactured data(test_comm(), 20, 30);
  double total = 0;
  for (double s : data.sigma) total += s * s;
  for (double tolerance : {1e-1, 1e-3, 1e-6}) {
    const auto result = data.pod({"qr", tolerance, 0, 16});
    // Expected: the smallest N with sum_{k >= N} sigma_k^2 <= tol^2 total.
    int expected = 0;
    double tail = total;
    while (tail > tolerance * tolerance * total) {
      const double s = data.sigma[static_cast<std::size_t>(expected)];
      tail -= s * s;
      ++expected;
    }
    INFO("tolerance " << tolerance);
    CHECK(result.size == expected);
    double discarded = 0, all = 0;
    for (std::size_t k = 0; k < result.singular_values.size(); ++k) {
      all += result.singular_values[k] * result.singular_values[k];
      if (static_cast<int>(k) >= result.size) discarded += result.singular_values[k] * result.singular_values[k];
    }
    CHECK(discarded <= tolerance * tolerance * all);
    const double with_one_less =
        discarded + result.singular_values[static_cast<std::size_t>(result.size - 1)] *
                        result.singular_values[static_cast<std::size_t>(result.size - 1)];
    CHECK(with_one_less > tolerance * tolerance * all);
  }
  CHECK(data.pod({"qr", 1e-12, 5, 16}).size == 5);
  CHECK(truncation_size({3.0, 2.0, 1.0}, 0.0, 0, 1.5) == 2);
  CHECK(truncation_size({3.0, 2e-3}, 1e-3, 0) == 1);
  CHECK(truncation_size({3.0, 4e-3}, 1e-3, 0) == 2);
}

TEST_CASE("incremental POD equals the full one", "[rom][pod]") {
  const Manufactured data(test_comm(), 20, 30);
  const auto full = data.pod({"qr", 0.0, 0, 16});
  SECTION("no truncation: the same singular values and modes") {
    const auto incremental = data.pod({"incremental", 0.0, 0, 7});  // 7 does not divide 30
    REQUIRE(incremental.size == full.size);
    for (int k = 0; k < full.size; ++k) {
      INFO("k = " << k);
      CHECK(std::abs(incremental.singular_values[k] - full.singular_values[k]) < 1e-13);
    }
    CHECK(incremental.discarded_energy < 1e-26);
    const auto a = alignment(data.problem->inner_product(), incremental.modes, full.modes, 12);
    for (int k = 0; k < 12; ++k) CHECK(a[k] == Approx(1.0).margin(1e-6));
    CHECK(orthonormality_defect(data.problem->inner_product(), incremental.modes, incremental.size) < 1e-13);
  }
  SECTION("with truncation: the same size and singular values within the tolerance") {
    const double tolerance = 1e-4;
    const auto incremental = data.pod({"incremental", tolerance, 0, 4});
    const auto reference = data.pod({"qr", tolerance, 0, 16});
    CHECK(incremental.size == reference.size);
    for (int k = 0; k < reference.size; ++k)
      CHECK(std::abs(incremental.singular_values[k] - reference.singular_values[k]) <=
            tolerance * reference.singular_values[0]);
    CHECK(incremental.discarded_energy <= 0.01 * tolerance * tolerance * incremental.total_energy);
  }
  SECTION("a size cap during the updates keeps the leading modes") {
    const auto incremental = data.pod({"incremental", 0.0, 8, 5});
    REQUIRE(incremental.size == 8);
    // Dropping during the updates perturbs the matrix by at most the square root of the dropped
    // energy, and so the singular values (Weyl).
    const double perturbation = std::sqrt(incremental.discarded_energy);
    for (int k = 0; k < 8; ++k)
      CHECK(std::abs(incremental.singular_values[k] - full.singular_values[k]) <= perturbation);
  }
}

TEST_CASE("POD gives the same singular values on any number of ranks", "[rom][pod][mpi]") {
  const Manufactured distributed(test_comm(), 20, 30);
  const Manufactured serial(PETSC_COMM_SELF, 20, 30);
  for (const char* method : {"qr", "snapshots", "incremental"}) {
    const auto a = distributed.pod({method, 1e-9, 0, 6});
    const auto b = serial.pod({method, 1e-9, 0, 6});
    INFO(method);
    REQUIRE(on_all_ranks(a.size == b.size));
    // The method of snapshots has sigma_k only to about eps sigma_1^2 / sigma_k.
    const double margin = std::string(method) == "snapshots" ? 1e-8 : 1e-13;
    bool same = true;
    for (int k = 0; k < a.size; ++k) same = same && std::abs(a.singular_values[k] - b.singular_values[k]) <= margin;
    CHECK(on_all_ranks(same));
  }
}

TEST_CASE("POD of a snapshot file equals POD of the same vectors", "[rom][pod][store]") {
  const MPI_Comm comm = test_comm();
  auto problem = kolmo::testing::small_thermal_block(comm, 16);
  const std::vector<Mu> sample = {{0.1, 0.5, 1.0, 0.3}, {1.0, 1.0, 1.0, 1.0}, {0.2, 0.9, 0.4, 0.7},
                                  {0.5, 0.1, 0.8, 0.6}, {0.9, 0.3, 0.2, 0.1}};
  char path[64];
  std::snprintf(path, sizeof path, "test_pod_store_np%d.h5", comm_size(comm));
  if (comm_rank(comm) == 0) std::remove(path);
  MPI_Barrier(comm);
  SnapshotHeader header;
  header.problem_type = problem->type();
  header.parameter_names = problem->parameter_space().names();
  header.output_names = problem->output_names();
  header.vector_size = problem->global_size();
  header.layout = problem->field_layout();
  std::vector<VecHandle> solutions;
  {
    auto store = SnapshotStore::create_or_resume(comm, path, header, sample);
    VecHandle natural = problem->create_natural_vector();
    for (std::size_t i = 0; i < sample.size(); ++i) {
      if (i == 2) continue;  // an incomplete slot is skipped by the POD
      solutions.push_back(kolmo::testing::solve_problem(*problem, sample[i]));
      problem->to_natural(solutions.back(), natural);
      store.write(static_cast<std::int64_t>(i), natural, {0.0}, {});
    }
    store.close();
  }
  auto store = SnapshotStore::open(comm, path);
  const auto from_file = compute_pod(*problem, store, {"qr", 0.0, 0, 16});
  const auto direct = compute_pod(problem->inner_product(), 4,
                                  [&](std::int64_t j, Vec out) { KOLMO_PETSC_CALL(VecCopy(solutions[j], out)); },
                                  {"qr", 0.0, 0, 16});
  REQUIRE(from_file.snapshot_count == 4);
  REQUIRE(from_file.size == direct.size);
  for (int k = 0; k < direct.size; ++k)
    CHECK(from_file.singular_values[k] == Approx(direct.singular_values[k]).epsilon(1e-14));
  store.close();
}

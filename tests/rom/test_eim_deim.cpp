// DEIM of parametrized PETSc vectors: the error bound ||f - f_D|| <= ||(P^T U)^-1|| ||(I - UU^T) f||
// at unseen parameters, interpolation at the indices, an orthonormal POD basis, exactness on a
// family of known rank, and the AffineVector form.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "rom/deim.hpp"

using namespace kolmo;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt n = 400;

double node(PetscInt i) { return (static_cast<double>(i) + 0.5) / n; }

// f(mu)_i = exp(-(x_i - mu)^2 / 0.01) + mu x_i^2: a moving bump, not of low rank.
double bump(PetscInt i, double mu) {
  const double x = node(i);
  return std::exp(-(x - mu) * (x - mu) / 0.01) + mu * x * x;
}

template <class F>
VecHandle make_vector(MPI_Comm comm, F&& entry) {
  VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(comm, PETSC_DECIDE, n, v.out()));
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &lo, &hi));
  for (PetscInt i = lo; i < hi; ++i) KOLMO_PETSC_CALL(VecSetValue(v, i, entry(i), INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(v));
  KOLMO_PETSC_CALL(VecAssemblyEnd(v));
  return v;
}

double norm(Vec v) {
  PetscReal r = 0;
  KOLMO_PETSC_CALL(VecNorm(v, NORM_2, &r));
  return r;
}

double distance(Vec a, Vec b) {
  VecHandle d;
  KOLMO_PETSC_CALL(VecDuplicate(a, d.out()));
  KOLMO_PETSC_CALL(VecWAXPY(d, -1.0, b, a));
  return norm(d);
}

std::vector<VecHandle> bump_snapshots(MPI_Comm comm, int count) {
  std::vector<VecHandle> s;
  for (int k = 0; k < count; ++k) {
    const double mu = 0.2 + 0.6 * k / (count - 1);
    s.push_back(make_vector(comm, [mu](PetscInt i) { return bump(i, mu); }));
  }
  return s;
}

std::vector<Vec> raw(const std::vector<VecHandle>& handles) {
  std::vector<Vec> v;
  for (const auto& h : handles) v.push_back(h);
  return v;
}

}  // namespace

TEST_CASE("DEIM error is bounded by the DEIM constant times the POD error", "[rom][deim]") {
  const auto snapshots = bump_snapshots(test_comm(), 41);
  rom::DeimOptions options;
  options.tolerance = 1e-6;
  const rom::Deim deim(raw(snapshots), options);
  REQUIRE(deim.size() >= 5);
  REQUIRE(deim.size() < 41);
  INFO("DEIM size " << deim.size() << ", constant " << deim.constant());
  CHECK(deim.constant() >= 1.0);  // ||(P^T U)^-1|| >= 1 for orthonormal U
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.2, 0.8);
  double worst_ratio = 0;
  for (int k = 0; k < 10; ++k) {
    const double mu = u(rng);
    VecHandle f = make_vector(test_comm(), [mu](PetscInt i) { return bump(i, mu); });
    VecHandle approx;
    KOLMO_PETSC_CALL(VecDuplicate(f, approx.out()));
    deim.approximate(f, approx);
    const double error = distance(f, approx), pod = deim.projection_error(f);
    CHECK(error <= deim.constant() * pod * (1 + 1e-8) + 1e-13 * norm(f));
    CHECK(error >= pod * (1 - 1e-8));  // no approximation from span U beats the projection
    CHECK(error < 1e-3 * norm(f));
    worst_ratio = std::max(worst_ratio, error / pod);
    // Interpolation: the approximation equals f at the indices.
    const Eigen::VectorXd at_f = deim.gather(f), at_approx = deim.gather(approx);
    CHECK((at_f - at_approx).cwiseAbs().maxCoeff() < 1e-12);
  }
  WARN("DEIM: size " << deim.size() << ", constant " << deim.constant()
                     << ", worst error / POD error " << worst_ratio);
}

TEST_CASE("DEIM basis is orthonormal, indices are distinct, a rank-3 family is exact",
          "[rom][deim]") {
  // f(mu) = v0 + mu v1 + mu^2 v2: three nonzero singular values.
  std::vector<VecHandle> snapshots;
  for (int k = 0; k < 12; ++k) {
    const double mu = -1.0 + 2.0 * k / 11;
    snapshots.push_back(make_vector(test_comm(), [mu](PetscInt i) {
      const double x = node(i);
      return std::sin(3 * x) + mu * x * x + mu * mu * std::cos(7 * x);
    }));
  }
  const rom::Deim deim(raw(snapshots), rom::DeimOptions{});
  CHECK(deim.size() == 3);
  CHECK(deim.singular_values()[3] < 1e-6 * deim.singular_values()[0]);
  const Eigen::MatrixXd local_gram = deim.local_basis().transpose() * deim.local_basis();
  Eigen::MatrixXd gram(3, 3);
  MPI_Allreduce(local_gram.data(), gram.data(), 9, MPI_DOUBLE, MPI_SUM, test_comm());
  CHECK((gram - Eigen::MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-13);
  auto indices = deim.indices();
  std::sort(indices.begin(), indices.end());
  CHECK(std::adjacent_find(indices.begin(), indices.end()) == indices.end());
  const double mu = 0.377;
  VecHandle f = make_vector(test_comm(), [mu](PetscInt i) {
    const double x = node(i);
    return std::sin(3 * x) + mu * x * x + mu * mu * std::cos(7 * x);
  });
  VecHandle approx;
  KOLMO_PETSC_CALL(VecDuplicate(f, approx.out()));
  deim.approximate(f, approx);
  CHECK(distance(f, approx) < 1e-12 * norm(f));
}

TEST_CASE("DEIM as an AffineVector with entries from a callable", "[rom][deim]") {
  const auto snapshots = bump_snapshots(test_comm(), 31);
  rom::DeimOptions options;
  options.tolerance = 1e-5;
  const rom::Deim deim(raw(snapshots), options);
  const auto indices = deim.indices();
  const auto affine = deim.affine_vector(
      snapshots[0],
      [indices](const Mu& mu) {
        Eigen::VectorXd e(static_cast<Eigen::Index>(indices.size()));
        for (std::size_t k = 0; k < indices.size(); ++k)
          e(static_cast<Eigen::Index>(k)) = bump(indices[k], mu[0]);
        return e;
      },
      "bump entries");
  REQUIRE(affine.num_terms() == static_cast<std::size_t>(deim.size()));
  CHECK(affine.coefficient(0).text() == "deim_0 (bump entries)");
  const double mu = 0.51;
  VecHandle f = make_vector(test_comm(), [mu](PetscInt i) { return bump(i, mu); });
  VecHandle a, b;
  KOLMO_PETSC_CALL(VecDuplicate(f, a.out()));
  KOLMO_PETSC_CALL(VecDuplicate(f, b.out()));
  affine.assemble({mu}, a);
  deim.approximate(f, b);
  CHECK(distance(a, b) < 1e-12 * norm(f));
}

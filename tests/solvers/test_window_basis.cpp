// The sliding window basis of the projection guess: after any number of vectors have come and
// gone, W stays orthonormal and spans exactly the last `capacity` vectors kept, also when they are
// nearly parallel (the solutions along a slowly varying path), where the Givens downdate must not
// lose the small directions. A vector depending on those kept is not kept. The same on 1 and 2
// ranks.
#include <catch2/catch.hpp>

#include <mpi.h>

#include <Eigen/Dense>

#include <cmath>
#include <vector>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/window_basis.hpp"

using kolmo::testing::test_comm;
namespace ks = kolmo::solvers;
namespace kt = kolmo::testing;

namespace {

constexpr PetscInt grid = 10;  // 100 rows

// W^T W - I, its largest entry in magnitude. Collective.
double orthonormality_error(const ks::WindowBasis& basis) {
  const auto w = basis.local();
  Eigen::MatrixXd gram = w.transpose() * w;
  MPI_Allreduce(MPI_IN_PLACE, gram.data(), static_cast<int>(gram.size()), MPI_DOUBLE, MPI_SUM, test_comm());
  return (gram - Eigen::MatrixXd::Identity(gram.rows(), gram.cols())).cwiseAbs().maxCoeff();
}

// ||v - W W^T v|| / ||v||: zero when v lies in the span of W. Collective.
double distance_to_span(const ks::WindowBasis& basis, Vec v) {
  const auto w = basis.local();
  const PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(v, &values));
  const Eigen::Map<const Eigen::VectorXd> x(values, w.rows());
  Eigen::VectorXd c = w.transpose() * x;
  MPI_Allreduce(MPI_IN_PLACE, c.data(), static_cast<int>(c.size()), MPI_DOUBLE, MPI_SUM, test_comm());
  double norms[2] = {(x - w * c).squaredNorm(), x.squaredNorm()};
  KOLMO_PETSC_CALL(VecRestoreArrayRead(v, &values));
  MPI_Allreduce(MPI_IN_PLACE, norms, 2, MPI_DOUBLE, MPI_SUM, test_comm());
  return std::sqrt(norms[0] / norms[1]);
}

}  // namespace

TEST_CASE("a window basis spans the last vectors kept and stays orthonormal", "[solvers][projection]") {
  const auto a = kt::grid_matrix(test_comm(), grid);
  std::vector<kolmo::VecHandle> v;
  for (unsigned seed = 1; seed <= 9; ++seed) v.push_back(kt::random_vector(a, seed));
  ks::WindowBasis basis(4);
  CHECK(basis.empty());
  for (std::size_t i = 0; i < v.size(); ++i) {
    REQUIRE(basis.add(v[i]));
    CHECK(basis.size() == std::min<std::size_t>(i + 1, 4));
  }
  CHECK(orthonormality_error(basis) < 1e-13);
  for (std::size_t i = 5; i < 9; ++i) CHECK(distance_to_span(basis, v[i]) < 1e-12);
  // The vectors that left are no longer in the span: random vectors are far from it.
  for (std::size_t i = 0; i < 5; ++i) CHECK(distance_to_span(basis, v[i]) > 0.5);
}

TEST_CASE("a window basis keeps the small directions of nearly parallel vectors", "[solvers][projection]") {
  // v(t) = c_0 + sum_{p = 1, 2} (cos(p t) c_{2p-1} + sin(p t) c_{2p}), a closed path in a space of
  // dimension 5, sampled at steps of 0.03: five consecutive samples span that space, but the newest
  // one's component orthogonal to the four before it is about 1e-6 of its norm. After 2100 slides
  // (ten times around the path) the window of five must still contain every c_p, to the accuracy
  // that so small a component allows (about 1e-16 / 1e-6), without losing more with each slide.
  const auto a = kt::grid_matrix(test_comm(), grid);
  std::vector<kolmo::VecHandle> c;
  for (unsigned seed = 11; seed <= 15; ++seed) c.push_back(kt::random_vector(a, seed));
  auto sample = [&](double t) {
    const double weights[5] = {1.0, std::cos(t), std::sin(t), std::cos(2 * t), std::sin(2 * t)};
    kolmo::VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(c[0], x.out()));
    KOLMO_PETSC_CALL(VecSet(x, 0.0));
    for (std::size_t p = 0; p < c.size(); ++p) KOLMO_PETSC_CALL(VecAXPY(x, weights[p], c[p]));
    return x;
  };
  ks::WindowBasis basis(5);
  std::size_t kept = 0;
  for (int step = 0; step < 2100; ++step) kept += basis.add(sample(0.03 * step)) ? 1 : 0;
  CHECK(kept == 2100);
  CHECK(basis.size() == 5);
  CHECK(orthonormality_error(basis) < 1e-12);
  // Every c_p, so every point of the path, lies in the span.
  for (const auto& term : c) CHECK(distance_to_span(basis, term) < 1e-8);
  CHECK(distance_to_span(basis, sample(2.0)) < 1e-8);
}

TEST_CASE("a vector depending on those in the window is not kept", "[solvers][projection]") {
  const auto a = kt::grid_matrix(test_comm(), grid);
  const auto first = kt::random_vector(a, 21);
  const auto second = kt::random_vector(a, 22);
  kolmo::VecHandle combination;
  KOLMO_PETSC_CALL(VecDuplicate(first, combination.out()));
  KOLMO_PETSC_CALL(VecWAXPY(combination, -2.0, first, second));
  ks::WindowBasis basis(3);
  REQUIRE(basis.add(first));
  REQUIRE(basis.add(second));
  CHECK_FALSE(basis.add(combination));
  CHECK(basis.size() == 2);
  kolmo::VecHandle zero;
  KOLMO_PETSC_CALL(VecDuplicate(first, zero.out()));
  KOLMO_PETSC_CALL(VecSet(zero, 0.0));
  CHECK_FALSE(basis.add(zero));
  CHECK(basis.size() == 2);
  // Full, the oldest leaves before the new vector is judged: `first` again is then independent.
  REQUIRE(basis.add(kt::random_vector(a, 23)));
  REQUIRE(basis.add(first));
  CHECK(basis.size() == 3);
  CHECK(distance_to_span(basis, second) < 1e-12);
}

// The projection guess of a sequence: whatever the mode (affine reduced basis or window of recent
// solutions), a vector in the span of the solutions kept is reproduced, and a guess satisfies the
// optimality conditions of its projection: Galerkin orthogonality of the residual to the span
// (energy-norm projection) or orthogonality to its image (minimal residual). A full affine basis
// restarts from the latest half of the solutions, with the guesses of a basis built afresh from
// them; solutions kept without extending the basis, or depending on those kept, do not enter it.
// The same on 1 and 2 ranks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/affine_operator.hpp"
#include "operators/coefficient.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/projection_guess.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace ks = kolmo::solvers;
namespace ko = kolmo::operators;
namespace kt = kolmo::testing;

namespace {

constexpr PetscInt grid = 12;  // 144 unknowns

// a - b, with the union of their patterns. Collective.
kolmo::MatHandle difference(Mat a, Mat b) {
  kolmo::MatHandle d;
  KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, d.out()));
  KOLMO_PETSC_CALL(MatAXPY(d, -1.0, b, DIFFERENT_NONZERO_PATTERN));
  return d;
}

// Terms of a parametrized operator: the Laplacian and a positive diagonal (SPD for positive
// coefficients), and, when `convection`, a skew-symmetric convection term (nonsymmetric).
ko::AffineOperator make_terms(bool convection) {
  ko::AffineOperator lhs(test_comm());
  auto laplacian = kt::grid_matrix(test_comm(), grid);
  auto shifted = kt::grid_matrix(test_comm(), grid, 0.0, [](PetscInt row) { return 1.0 + 0.01 * (row % 7); });
  auto diagonal = difference(shifted, laplacian);
  if (convection) {
    auto convected = kt::grid_matrix(test_comm(), grid, 0.4);
    auto skew = difference(convected, laplacian);
    lhs.add_term(std::move(laplacian), ko::Coefficient::constant(1.0), "K");
    lhs.add_term(std::move(diagonal), ko::Coefficient::constant(1.0), "M");
    lhs.add_term(std::move(skew), ko::Coefficient::constant(1.0), "C");
  } else {
    lhs.add_term(std::move(laplacian), ko::Coefficient::constant(1.0), "K");
    lhs.add_term(std::move(diagonal), ko::Coefficient::constant(1.0), "M");
  }
  return lhs;
}

// sum_q theta_q A_q. Collective.
kolmo::MatHandle assemble(const ko::AffineOperator& lhs, const std::vector<double>& theta) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(MatDuplicate(lhs.matrix(0), MAT_COPY_VALUES, a.out()));
  KOLMO_PETSC_CALL(MatScale(a, theta[0]));
  for (std::size_t q = 1; q < lhs.num_terms(); ++q)
    KOLMO_PETSC_CALL(MatAXPY(a, theta[q], lhs.matrix(q), DIFFERENT_NONZERO_PATTERN));
  return a;
}

// sum_i c_i v_i. Collective.
kolmo::VecHandle combine(const std::vector<Vec>& v, const std::vector<double>& c) {
  kolmo::VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(v[0], x.out()));
  KOLMO_PETSC_CALL(VecSet(x, 0.0));
  for (std::size_t i = 0; i < c.size(); ++i) KOLMO_PETSC_CALL(VecAXPY(x, c[i], v[i]));
  return x;
}

// b = a x. Collective.
kolmo::VecHandle apply(Mat a, Vec x) {
  kolmo::VecHandle b;
  KOLMO_PETSC_CALL(VecDuplicate(x, b.out()));
  KOLMO_PETSC_CALL(MatMult(a, x, b));
  return b;
}

// |x^T y| / (||x|| ||y||). Collective.
double cosine(Vec x, Vec y) {
  PetscScalar dot = 0;
  PetscReal nx = 0, ny = 0;
  KOLMO_PETSC_CALL(VecDot(x, y, &dot));
  KOLMO_PETSC_CALL(VecNorm(x, NORM_2, &nx));
  KOLMO_PETSC_CALL(VecNorm(y, NORM_2, &ny));
  return std::abs(PetscRealPart(dot)) / (nx * ny);
}

struct Mode {
  bool affine;
  bool galerkin;
  const char* name;
};

const std::vector<Mode> modes = {{true, true, "affine, Galerkin"},
                                 {true, false, "affine, minimal residual"},
                                 {false, true, "window, Galerkin"},
                                 {false, false, "window, minimal residual"}};

// A parametrized operator at one parameter value (theta: the Laplacian's and the diagonal's
// coefficients; the convection term, when not Galerkin, gets 1.5), and `count` vectors standing for
// the solutions kept (pseudo-random: the projection does not care where they come from). Collective.
struct Kept {
  Kept(bool galerkin, std::vector<double> coefficients, unsigned first_seed, unsigned count)
      : lhs(make_terms(!galerkin)), theta(std::move(coefficients)) {
    if (!galerkin) theta.push_back(1.5);
    a = assemble(lhs, theta);
    for (unsigned seed = first_seed; seed < first_seed + count; ++seed) v.push_back(kt::random_vector(a, seed));
  }
  ko::AffineOperator lhs;
  std::vector<double> theta;
  kolmo::MatHandle a;
  std::vector<kolmo::VecHandle> v;
};

}  // namespace

TEST_CASE("a projection guess reproduces a vector in the span of the solutions kept", "[solvers][projection]") {
  for (const Mode& mode : modes) {
    SECTION(mode.name) {
      const Kept kept(mode.galerkin, {0.7, 2.0}, 1, 3);
      ks::ProjectionGuess guess(kept.lhs, 8, mode.affine, mode.galerkin);
      CHECK(guess.empty());
      for (const auto& v : kept.v) guess.remember(v, true);
      CHECK_FALSE(guess.empty());
      const auto x = combine({kept.v[0], kept.v[1], kept.v[2]}, {0.3, -0.7, 0.2});
      const auto rhs = apply(kept.a, x);
      kolmo::VecHandle u;
      KOLMO_PETSC_CALL(VecDuplicate(x, u.out()));
      REQUIRE(guess.form(rhs, kept.a, kept.theta, u));
      CHECK(kt::relative_difference(u, x) < 1e-9);
    }
  }
}

TEST_CASE("a projection guess satisfies the optimality conditions of its projection", "[solvers][projection]") {
  for (const Mode& mode : modes) {
    SECTION(mode.name) {
      const Kept kept(mode.galerkin, {1.3, 0.5}, 11, 5);
      const Mat a = kept.a;
      ks::ProjectionGuess guess(kept.lhs, 8, mode.affine, mode.galerkin);
      for (const auto& v : kept.v) guess.remember(v, true);
      const auto rhs = kt::random_vector(a, 99);  // not in the span's image
      kolmo::VecHandle u, r;
      KOLMO_PETSC_CALL(VecDuplicate(rhs, u.out()));
      REQUIRE(guess.form(rhs, a, kept.theta, u));
      KOLMO_PETSC_CALL(VecDuplicate(rhs, r.out()));
      KOLMO_PETSC_CALL(MatMult(a, u, r));
      KOLMO_PETSC_CALL(VecAYPX(r, -1.0, rhs));
      // Galerkin: f - A u orthogonal to every v_i. Minimal residual: orthogonal to every A v_i.
      // (The other condition fails by far: the residual is not small.)
      bool optimal = true, other = true;
      for (const auto& v : kept.v) {
        const auto image = apply(a, v);
        const double own = mode.galerkin ? cosine(r, v) : cosine(r, image);
        const double theirs = mode.galerkin ? cosine(r, image) : cosine(r, v);
        optimal = optimal && own < 1e-10;
        other = other && theirs < 1e-6;
      }
      CHECK(on_all_ranks(optimal));
      CHECK_FALSE(on_all_ranks(other));
    }
  }
}

TEST_CASE("a full affine basis restarts from the latest half of the solutions", "[solvers][projection]") {
  const auto lhs = make_terms(true);
  const std::vector<double> theta = {1.0, 1.0, 1.0};
  const auto a = assemble(lhs, theta);
  std::vector<kolmo::VecHandle> kept;
  for (unsigned seed = 21; seed <= 25; ++seed) kept.push_back(kt::random_vector(a, seed));
  ks::ProjectionGuess guess(lhs, 4, true, false);
  kolmo::VecHandle u;
  KOLMO_PETSC_CALL(VecDuplicate(kept[0], u.out()));
  auto reproduces = [&](Vec x) {
    const auto rhs = apply(a, x);
    return guess.form(rhs, a, theta, u) && kt::relative_difference(u, x) < 1e-9;
  };
  for (std::size_t i = 0; i < 4; ++i) guess.remember(kept[i], true);
  CHECK(guess.dimension() == 4);
  CHECK(reproduces(kept[0]));
  guess.remember(kept[4], true);  // full: the basis restarts from the latest two, v_4 and v_5
  CHECK(guess.dimension() == 2);
  CHECK(reproduces(combine({kept[3], kept[4]}, {0.6, -0.4})));
  CHECK_FALSE(reproduces(kept[0]));
}

TEST_CASE("a restarted affine basis gives the guesses of a basis built afresh from the same solutions",
          "[solvers][projection]") {
  // Whatever the basis went through (solutions kept without extending V, which enter it at the
  // next restart; a multiple of an earlier solution; three restarts), its guesses must be those of
  // a basis that orthonormalises the solutions it should span anew.
  for (const bool galerkin : {true, false}) {
    SECTION(galerkin ? "Galerkin" : "minimal residual") {
      const Kept kept(galerkin, {0.9, 1.7}, 41, 20);
      const std::size_t size = 6;
      ks::ProjectionGuess guess(kept.lhs, size, true, galerkin);
      std::vector<Vec> latest, spanned;  // the solutions kept for a restart; what V must span
      const auto rhs = kt::random_vector(kept.a, 7);
      kolmo::VecHandle twice, u, fresh_u;
      KOLMO_PETSC_CALL(VecDuplicate(rhs, twice.out()));
      KOLMO_PETSC_CALL(VecCopy(kept.v[9], twice));
      KOLMO_PETSC_CALL(VecScale(twice, -2.0));
      KOLMO_PETSC_CALL(VecDuplicate(rhs, u.out()));
      KOLMO_PETSC_CALL(VecDuplicate(rhs, fresh_u.out()));
      int restarts = 0;
      double worst = 0;
      for (std::size_t i = 0; i < kept.v.size(); ++i) {
        const Vec x = i == 11 ? Vec(twice) : Vec(kept.v[i]);
        const bool extend = i % 5 != 3;
        latest.push_back(x);
        if (latest.size() > size / 2) latest.erase(latest.begin());
        if (extend && guess.dimension() == size) {
          spanned = latest;
          ++restarts;
        } else if (extend) {
          spanned.push_back(x);
        }
        guess.remember(x, extend);
        ks::ProjectionGuess fresh(kept.lhs, size, true, galerkin);
        for (const Vec y : spanned) fresh.remember(y, true);
        INFO("after solution " << i);
        REQUIRE(guess.dimension() == fresh.dimension());
        REQUIRE(guess.form(rhs, kept.a, kept.theta, u));
        REQUIRE(fresh.form(rhs, kept.a, kept.theta, fresh_u));
        worst = std::max(worst, kt::relative_difference(u, fresh_u));
      }
      CHECK(restarts == 3);
      CHECK(worst < 1e-10);
    }
  }
}

TEST_CASE("solutions outside the basis or depending on it do not enter an affine basis", "[solvers][projection]") {
  const auto lhs = make_terms(false);
  const std::vector<double> theta = {1.0, 1.0};
  const auto a = assemble(lhs, theta);
  const auto v = kt::random_vector(a, 31);
  kolmo::VecHandle u;
  KOLMO_PETSC_CALL(VecDuplicate(v, u.out()));
  const auto rhs = apply(a, v);

  ks::ProjectionGuess affine(lhs, 4, true, true);
  affine.remember(v, false);
  CHECK(affine.empty());
  CHECK_FALSE(affine.form(rhs, a, theta, u));
  ks::ProjectionGuess window(lhs, 4, false, true);
  window.remember(v, false);
  CHECK_FALSE(window.empty());

  kolmo::VecHandle twice;
  KOLMO_PETSC_CALL(VecDuplicate(v, twice.out()));
  KOLMO_PETSC_CALL(VecCopy(v, twice));
  KOLMO_PETSC_CALL(VecScale(twice, 2.0));
  affine.remember(v, true);
  affine.remember(twice, true);  // depends on v: dropped
  CHECK(affine.dimension() == 1);
  REQUIRE(affine.form(rhs, a, theta, u));
  CHECK(kt::relative_difference(u, v) < 1e-9);
}

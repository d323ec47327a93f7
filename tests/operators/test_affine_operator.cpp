// AffineOperator::assemble sums the terms straight into the assembled matrix's arrays: the result
// must equal PETSc's own MatAXPY sum for terms with different patterns (a diagonal, a stencil that
// couples rows across ranks, a one-sided band), at every rank count and for repeated assemblies,
// and each assembly must change the matrix's state so that a preconditioner sees the new values.
#include <catch2/catch.hpp>

#include <petsc/private/petscimpl.h>

#include "core/error.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/affine_operator.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace ops = kolmo::operators;

namespace {

constexpr PetscInt n = 40;

/// An n x n AIJ matrix with entries at column offsets `offsets` from the diagonal,
/// value (1 + row + 2 column) * scale. Collective.
kolmo::MatHandle band(const std::vector<PetscInt>& offsets, double scale) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 3,
                                nullptr, a.out()));
  PetscInt first = 0, last = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &first, &last));
  for (PetscInt i = first; i < last; ++i)
    for (PetscInt o : offsets)
      if (i + o >= 0 && i + o < n)
        KOLMO_PETSC_CALL(MatSetValue(a, i, i + o, (1.0 + i + 2.0 * (i + o)) * scale, INSERT_VALUES));
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

}  // namespace

TEST_CASE("assemble equals the MatAXPY sum of terms with different patterns", "[operators]") {
  ops::AffineOperator a(test_comm());
  a.add_term(band({0}, 1.0), ops::Coefficient([](const kolmo::Mu& mu) { return mu[0]; }, "mu1"));
  a.add_term(band({-1, 0, 1}, 0.5),
             ops::Coefficient([](const kolmo::Mu& mu) { return mu[1] * mu[1]; }, "mu2^2"));
  a.add_term(band({0, 2}, -0.25), ops::Coefficient::constant(1.0));

  kolmo::MatHandle out;
  PetscObjectState previous = -1;
  for (const kolmo::Mu& mu : {kolmo::Mu{0.3, 2.0}, kolmo::Mu{-1.5, 0.1}, kolmo::Mu{0.0, 0.0}}) {
    a.assemble(mu, out);
    PetscObjectState state = 0;
    Mat assembled = out;
    KOLMO_PETSC_CALL(PetscObjectStateGet(reinterpret_cast<PetscObject>(assembled), &state));
    CHECK(state != previous);
    previous = state;

    // The reference: PETSc's general sum into a fresh matrix.
    const auto theta = a.coefficients(mu);
    kolmo::MatHandle reference;
    KOLMO_PETSC_CALL(MatDuplicate(a.matrix(0), MAT_COPY_VALUES, reference.out()));
    KOLMO_PETSC_CALL(MatScale(reference, theta[0]));
    for (std::size_t q = 1; q < a.num_terms(); ++q)
      KOLMO_PETSC_CALL(MatAXPY(reference, theta[q], a.matrix(q), DIFFERENT_NONZERO_PATTERN));
    PetscReal reference_norm = 0, difference = 0;
    KOLMO_PETSC_CALL(MatNorm(reference, NORM_FROBENIUS, &reference_norm));
    KOLMO_PETSC_CALL(MatAXPY(reference, -1.0, out, DIFFERENT_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatNorm(reference, NORM_FROBENIUS, &difference));
    REQUIRE(on_all_ranks(difference <= 1e-14 * reference_norm));
    REQUIRE(reference_norm > 1.0);
  }
}

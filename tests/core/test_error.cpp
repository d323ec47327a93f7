#include <catch2/catch.hpp>

#include <petscmat.h>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::test_comm;

TEST_CASE("a failing PETSc call throws PetscException with PETSc's message and our site",
          "[core][error]") {
  kolmo::KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(test_comm(), ksp.out()));
  try {
    KOLMO_PETSC_CALL(KSPSetType(ksp, "no-such-krylov-method"));
    FAIL("KSPSetType accepted an unknown type");
  } catch (const kolmo::PetscException& e) {
    const std::string what = e.what();
    CHECK(e.code() == PETSC_ERR_ARG_UNKNOWN_TYPE);
    CHECK_THAT(what, Catch::Contains("test_error.cpp:"));
    CHECK_THAT(what, Catch::Contains("KSPSetType(ksp, \"no-such-krylov-method\")"));
    CHECK_THAT(what, Catch::Contains("no-such-krylov-method"));
    CHECK_THAT(what, Catch::Contains("KSPSetType()"));
  }
}

namespace {
PetscErrorCode failing_mult(Mat, Vec, Vec) {
  return kolmo::petsc_callback([] { throw std::runtime_error("operator not assembled"); });
}
PetscErrorCode copying_mult(Mat, Vec x, Vec y) {
  return kolmo::petsc_callback([&] { KOLMO_PETSC_CALL(VecCopy(x, y)); });
}
}  // namespace

TEST_CASE("exceptions inside PETSc callbacks come back as exceptions with their text",
          "[core][error]") {
  kolmo::MatHandle shell;
  KOLMO_PETSC_CALL(MatCreateShell(test_comm(), 3, 3, PETSC_DETERMINE, PETSC_DETERMINE, nullptr,
                                  shell.out()));
  kolmo::VecHandle x, y;
  KOLMO_PETSC_CALL(MatCreateVecs(shell, x.out(), y.out()));
  KOLMO_PETSC_CALL(VecSet(x, 2.0));

  KOLMO_PETSC_CALL(MatShellSetOperation(shell, MATOP_MULT, (void (*)(void))copying_mult));
  KOLMO_PETSC_CALL(MatMult(shell, x, y));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNorm(y, NORM_INFINITY, &norm));
  REQUIRE(norm == 2.0);

  KOLMO_PETSC_CALL(MatShellSetOperation(shell, MATOP_MULT, (void (*)(void))failing_mult));
  try {
    KOLMO_PETSC_CALL(MatMult(shell, x, y));
    FAIL("MatMult did not report the callback's exception");
  } catch (const kolmo::PetscException& e) {
    CHECK(e.code() == PETSC_ERR_LIB);
    CHECK_THAT(std::string(e.what()), Catch::Contains("operator not assembled"));
  }
}

TEST_CASE("KOLMO_CHECK names the values and the condition", "[core][error]") {
  const int cells = -3;
  try {
    KOLMO_CHECK(cells > 0, "mesh size must be positive, got " << cells);
    FAIL("KOLMO_CHECK did not throw");
  } catch (const kolmo::Exception& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("got -3"));
    CHECK_THAT(std::string(e.what()), Catch::Contains("cells > 0"));
  }
}

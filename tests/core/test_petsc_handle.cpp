#include <catch2/catch.hpp>

#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::test_comm;

namespace {
PetscInt reference_count(PetscObject object) {
  PetscInt count = 0;
  KOLMO_PETSC_CALL(PetscObjectGetReference(object, &count));
  return count;
}
}  // namespace

TEST_CASE("PetscHandle owns, moves and borrows", "[core][handle]") {
  kolmo::VecHandle v;
  REQUIRE_FALSE(v);
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), 4, PETSC_DETERMINE, v.out()));
  REQUIRE(v);
  PetscInt global = 0;
  KOLMO_PETSC_CALL(VecGetSize(v, &global));
  REQUIRE(global == 4 * kolmo::comm_size(test_comm()));

  SECTION("move transfers ownership") {
    Vec raw = v.get();
    kolmo::VecHandle moved(std::move(v));
    REQUIRE_FALSE(v);
    REQUIRE(moved.get() == raw);
    REQUIRE(reference_count(reinterpret_cast<PetscObject>(raw)) == 1);
    kolmo::VecHandle assigned;
    assigned = std::move(moved);
    REQUIRE(assigned.get() == raw);
    REQUIRE_FALSE(moved);
  }

  SECTION("borrow adds a reference that the handle releases") {
    {
      auto shared = kolmo::VecHandle::borrow(v.get());
      REQUIRE(reference_count(reinterpret_cast<PetscObject>(v.get())) == 2);
    }
    REQUIRE(reference_count(reinterpret_cast<PetscObject>(v.get())) == 1);
  }

  SECTION("out() destroys the previous object") {
    KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), 2, PETSC_DETERMINE, v.out()));
    PetscInt local = 0;
    KOLMO_PETSC_CALL(VecGetLocalSize(v, &local));
    REQUIRE(local == 2);
  }
}

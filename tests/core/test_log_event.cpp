#include <catch2/catch.hpp>

#include <petscksp.h>

#include <stdexcept>

#include "core/error.hpp"
#include "core/log_event.hpp"
#include "mpi_test_helpers.hpp"

namespace {
PetscEventPerfInfo perf_info(PetscLogEvent event) {
  PetscEventPerfInfo info{};
  KOLMO_PETSC_CALL(PetscLogEventGetPerfInfo(0, event, &info));  // stage 0, the main stage
  return info;
}
}  // namespace

TEST_CASE("log_event registers a name once and looks it up after", "[core][log]") {
  const PetscLogEvent first = kolmo::log_event("KolmoTestRegister", KSP_CLASSID);
  REQUIRE(first >= 0);
  REQUIRE(kolmo::log_event("KolmoTestRegister", KSP_CLASSID) == first);
  REQUIRE(kolmo::log_event("KolmoTestOther", KSP_CLASSID) != first);
  PetscLogEvent petsc = -1;
  KOLMO_PETSC_CALL(PetscLogEventGetId("KolmoTestRegister", &petsc));
  REQUIRE(petsc == first);
}

TEST_CASE("ScopedLogEvent counts each scope once and ends on an exception", "[core][log]") {
  KOLMO_PETSC_CALL(PetscLogDefaultBegin());
  const PetscLogEvent event = kolmo::log_event("KolmoTestScope", KSP_CLASSID);
  const int before = perf_info(event).count;
  { kolmo::ScopedLogEvent scope(event); }
  REQUIRE_THROWS_AS(
      [&] {
        kolmo::ScopedLogEvent scope(event);
        throw std::runtime_error("inside the event");
      }(),
      std::runtime_error);
  const PetscEventPerfInfo info = perf_info(event);
  REQUIRE(info.count == before + 2);
  REQUIRE(info.depth == 0);  // not left open by the exception
  REQUIRE(info.time >= 0);
}

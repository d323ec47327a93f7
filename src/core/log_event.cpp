#include "core/log_event.hpp"

#include "core/error.hpp"

namespace kolmo {

PetscLogEvent log_event(const char* name, PetscClassId classid) {
  // PETSc answers -1 for a name it has not registered (and 0 for every name when built without
  // logging, where Begin/End do nothing).
  PetscLogEvent event = -1;
  KOLMO_PETSC_CALL(PetscLogEventGetId(name, &event));
  if (event < 0) KOLMO_PETSC_CALL(PetscLogEventRegister(name, classid, &event));
  return event;
}

ScopedLogEvent::ScopedLogEvent(PetscLogEvent event) : event_(event) {
  KOLMO_PETSC_CALL(PetscLogEventBegin(event_, nullptr, nullptr, nullptr, nullptr));
}

ScopedLogEvent::~ScopedLogEvent() { (void)PetscLogEventEnd(event_, nullptr, nullptr, nullptr, nullptr); }

}  // namespace kolmo

#pragma once
/// @file
/// Kolmo's own PETSc log events: the phases PETSc cannot see (assembly of A(mu), the guesses of a
/// sequence, ...) appear in `-log_view` beside PETSc's events, with times, flops and counts.
#include <petsclog.h>

namespace kolmo {

/// The PETSc log event called `name` (at most 32 characters, shown by -log_view), registered
/// under `classid` the first time it is asked for after PETSc is initialised. Looking the name
/// up first keeps one event per name, also when PETSc is finalised and initialised again.
/// Not collective; call it with the same names in the same order on every rank, as PETSc asks of
/// PetscLogEventRegister.
/// @throws kolmo::PetscException if PETSc refuses the registration.
PetscLogEvent log_event(const char* name, PetscClassId classid);

/// Logs one event from construction to destruction (PetscLogEventBegin / PetscLogEventEnd), so
/// that an exception thrown inside the scope ends the event too. Not collective: Kolmo's events
/// are logged without synchronisation.
class ScopedLogEvent {
 public:
  explicit ScopedLogEvent(PetscLogEvent event);
  ScopedLogEvent(const ScopedLogEvent&) = delete;
  ScopedLogEvent& operator=(const ScopedLogEvent&) = delete;
  /// Ends the event; never throws (an error of PetscLogEventEnd is dropped: logging only).
  ~ScopedLogEvent();

 private:
  PetscLogEvent event_;
};

}  // namespace kolmo

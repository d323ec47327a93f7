#pragma once
/// @file
/// The PETSc side of Kolmo's error model: PETSc error codes become C++ exceptions at Kolmo's
/// boundary (KOLMO_PETSC_CALL), and exceptions become PETSc error codes again inside callbacks
/// that PETSc calls (petsc_callback). The exception types and the PETSc-free checks (KOLMO_CHECK,
/// KOLMO_INPUT_CHECK, KOLMO_ASSERT) are in core/exceptions.hpp, included here.
#include <petscsys.h>

#include <string>
#include <utility>

#include "core/exceptions.hpp"
#include "core/petsc_compat.hpp"

namespace kolmo {

/// A PETSc or SLEPc call failed. what() holds our call site, the expression, PETSc's error code,
/// its generic text and PETSc's own specific message with its location.
class PetscException : public Exception {
 public:
  PetscException(PetscErrorCode code, const std::string& what) : Exception(what), code_(code) {}
  /// The PETSc error code (PETSC_ERR_*).
  PetscErrorCode code() const noexcept { return code_; }

 private:
  PetscErrorCode code_;
};

/// Install Kolmo's PETSc error handler, which records PETSc's specific error message so that
/// KOLMO_PETSC_CALL can put it into the exception. Called by kolmo::Environment; a program that
/// initialises PETSc itself calls it once after PetscInitialize. Not collective. Idempotent.
void install_petsc_error_handler();

/// Remove the handler pushed by install_petsc_error_handler (before PetscFinalize). Not collective.
void uninstall_petsc_error_handler();

namespace detail {
[[noreturn]] void throw_petsc_error(PetscErrorCode code, const char* expression, const char* file,
                                    int line);
/// Turn the exception in flight into a PETSc error code through ::PetscError (callback boundary).
PetscErrorCode petsc_error_from_current_exception(const char* file, int line) noexcept;
}  // namespace detail

/// Run a callable inside a callback that PETSc calls (MatShell mult, PCApply, monitors, ...).
/// Exceptions do not cross PETSc's C frames: they are caught and returned as PETSC_ERR_LIB with
/// their message, which KOLMO_PETSC_CALL turns back into an exception in the caller's frame.
template <class F>
PetscErrorCode petsc_callback(F&& body) noexcept {
  try {
    std::forward<F>(body)();
    return PETSC_SUCCESS;
  } catch (...) {
    return detail::petsc_error_from_current_exception(__FILE__, __LINE__);
  }
}

}  // namespace kolmo

/// Call a PETSc/SLEPc function; on a non-zero code throw kolmo::PetscException naming this site.
#define KOLMO_PETSC_CALL(...)                                                             \
  do {                                                                                    \
    PetscErrorCode kolmo_petsc_ierr_ = (__VA_ARGS__);                                     \
    if (kolmo_petsc_ierr_ != PETSC_SUCCESS)                                               \
      ::kolmo::detail::throw_petsc_error(kolmo_petsc_ierr_, #__VA_ARGS__, __FILE__, __LINE__); \
  } while (0)

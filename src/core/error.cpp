#include "core/error.hpp"

#include <cstdarg>
#include <cstdio>
#include <exception>
#include <filesystem>

namespace kolmo {
namespace {

// PETSc's specific message for the error being raised right now, recorded by the handler below
// at the deepest frame (PETSC_ERROR_INITIAL) and consumed by throw_petsc_error.
thread_local std::string g_petsc_message;
bool g_handler_installed = false;

PetscErrorCode record_petsc_error(MPI_Comm, int line, const char* function, const char* file,
                                  PetscErrorCode code, PetscErrorType type, const char* message,
                                  void*) {
  if (type == PETSC_ERROR_INITIAL) {
    std::string text = message ? message : "";
    if (function && file) {
      text += " [in " + std::string(function) + "() at " + file + ":" + std::to_string(line) + "]";
    }
    g_petsc_message = std::move(text);
  }
  return code;
}

std::string base_name(const char* file) { return std::filesystem::path(file).filename().string(); }

}  // namespace

void install_petsc_error_handler() {
  if (g_handler_installed) return;
  PetscPushErrorHandler(record_petsc_error, nullptr);
  g_handler_installed = true;
}

void uninstall_petsc_error_handler() {
  if (!g_handler_installed) return;
  PetscPopErrorHandler();
  g_handler_installed = false;
}

namespace detail {

void throw_petsc_error(PetscErrorCode code, const char* expression, const char* file, int line) {
  const char* generic = nullptr;
  PetscErrorMessage(code, &generic, nullptr);
  std::string text = base_name(file) + ":" + std::to_string(line) + ": " + expression +
                     " failed with PETSc error " + std::to_string(static_cast<int>(code)) + " (" +
                     (generic ? generic : "unknown error") + ")";
  if (!g_petsc_message.empty()) text += ": " + g_petsc_message;
  g_petsc_message.clear();
  throw PetscException(code, text);
}

PetscErrorCode petsc_error_from_current_exception(const char* file, int line) noexcept {
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown C++ exception";
  }
  return PetscError(PETSC_COMM_SELF, line, "kolmo::petsc_callback", file, PETSC_ERR_LIB,
                    PETSC_ERROR_INITIAL, "%s", message.c_str());
}

}  // namespace detail
}  // namespace kolmo

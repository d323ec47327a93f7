#pragma once
/// @file
/// Kolmo's exception types and checking macros, free of PETSc and MPI, so that code which must run
/// without them (the online stage of a reduced model, file readers) can use them. User and usage
/// errors are checked in every build (KOLMO_CHECK, KOLMO_INPUT_CHECK), internal invariants only in
/// debug builds (KOLMO_ASSERT). The PETSc side of the error model is in core/error.hpp.
#include <sstream>
#include <stdexcept>
#include <string>

namespace kolmo {

/// Base of every exception Kolmo throws.
class Exception : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input from the user: a case file, a missing or corrupt file, a parameter out of range.
/// Thrown identically on every rank of the communicator that read the input (case files are read
/// on rank 0 and broadcast), so a program may report it once and exit normally on every rank.
class InputError : public Exception {
 public:
  using Exception::Exception;
};

namespace detail {
/// Throw kolmo::Exception with `message`, the failed condition and the call site. Not collective.
[[noreturn]] void throw_check_failure(const std::string& message, const char* condition,
                                      const char* file, int line);
}  // namespace detail

}  // namespace kolmo

/// Check a user or usage condition in every build; on failure throw kolmo::Exception whose text is
/// built by streaming `message` (e.g. KOLMO_CHECK(n > 0, "mesh size must be positive, got " << n)).
#define KOLMO_CHECK(condition, message)                                                      \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::ostringstream kolmo_check_stream_;                                                \
      kolmo_check_stream_ << message;                                                        \
      ::kolmo::detail::throw_check_failure(kolmo_check_stream_.str(), #condition, __FILE__, __LINE__); \
    }                                                                                        \
  } while (0)

/// Like KOLMO_CHECK, but throws kolmo::InputError (bad user input, identical on all ranks).
#define KOLMO_INPUT_CHECK(condition, message)   \
  do {                                          \
    if (!(condition)) {                         \
      std::ostringstream kolmo_check_stream_;   \
      kolmo_check_stream_ << message;           \
      throw ::kolmo::InputError(kolmo_check_stream_.str()); \
    }                                           \
  } while (0)

/// Internal invariant, checked in debug builds only.
#ifdef NDEBUG
#define KOLMO_ASSERT(condition, message) ((void)0)
#else
#define KOLMO_ASSERT(condition, message) KOLMO_CHECK(condition, "internal error: " << message)
#endif

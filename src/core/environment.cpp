#include "core/environment.hpp"

#include <slepcsys.h>

#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"

namespace kolmo {

Environment::Environment(int& argc, char**& argv, const char* help) {
  if (SlepcInitialize(&argc, &argv, nullptr, help) != 0) {
    std::fprintf(stderr, "error: SlepcInitialize failed\n");
    std::exit(1);
  }
  install_petsc_error_handler();
}

Environment::Environment() {
  if (SlepcInitializeNoArguments() != 0) {
    std::fprintf(stderr, "error: SlepcInitialize failed\n");
    std::exit(1);
  }
  install_petsc_error_handler();
}

Environment::~Environment() {
  uninstall_petsc_error_handler();
  SlepcFinalize();
}

}  // namespace kolmo

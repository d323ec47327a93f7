#include <cstdio>

#include "core/environment.hpp"
#include "core/version.hpp"

int main(int argc, char** argv) {
  kolmo::Environment environment(argc, argv);
  std::printf("kolmo %s\n", kolmo::version_string);
  return 0;
}

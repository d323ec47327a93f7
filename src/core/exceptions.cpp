#include "core/exceptions.hpp"

#include <filesystem>

namespace kolmo::detail {

void throw_check_failure(const std::string& message, const char* condition, const char* file,
                         int line) {
  throw Exception(message + " [check '" + condition + "' failed at " +
                  std::filesystem::path(file).filename().string() + ":" + std::to_string(line) +
                  "]");
}

}  // namespace kolmo::detail

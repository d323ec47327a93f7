#include "command_line.hpp"

#include <cstdlib>

#include "core/config_node.hpp"
#include "core/error.hpp"

namespace kolmo::app {

std::optional<std::string> CommandLine::value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

namespace {
// Options of Kolmo that take no value.
bool is_flag(const std::string& name) {
  return name == "help" || name == "quiet" || name == "version" || name == "restart" ||
         name == "surrogate";
}
bool is_number(const std::string& token) {
  char* end = nullptr;
  std::strtod(token.c_str(), &end);
  return end != token.c_str() && *end == '\0';
}
}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine line;
  line.program = argc > 0 ? argv[0] : "kolmo";
  line.petsc_arguments.push_back(line.program);
  for (int i = 1; i < argc; ++i) {
    const std::string token = argv[i];
    if (token.rfind("--", 0) == 0 && token.size() > 2) {
      std::string name = token.substr(2), value;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.erase(eq);
      } else if (!is_flag(name) && i + 1 < argc &&
                 (argv[i + 1][0] != '-' || is_number(argv[i + 1]))) {
        value = argv[++i];
      } else if (!is_flag(name)) {
        line.missing_value.push_back(name);
      }
      if (line.options.count(name)) line.repeated.push_back(name);
      line.options[name] = value;
    } else if (token.size() > 1 && token[0] == '-' && !is_number(token)) {
      line.petsc_arguments.push_back(token);
      if (i + 1 < argc && (argv[i + 1][0] != '-' || is_number(argv[i + 1])))
        line.petsc_arguments.push_back(argv[++i]);
    } else if (line.command.empty()) {
      line.command = token;
    } else {
      line.positional.push_back(token);
    }
  }
  return line;
}

void check_options(const CommandLine& line, const std::vector<std::string>& allowed,
                   std::size_t max_positional) {
  const std::string command = "kolmo " + line.command + ": ";
  const std::string see = "; see 'kolmo " + line.command + " --help'";
  for (const auto& [name, value] : line.options) {
    bool known = name == "quiet" || name == "help" || name == "version";
    for (const auto& a : allowed) known = known || a == name;
    if (known) continue;
    std::string message = command + "unknown option '--" + name + "'";
    if (const auto near = nearest_word(name, allowed); !near.empty())
      message += " (did you mean '--" + near + "'?)";
    throw InputError(message + see);
  }
  if (!line.missing_value.empty())
    throw InputError(command + "option '--" + line.missing_value.front() +
                     "' needs a value (write a value that starts with '-' as --" +
                     line.missing_value.front() + "=VALUE)" + see);
  if (!line.repeated.empty())
    throw InputError(command + "option '--" + line.repeated.front() + "' is given more than once" +
                     see);
  if (line.positional.size() > max_positional)
    throw InputError(command + "unexpected argument '" + line.positional[max_positional] + "'" +
                     see);
}

}  // namespace kolmo::app

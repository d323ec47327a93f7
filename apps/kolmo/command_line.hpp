#pragma once
// The command line of `kolmo`: a subcommand, its positional arguments, its --options, and the
// single-dash options that belong to PETSc (-ksp_monitor, -log_view, -truth_pc_type lu, ...).
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kolmo::app {

/// A parsed command line. Kolmo's options are "--name value" or "--name=value" or a bare flag;
/// a single-dash token starts a PETSc option, and the token after it is its value unless it
/// starts with a dash (so put PETSc options after the positional arguments).
struct CommandLine {
  std::string program;
  std::string command;                            // empty: none given
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;     // without the leading "--"; flags map to ""
  std::vector<std::string> petsc_arguments;       // argv[0] first, then PETSc's tokens
  std::vector<std::string> repeated;              // options given more than once
  std::vector<std::string> missing_value;         // value options followed by nothing or a '-' token

  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
};

/// Split argv. Never fails: checks happen per subcommand (check_options).
CommandLine parse_command_line(int argc, char** argv);

/// @throws InputError when an option is neither in `allowed` nor global (--quiet, --help,
/// --version), suggesting the nearest one; when an option is given twice or without its value
/// (a value that starts with '-' must be written --name=value); or when there are more
/// than `max_positional` positional arguments (a stray word is a mistake, not something to drop).
void check_options(const CommandLine& line, const std::vector<std::string>& allowed,
                   std::size_t max_positional = 1);

}  // namespace kolmo::app

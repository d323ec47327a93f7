#include "study.hpp"

#include "commands.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/sampler.hpp"
#include "core/text.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace kolmo::app {

CaseFile load_case(MPI_Comm comm, const CommandLine& line) {
  return read_case_file(comm, positional(line, 0, "a case file (CASE.yaml)"));
}

std::vector<Mu> required_sample(MPI_Comm comm, const CaseFile& case_file, const std::string& key,
                                const std::string& command) {
  const bool given = key == "training" ? case_file.has_training : case_file.has_test;
  KOLMO_INPUT_CHECK(given, case_file.path << ": 'kolmo " << command << "' needs a '" << key
                                          << ":' section (a sample of the parameters), and the case file has none");
  const auto sample = draw_sample(comm, case_file.parameters, key == "training" ? case_file.training : case_file.test);
  KOLMO_INPUT_CHECK(!sample.empty(), case_file.path << ": the '" << key << "' sample is empty");
  return sample;
}

std::string output_path_problem(const std::string& path, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path target(path);
  if (path.empty()) return "no file name given";
  if (fs::is_directory(target, error)) return "'" + path + "' is a directory";
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (!fs::is_directory(parent, error)) return "the directory '" + parent.string() + "' does not exist";
  if (::access(parent.c_str(), W_OK) != 0) return "the directory '" + parent.string() + "' is not writable";
  for (const auto& input : inputs) {
    if (input.empty() || !fs::exists(target, error) || !fs::exists(input, error)) continue;
    if (fs::equivalent(target, input, error))
      return (input == path ? std::string() : "it is the same file as '" + input + "'; ") +
             "writing it would destroy a file of this study (an input of the command, the case's "
             "snapshots or its model)";
  }
  return {};
}

void check_output_path(MPI_Comm comm, const std::string& path, const std::string& what,
                       const std::vector<std::string>& inputs) {
  std::string problem;
  if (comm_rank(comm) == 0) problem = output_path_problem(path, inputs);
  broadcast_string(comm, problem);
  KOLMO_INPUT_CHECK(problem.empty(), what << ": cannot write '" << path << "': " << problem);
}

std::vector<std::size_t> selected_outputs(const CaseFile& case_file,
                                          const operators::ParametrizedProblem& problem) {
  const auto names = problem.output_names();
  std::vector<std::size_t> selected;
  if (case_file.outputs.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) selected.push_back(i);
    return selected;
  }
  for (std::size_t k = 0; k < case_file.outputs.size(); ++k) {
    const std::string& wanted = case_file.outputs[k];
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == wanted) index = i;
    if (index == names.size()) {
      std::string message = "problem '" + problem.type() + "' has no output '" + wanted + "'";
      if (auto near = nearest_word(wanted, names); !near.empty())
        message += " (did you mean '" + near + "'?)";
      message += "; it has: " + (names.empty() ? std::string("none") : join(names));
      if (case_file.outputs_node.defined()) case_file.outputs_node.element(k).fail(message);
      throw InputError(case_file.path + ": 'outputs': " + message);
    }
    selected.push_back(index);
  }
  return selected;
}

void check_json_path(MPI_Comm comm, const CommandLine& line) {
  if (const auto path = line.value("json")) check_output_path(comm, *path, "--json", line.positional);
}

void write_json_report(MPI_Comm comm, const CommandLine& line, const Json& report) {
  const auto path = line.value("json");
  if (!path) return;
  check_json_path(comm, line);
  bool written = true;
  if (comm_rank(comm) == 0) {
    std::ofstream out(*path);
    out << report.dump(2) << '\n';
    written = static_cast<bool>(out);
  }
  KOLMO_INPUT_CHECK(all_ranks(comm, written), "--json: cannot write '" << *path << "'");
}

}  // namespace kolmo::app

#include "study.hpp"

#include "commands.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"

#include <fstream>

namespace kolmo::app {

CaseFile load_case(MPI_Comm comm, const CommandLine& line) {
  return read_case_file(comm, positional(line, 0, "a case file (CASE.yaml)"));
}

std::vector<std::size_t> selected_outputs(const CaseFile& case_file,
                                          const operators::ParametrizedProblem& problem) {
  const auto names = problem.output_names();
  std::vector<std::size_t> selected;
  if (case_file.outputs.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) selected.push_back(i);
    return selected;
  }
  for (const auto& wanted : case_file.outputs) {
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == wanted) index = i;
    if (index == names.size()) {
      std::string available;
      for (const auto& n : names) available += (available.empty() ? "" : ", ") + n;
      std::string message = case_file.path + ": 'outputs': problem '" + problem.type() +
                            "' has no output '" + wanted + "'";
      if (auto near = nearest_word(wanted, names); !near.empty())
        message += " (did you mean '" + near + "'?)";
      throw InputError(message + "; it has: " + available);
    }
    selected.push_back(index);
  }
  return selected;
}

void write_json_report(MPI_Comm comm, const CommandLine& line, const Json& report) {
  const auto path = line.value("json");
  if (!path) return;
  bool written = true;
  if (comm_rank(comm) == 0) {
    std::ofstream out(*path);
    out << report.dump(2) << '\n';
    written = static_cast<bool>(out);
  }
  KOLMO_INPUT_CHECK(all_ranks(comm, written), "--json: cannot write '" << *path << "'");
}

}  // namespace kolmo::app

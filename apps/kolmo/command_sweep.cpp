// kolmo sweep / kolmo merge: truth outputs over a sample, split over groups of ranks
// (--groups) and over scheduler jobs (--shard i/n), and the merge of shard files.
#include <filesystem>
#include <limits>

#include "commands.hpp"
#include "core/mpi.hpp"
#include "core/progress.hpp"
#include "core/results_table.hpp"
#include "core/sampler.hpp"
#include "core/text.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/sequence_solver.hpp"
#include "study.hpp"

namespace kolmo::app {

namespace {

struct Shard {
  long index = 0, count = 1;
};

Shard parse_shard(const std::optional<std::string>& text) {
  Shard shard;
  if (!text) return shard;
  const auto slash = text->find('/');
  const auto i = parse_integer(text->substr(0, slash == std::string::npos ? text->size() : slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_integer(text->substr(slash + 1));
  KOLMO_INPUT_CHECK(i && n && *n >= 1 && *i >= 0 && *i < *n,
                    "--shard '" << *text << "': expected i/n with 0 <= i < n, e.g. --shard 0/4");
  shard.index = static_cast<long>(*i);
  shard.count = static_cast<long>(*n);
  return shard;
}

std::string shard_file_name(const std::string& file, const Shard& shard) {
  if (shard.count == 1) return file;
  std::filesystem::path path(file);
  const std::string stem = path.stem().string() + ".shard-" + std::to_string(shard.index) + "-of-" +
                           std::to_string(shard.count);
  return (path.parent_path() / (stem + path.extension().string())).string();
}

// Where a sweep that stopped at a failed point writes the points it solved: tb_sweep.csv ->
// tb_sweep.partial.csv.
std::string partial_file_name(const std::string& file) {
  std::filesystem::path path(file);
  return (path.parent_path() / (path.stem().string() + ".partial" + path.extension().string())).string();
}

// One row per point a group solved, packed as doubles for a single gather:
// index, iterations, residual, seconds, then the outputs.
constexpr std::size_t fixed_columns = 4;

ResultsTable assemble_table(const CaseFile& c, const std::vector<Mu>& sample, const Shard& shard,
                            const std::vector<std::string>& output_names,
                            const std::string& problem_type, const std::vector<double>& rows) {
  ResultsTable table;
  table.problem_type = problem_type;
  table.case_text = c.text;
  table.parameter_names = c.parameters.names();
  table.output_names = output_names;
  table.sample_size = static_cast<std::int64_t>(sample.size());
  if (shard.count > 1) table.shard = std::to_string(shard.index) + "/" + std::to_string(shard.count);
  const std::size_t width = fixed_columns + output_names.size();
  for (std::size_t r = 0; r + width <= rows.size(); r += width) {
    const auto index = static_cast<std::int64_t>(rows[r]);
    table.indices.push_back(index);
    table.iterations.push_back(static_cast<std::int64_t>(rows[r + 1]));
    table.residuals.push_back(rows[r + 2]);
    table.seconds.push_back(rows[r + 3]);
    table.parameters.push_back(sample[static_cast<std::size_t>(index)]);
    table.outputs.emplace_back(rows.begin() + static_cast<std::ptrdiff_t>(r + fixed_columns),
                               rows.begin() + static_cast<std::ptrdiff_t>(r + width));
  }
  table.sort_by_index();
  return table;
}

void print_summary(const std::string& name, const ResultsTable& table, std::size_t sample_size,
                   long groups, const std::string& file) {
  double total = 0;
  std::int64_t iterations = 0;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    total += table.seconds[r];
    iterations += table.iterations[r];
  }
  const double rows = table.rows() ? static_cast<double>(table.rows()) : 1.0;
  std::printf("%s: %zu of %zu points (%ld group%s%s%s), mean %.1f iterations, %.3f s per solve -> %s\n",
              name.c_str(), table.rows(), sample_size, groups, groups > 1 ? "s" : "",
              table.shard.empty() ? "" : ", shard ", table.shard.c_str(), iterations / rows,
              total / rows, file.c_str());
  std::fflush(stdout);
}

}  // namespace

int run_sweep(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {"groups", "shard", "output", "json"});
  const CaseFile c = load_case(comm, line);
  KOLMO_INPUT_CHECK(c.sweep.has_sample || c.has_test,
                    c.path << ": 'kolmo sweep' needs its points: a 'sweep: {sample: ...}' or a 'test:' section");
  const auto sample = c.sweep.has_sample ? draw_sample(comm, c.parameters, c.sweep.sample)
                                         : required_sample(comm, c, "test", "sweep");
  const Shard shard = parse_shard(line.value("shard"));
  const std::string file = shard_file_name(line.value("output").value_or(c.sweep.file), shard);
  check_output_path(comm, file, line.has("output") ? "--output" : "sweep.file",
                    {c.path, c.snapshots.file, c.rom.model});
  const int size = comm_size(comm), rank = comm_rank(comm);
  long groups = 1;
  if (auto g = line.value("groups")) {
    const auto value = parse_integer(*g);
    KOLMO_INPUT_CHECK(value && *value >= 1 && *value <= size,
                      "--groups '" << *g << "': expected a whole number from 1 to the number of ranks ("
                                   << size << ")");
    groups = static_cast<long>(*value);
  }
  std::vector<std::int64_t> mine;  // this shard's points
  for (std::size_t j = static_cast<std::size_t>(shard.index); j < sample.size();
       j += static_cast<std::size_t>(shard.count))
    mine.push_back(static_cast<std::int64_t>(j));

  // Ranks 0..size-1 form `groups` contiguous groups; group g solves every groups-th point.
  const int color = static_cast<int>(static_cast<long>(rank) * groups / size);
  MPI_Comm group_comm;
  MPI_Comm_split(comm, color, rank, &group_comm);
  std::vector<double> rows;
  std::vector<std::string> output_names;
  std::string problem_type;
  // A point that fails stops its group (every rank of the group alike), not the sweep: the rows
  // solved before it, in every group, are still gathered and written.
  std::string failure;
  try {
    auto problem = operators::make_problem(group_comm, c);
    output_names = problem->output_names();
    problem_type = problem->type();
    solvers::SequenceSolver solver(*problem, c.solver, solvers::sequence_policy(c.solver.sequence),
                                   "truth_");
    // This group's points, solved as one sequence in the order the policy gives them; each row
    // carries the point's index in the sample, so the table does not depend on the order.
    std::vector<std::int64_t> group_indices;
    std::vector<Mu> group_points;
    for (std::size_t k = static_cast<std::size_t>(color); k < mine.size();
         k += static_cast<std::size_t>(groups)) {
      group_indices.push_back(mine[k]);
      group_points.push_back(sample[static_cast<std::size_t>(mine[k])]);
    }
    Progress progress(comm, "sweep", mine.size());
    solver.solve_all(group_points, [&](std::size_t j, Vec u, const solvers::SequenceStats& stats) {
      const auto values = problem->evaluate_outputs(group_points[j], u);
      rows.insert(rows.end(), {static_cast<double>(group_indices[j]), static_cast<double>(stats.iterations),
                               stats.relative_residual, stats.setup_seconds + stats.solve_seconds});
      rows.insert(rows.end(), values.begin(), values.end());
      progress.advance(static_cast<std::size_t>(groups));
    });
    progress.finish();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  MPI_Comm_free(&group_comm);
  // The failure of the lowest failing rank, known on every rank.
  const int failed_rank = failure.empty() ? size : rank;
  int first_failed = size;
  MPI_Allreduce(&failed_rank, &first_failed, 1, MPI_INT, MPI_MIN, comm);
  if (first_failed < size) broadcast_string(comm, failure, first_failed);

  // Each group's first rank contributes its rows; rank 0 of comm assembles and writes the table.
  const bool group_leader = rank == 0 || color != static_cast<int>(static_cast<long>(rank - 1) * groups / size);
  if (!group_leader) rows.clear();
  int count = static_cast<int>(rows.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displacements(static_cast<std::size_t>(size));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<double> all;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) displacements[r] = displacements[r - 1] + counts[r - 1];
    all.resize(static_cast<std::size_t>(displacements[size - 1] + counts[size - 1]));
  }
  MPI_Gatherv(rows.data(), count, MPI_DOUBLE, all.data(), counts.data(), displacements.data(),
              MPI_DOUBLE, 0, comm);

  // Rank 0 assembles and writes the table; its verdict is shared so that every rank fails alike.
  // After a failure the points solved go to a .partial file, never to the sweep's own file.
  const std::string written = failure.empty() ? file : partial_file_name(file);
  std::string error;
  if (rank == 0) {
    try {
      const ResultsTable table = assemble_table(c, sample, shard, output_names, problem_type, all);
      table.write(written);
      if (failure.empty()) {
        print_summary(c.name, table, sample.size(), groups, file);
      } else {
        failure += "; the " + std::to_string(table.rows()) + " points solved before are in " + written;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  broadcast_string(comm, error);
  if (!error.empty()) throw InputError(failure.empty() ? error : failure + " (and writing them failed: " + error + ")");
  if (!failure.empty()) {
    broadcast_string(comm, failure);
    throw Exception(failure);
  }
  write_json_report(comm, line,
                    Json::object().set("file", file).set("sample_size", static_cast<long long>(sample.size()))
                        .set("points", static_cast<long long>(mine.size())).set("groups", groups)
                        .set("shard", std::to_string(shard.index) + "/" + std::to_string(shard.count)));
  return 0;
}

int run_merge(MPI_Comm comm, const CommandLine& line) {
  check_options(line, {}, std::numeric_limits<std::size_t>::max());
  const std::string output = positional(line, 0, "the output file (MERGED.h5)");
  KOLMO_INPUT_CHECK(line.positional.size() >= 2, "kolmo merge: no shard files given; usage: kolmo merge OUTPUT.h5 SHARD.h5 ...");
  check_output_path(comm, output, "kolmo merge OUTPUT", {line.positional.begin() + 1, line.positional.end()});
  // Reading and merging is cheap and serial: rank 0 does it and shares the verdict.
  std::string error;
  std::size_t rows = 0;
  if (comm_rank(comm) == 0) {
    try {
      std::vector<ResultsTable> shards;
      std::vector<std::string> names(line.positional.begin() + 1, line.positional.end());
      for (const auto& name : names) shards.push_back(ResultsTable::read(name));
      const auto merged = ResultsTable::merge(shards, names);
      merged.write(output);
      rows = merged.rows();
    } catch (const InputError& e) {
      error = e.what();
    }
  }
  broadcast_string(comm, error);
  if (!error.empty()) throw InputError(error);
  print_root(comm, "%s: %zu points from %zu shards\n", output.c_str(), rows, line.positional.size() - 1);
  return 0;
}

}  // namespace kolmo::app

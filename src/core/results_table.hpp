#pragma once
/// @file
/// Per-point results of an evaluation over a parameter sample (what `kolmo sweep` produces), and
/// the merge of shard files written by separate jobs.
#include <cstdint>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"

namespace kolmo {

/// Output values and solver statistics at a subset of the points of one sample. A value type;
/// written and read by one process (the files are small). Layout in docs/file-formats.md.
struct ResultsTable {
  std::string problem_type;
  std::string case_text;                 ///< the case file of the study, verbatim
  std::vector<std::string> parameter_names;
  std::vector<std::string> output_names;
  std::int64_t sample_size = 0;          ///< size of the whole sample that `indices` refer to
  std::string shard;                     ///< "i/n" for a shard, "" for a complete table

  std::vector<std::int64_t> indices;     ///< position of each row in the sample
  std::vector<Mu> parameters;            ///< one point per row
  std::vector<std::vector<double>> outputs;  ///< one vector of output values per row
  std::vector<std::int64_t> iterations;  ///< solver iterations per row
  std::vector<double> residuals;         ///< true relative residual per row
  std::vector<double> seconds;           ///< wall time per row

  std::size_t rows() const noexcept { return indices.size(); }
  /// Sort the rows by sample index.
  void sort_by_index();

  /// Write to `path` (replaced if present). Not collective: call on one process.
  void write(const std::string& path) const;
  /// Read a table written by write(). Not collective.
  /// @throws InputError naming the file when it is missing, not HDF5, or not a results table.
  static ResultsTable read(const std::string& path);

  /// Join shards of one study into a complete table sorted by index.
  /// @throws InputError when the shards come from different studies (case text, parameter or
  /// output names, sample size differ), when a point is covered twice, or when points are missing
  /// (naming the first few missing indices).
  static ResultsTable merge(const std::vector<ResultsTable>& shards,
                            const std::vector<std::string>& shard_names);
};

}  // namespace kolmo

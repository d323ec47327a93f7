#include "core/results_table.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/hdf5_file.hpp"
#include "core/version.hpp"

namespace kolmo {

namespace {

constexpr const char* group = "/results";

std::vector<double> flatten(const std::vector<std::vector<double>>& rows, std::size_t width) {
  std::vector<double> flat;
  flat.reserve(rows.size() * width);
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return flat;
}

std::vector<std::vector<double>> unflatten(const std::vector<double>& flat, std::size_t rows,
                                           std::size_t width, const std::string& path,
                                           const char* dataset) {
  KOLMO_INPUT_CHECK(flat.size() == rows * width, path << ": " << dataset << " holds " << flat.size()
                                                      << " values, expected " << rows << " x " << width);
  std::vector<std::vector<double>> out(rows);
  for (std::size_t r = 0; r < rows; ++r)
    out[r].assign(flat.begin() + static_cast<std::ptrdiff_t>(r * width),
                  flat.begin() + static_cast<std::ptrdiff_t>((r + 1) * width));
  return out;
}

}  // namespace

void ResultsTable::sort_by_index() {
  std::vector<std::size_t> order(rows());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return indices[a] < indices[b]; });
  auto permute = [&](auto& v) {
    auto copy = v;
    for (std::size_t k = 0; k < order.size(); ++k) v[k] = copy[order[k]];
  };
  permute(indices);
  permute(parameters);
  permute(outputs);
  permute(iterations);
  permute(residuals);
  permute(seconds);
}

void ResultsTable::write(const std::string& path) const {
  const hsize_t n = rows(), d = parameter_names.size(), o = output_names.size();
  auto file = h5::File::create_serial(path, true);
  file.create_group(group);
  file.write_attributes(group, {{"kind", std::string("results_table")},
                                {"problem_type", problem_type},
                                {"parameter_names", parameter_names},
                                {"output_names", output_names},
                                {"sample_size", sample_size},
                                {"shard", shard},
                                {"kolmo_version", std::string(version_string)},
                                {"created", h5::utc_timestamp()}});
  file.write_string("/results/case_text", case_text);
  file.write_ints("/results/index", {n}, indices);
  file.write_doubles("/results/parameters", {n, d}, flatten(parameters, d));
  file.write_doubles("/results/outputs", {n, o}, flatten(outputs, o));
  file.write_ints("/results/iterations", {n}, iterations);
  file.write_doubles("/results/residual", {n}, residuals);
  file.write_doubles("/results/seconds", {n}, seconds);
  file.close();
}

ResultsTable ResultsTable::read(const std::string& path) {
  auto file = h5::File::open_serial(path, h5::Access::read_only);
  KOLMO_INPUT_CHECK(file.exists(group) && file.has_attribute(group, "kind") &&
                        file.read_string_attribute(group, "kind") == "results_table",
                    path << ": not a Kolmo results file (no /results group); 'kolmo info " << path
                         << "' shows what it is");
  ResultsTable t;
  t.problem_type = file.read_string_attribute(group, "problem_type");
  t.parameter_names = file.read_strings_attribute(group, "parameter_names");
  t.output_names = file.read_strings_attribute(group, "output_names");
  t.sample_size = file.read_int_attribute(group, "sample_size");
  t.shard = file.read_string_attribute(group, "shard");
  t.case_text = file.read_string("/results/case_text");
  t.indices = file.read_ints("/results/index");
  const std::size_t n = t.indices.size();
  t.parameters = unflatten(file.read_doubles("/results/parameters"), n, t.parameter_names.size(),
                           path, "/results/parameters");
  t.outputs = unflatten(file.read_doubles("/results/outputs"), n, t.output_names.size(), path,
                        "/results/outputs");
  t.iterations = file.read_ints("/results/iterations");
  t.residuals = file.read_doubles("/results/residual");
  t.seconds = file.read_doubles("/results/seconds");
  KOLMO_INPUT_CHECK(t.iterations.size() == n && t.residuals.size() == n && t.seconds.size() == n,
                    path << ": the datasets of /results have different numbers of rows");
  return t;
}

ResultsTable ResultsTable::merge(const std::vector<ResultsTable>& shards,
                                 const std::vector<std::string>& shard_names) {
  KOLMO_INPUT_CHECK(!shards.empty(), "merge: no shard files given");
  const auto& first = shards.front();
  ResultsTable merged = first;
  merged.shard.clear();
  for (std::size_t s = 1; s < shards.size(); ++s) {
    const auto& t = shards[s];
    const std::string& name = shard_names.at(s);
    KOLMO_INPUT_CHECK(t.case_text == first.case_text && t.problem_type == first.problem_type,
                      name << " comes from a different case file than " << shard_names[0]);
    KOLMO_INPUT_CHECK(t.parameter_names == first.parameter_names &&
                          t.output_names == first.output_names && t.sample_size == first.sample_size,
                      name << " has other parameters, outputs or sample size than " << shard_names[0]);
    merged.indices.insert(merged.indices.end(), t.indices.begin(), t.indices.end());
    merged.parameters.insert(merged.parameters.end(), t.parameters.begin(), t.parameters.end());
    merged.outputs.insert(merged.outputs.end(), t.outputs.begin(), t.outputs.end());
    merged.iterations.insert(merged.iterations.end(), t.iterations.begin(), t.iterations.end());
    merged.residuals.insert(merged.residuals.end(), t.residuals.begin(), t.residuals.end());
    merged.seconds.insert(merged.seconds.end(), t.seconds.begin(), t.seconds.end());
  }
  merged.sort_by_index();
  std::vector<int> seen(static_cast<std::size_t>(merged.sample_size), 0);
  for (auto index : merged.indices) {
    KOLMO_INPUT_CHECK(index >= 0 && index < merged.sample_size,
                      "merge: sample index " << index << " is outside the sample of size "
                                             << merged.sample_size);
    KOLMO_INPUT_CHECK(++seen[static_cast<std::size_t>(index)] == 1,
                      "merge: sample point " << index << " is in more than one shard");
  }
  std::string missing;
  std::size_t missing_count = 0;
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i] && ++missing_count <= 5) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  KOLMO_INPUT_CHECK(missing_count == 0, "merge: " << missing_count << " sample points are in no shard ("
                                                  << missing << (missing_count > 5 ? ", ..." : "")
                                                  << "); is a shard file missing?");
  return merged;
}

}  // namespace kolmo

#include "core/sampler.hpp"

#include <algorithm>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "core/text.hpp"

namespace kolmo {

double unit_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::vector<Mu> sample_random(const ParameterSpace& space, std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Mu> sample;
  sample.reserve(size);
  std::vector<double> t(space.dimension());
  for (std::size_t i = 0; i < size; ++i) {
    for (auto& x : t) x = unit_uniform(rng);
    sample.push_back(space.from_unit(t));
  }
  return sample;
}

std::vector<Mu> sample_latin_hypercube(const ParameterSpace& space, std::size_t size,
                                       std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::size_t d = space.dimension();
  std::vector<std::vector<double>> t(size, std::vector<double>(d));
  std::vector<std::size_t> strata(size);
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t i = 0; i < size; ++i) strata[i] = i;
    // Fisher-Yates with our own index draw: std::shuffle's use of the engine is unspecified.
    for (std::size_t i = size; i > 1; --i) {
      const auto k = std::min(i - 1, static_cast<std::size_t>(unit_uniform(rng) * i));
      std::swap(strata[i - 1], strata[k]);
    }
    for (std::size_t i = 0; i < size; ++i)
      t[i][j] = (static_cast<double>(strata[i]) + unit_uniform(rng)) / static_cast<double>(size);
  }
  std::vector<Mu> sample;
  sample.reserve(size);
  for (const auto& point : t) sample.push_back(space.from_unit(point));
  return sample;
}

std::vector<Mu> sample_tensor_grid(const ParameterSpace& space,
                                   const std::vector<std::size_t>& points) {
  const std::size_t d = space.dimension();
  KOLMO_INPUT_CHECK(points.size() == d || points.size() == 1,
                    "grid sample: expected 1 or " << d << " point counts (one per parameter), got "
                                                  << points.size());
  std::vector<std::size_t> counts(d, points.empty() ? 0 : points.front());
  if (points.size() == d) counts = points;
  constexpr std::size_t limit = 1'000'000'000;
  std::size_t total = 1;
  for (std::size_t j = 0; j < d; ++j) {
    KOLMO_INPUT_CHECK(counts[j] >= 1, "grid sample: parameter '" << space.parameter(j).name
                                                                 << "' needs at least 1 point");
    KOLMO_INPUT_CHECK(counts[j] <= limit / total,
                      "grid sample: more than " << limit << " points; reduce the point counts");
    total *= counts[j];
  }
  std::vector<Mu> sample;
  sample.reserve(total);
  std::vector<std::size_t> index(d, 0);
  std::vector<double> t(d);
  for (std::size_t n = 0; n < total; ++n) {
    for (std::size_t j = 0; j < d; ++j)
      t[j] =
          counts[j] == 1 ? 0.5 : static_cast<double>(index[j]) / static_cast<double>(counts[j] - 1);
    sample.push_back(space.from_unit(t));
    for (std::size_t j = 0; j < d; ++j) {  // odometer, first parameter fastest
      if (++index[j] < counts[j]) break;
      index[j] = 0;
    }
  }
  return sample;
}

namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const auto comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    line = line.substr(comma + 1);
  }
}

}  // namespace

std::vector<Mu> parse_sample_csv(const ParameterSpace& space, const std::string& text,
                                 const std::string& path) {
  const std::vector<std::string> names = space.names();
  std::vector<std::size_t> column_of;  // column_of[c] = parameter index of column c
  bool have_header = false;
  std::vector<Mu> sample;
  std::size_t line_number = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++line_number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(line_number);
    const auto fields = split_fields(line);

    if (!have_header) {
      have_header = true;
      std::vector<bool> seen(names.size(), false);
      for (const auto field : fields) {
        const std::string name(field);
        const auto index = space.index_of(name);
        if (!index) {
          const std::string suggestion = nearest_word(name, names);
          throw InputError(where + ": unknown column '" + name + "' in the header (" +
                           (suggestion.empty()
                                ? std::string()
                                : std::string("did you mean '") + suggestion + "'? ") +
                           "parameters: " + join(names) + ")");
        }
        KOLMO_INPUT_CHECK(!seen[*index],
                          where << ": column '" << name << "' appears twice in the header");
        seen[*index] = true;
        column_of.push_back(*index);
      }
      for (std::size_t j = 0; j < names.size(); ++j)
        KOLMO_INPUT_CHECK(seen[j], where << ": no column for parameter '" << names[j]
                                         << "' in the header (expected the names " << join(names)
                                         << ", in any order)");
      continue;
    }

    KOLMO_INPUT_CHECK(fields.size() == column_of.size(), where << ": expected " << column_of.size()
                                                               << " values, got " << fields.size());
    Mu mu(names.size());
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const auto value = parse_double(fields[c]);
      KOLMO_INPUT_CHECK(value, where << ": '" << fields[c] << "' is not a number (column '"
                                     << names[column_of[c]] << "')");
      mu[column_of[c]] = *value;
    }
    space.check(mu, where);
    sample.push_back(std::move(mu));
  }
  KOLMO_INPUT_CHECK(have_header, path << ": no header line; the first line must name the "
                                         "parameters, e.g. '"
                                      << join(names) << "'");
  KOLMO_INPUT_CHECK(!sample.empty(), path << ": no sample points after the header");
  return sample;
}

std::vector<Mu> read_sample_csv(const ParameterSpace& space, const std::string& path) {
  std::string text, error;
  KOLMO_INPUT_CHECK(read_text_file(path, text, error), error);
  return parse_sample_csv(space, text, path);
}

namespace {

std::vector<Mu> draw_generated(const ParameterSpace& space, const SampleSpec& spec) {
  if (spec.method == "random" || spec.method == "lhs") {
    KOLMO_INPUT_CHECK(spec.size > 0, spec.method << " sample: the size must be positive");
    return spec.method == "random" ? sample_random(space, spec.size, spec.seed)
                                   : sample_latin_hypercube(space, spec.size, spec.seed);
  }
  if (spec.method == "grid") {
    KOLMO_INPUT_CHECK(!spec.points.empty(), "grid sample: no point counts given");
    return sample_tensor_grid(space, spec.points);
  }
  throw InputError(std::string("unknown sampler '") + spec.method +
                   "' (allowed: random, lhs, grid, file)");
}

// A file that cannot be read is named with the case-file key that asked for it.
std::string with_origin(const SampleSpec& spec, const std::string& error) {
  return spec.origin.empty() ? error : spec.origin + ": " + error;
}

}  // namespace

std::vector<Mu> draw_sample(const ParameterSpace& space, const SampleSpec& spec) {
  if (spec.method == "file") {
    KOLMO_INPUT_CHECK(!spec.file.empty(), "file sample: no file given");
    std::string text, error;
    read_text_file(spec.file, text, error);
    KOLMO_INPUT_CHECK(error.empty(), with_origin(spec, error));
    return parse_sample_csv(space, text, spec.file);
  }
  return draw_generated(space, spec);
}

std::vector<Mu> draw_sample(MPI_Comm comm, const ParameterSpace& space, const SampleSpec& spec) {
  if (spec.method != "file") return draw_generated(space, spec);
  KOLMO_INPUT_CHECK(!spec.file.empty(), "file sample: no file given");
  std::string text, error;
  if (comm_rank(comm) == 0) read_text_file(spec.file, text, error);
  broadcast_string(comm, error);
  KOLMO_INPUT_CHECK(error.empty(), with_origin(spec, error));
  broadcast_string(comm, text);
  return parse_sample_csv(space, text, spec.file);
}

}  // namespace kolmo

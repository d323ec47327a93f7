#include "core/case_file.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/text.hpp"

namespace kolmo {
namespace {

const std::vector<std::string> kSamplers = {"random", "lhs", "grid", "file"};

// The keys each sampler takes besides `sampler` itself.
const std::vector<std::string>& sampler_keys(const std::string& sampler) {
  static const std::map<std::string, std::vector<std::string>> keys = {{"random", {"size", "seed"}},
                                                                       {"lhs", {"size", "seed"}},
                                                                       {"grid", {"points"}},
                                                                       {"file", {"file"}}};
  return keys.at(sampler);
}

// Allow exactly `keys` in `reader`, and report any other key before anything is read: a typo
// in a key name ("szie") is then reported as such, not as the missing key it was meant to be.
void declare_keys(MapReader& reader, const std::vector<std::string>& keys) {
  for (const auto& key : keys) reader.allow(key);
  reader.reject_unknown_keys();
}

std::string read_choice_required(MapReader& reader, const std::string& key,
                                 const std::vector<std::string>& choices) {
  if (!reader.has(key))
    reader.node().fail_at_key(std::string("missing required key '") + key + "'");
  return reader.choice(key, choices, "");
}

int read_positive_int(MapReader& reader, const std::string& key, int fallback) {
  const int value = reader.optional<int>(key, fallback);
  if (value <= 0)
    reader.child(key).fail(std::string("expected a positive integer, got ") +
                           std::to_string(value));
  return value;
}

std::string read_nonempty_string(MapReader& reader, const std::string& key,
                                 const std::string& fallback) {
  const std::string value = reader.optional<std::string>(key, fallback);
  if (trim(value).empty()) reader.child(key).fail("expected a non-empty string");
  return value;
}

std::string read_output_path(MapReader& reader, const std::string& key, const std::string& fallback,
                             const CaseFile& case_file) {
  return case_file.resolve(read_nonempty_string(reader, key, fallback));
}

ParameterSpace read_parameters(const ConfigNode& node) {
  if (!node.is_sequence())
    node.fail(std::string("expected a sequence of parameters ('- name: mu1' lines, each with a "
                          "'range: [min, max]'), got ") +
              node.describe());
  if (node.size() == 0) node.fail("at least one parameter is needed");
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> first_location;
  for (std::size_t i = 0; i < node.size(); ++i) {
    MapReader reader(node.element(i));
    declare_keys(reader, {"name", "range", "scale"});
    Parameter p;
    p.name = reader.required<std::string>("name");
    const ConfigNode name_node = reader.child("name");
    const std::string problem = check_parameter_name(p.name);
    if (!problem.empty()) name_node.fail(problem);
    const auto [it, inserted] = first_location.emplace(p.name, name_node.location());
    if (!inserted)
      name_node.fail(std::string("parameter '") + p.name + "' is defined twice (first at " +
                     it->second + ")");

    if (!reader.has("range")) reader.node().fail_at_key("missing required key 'range'");
    const ConfigNode range = reader.child("range");
    if (!range.is_sequence() || range.size() != 2) {
      const std::string got = range.is_sequence() ? std::string("a sequence of ") +
                                                        std::to_string(range.size()) + " values"
                                                  : range.describe();
      range.fail(std::string("expected a sequence of 2 numbers, got ") + got);
    }
    p.min = range.element(0).as<double>();
    p.max = range.element(1).as<double>();
    const std::string range_text =
        std::string("[") + format_number(p.min) + ", " + format_number(p.max) + "]";
    if (!(p.min < p.max))
      range.fail(std::string(p.min == p.max ? "empty" : "reversed") + " range " + range_text +
                 " for parameter '" + p.name + "': min must be less than max");

    p.scale =
        reader.choice("scale", {"linear", "log"}, "linear") == "log" ? Scale::log : Scale::linear;
    if (p.scale == Scale::log && !(p.min > 0))
      range.fail(std::string("log scale needs a positive range (0 < min), got ") + range_text +
                 " for parameter '" + p.name + "'");
    parameters.push_back(std::move(p));
  }
  return ParameterSpace(std::move(parameters));
}

std::vector<std::size_t> read_grid_points(const ConfigNode& node, const ParameterSpace& space) {
  const std::size_t d = space.dimension();
  std::vector<std::size_t> points;
  if (node.is_scalar()) {
    points.assign(d, node.as<std::size_t>());
    if (points.front() < 1) node.fail("expected at least 1 point per parameter, got 0");
  } else if (node.is_sequence()) {
    points = node.as<std::vector<std::size_t>>();
    if (points.size() != d)
      node.fail(std::string("expected ") + std::to_string(d) +
                " point counts (one per parameter: " + join(space.names()) +
                ") or a single count for all, got " + std::to_string(points.size()));
    for (std::size_t j = 0; j < d; ++j)
      if (points[j] < 1) node.element(j).fail("expected at least 1 point, got 0");
  } else {
    node.fail(std::string("expected a number of points, or a sequence of one per parameter, got ") +
              node.describe());
  }
  constexpr std::size_t limit = 1'000'000'000;
  std::size_t total = 1;
  for (const auto n : points) {
    if (n > limit / total)
      node.fail(std::string("the grid would have more than ") + std::to_string(limit) + " points");
    total *= n;
  }
  return points;
}

SequenceSection read_sequence_section(const ConfigNode& node) {
  MapReader reader(node);
  declare_keys(reader,
               {"order", "guess", "reuse_pc", "recycle", "rebuild_factor", "guess_size", "projection_accuracy"});
  SequenceSection s;
  s.order = reader.choice("order", {"given", "nearest", "hilbert", "signature", "farthest"}, s.order);
  s.guess = reader.choice("guess", {"zero", "previous", "projection", "fischer", "pod", "auto"}, s.guess);
  s.reuse_pc = reader.choice("reuse_pc", {"never", "always", "auto", "refresh"}, s.reuse_pc);
  s.recycle = reader.optional<bool>("recycle", s.recycle);
  s.rebuild_factor = reader.optional<double>("rebuild_factor", s.rebuild_factor);
  if (!(s.rebuild_factor > 1))
    reader.child("rebuild_factor")
        .fail(std::string("expected a number > 1, got ") + format_number(s.rebuild_factor));
  s.guess_size = read_positive_int(reader, "guess_size", s.guess_size);
  s.projection_accuracy = reader.optional<double>("projection_accuracy", s.projection_accuracy);
  if (!(s.projection_accuracy > 0 && s.projection_accuracy <= 1))
    reader.child("projection_accuracy")
        .fail(std::string("expected a number in (0, 1], got ") + format_number(s.projection_accuracy));
  return s;
}

// `rom.stability:` (every key optional; an absent section keeps the defaults).
StabilitySection read_stability_section(const ConfigNode& node) {
  MapReader reader(node);
  declare_keys(reader, {"method", "sampled_factor", "scm"});
  StabilitySection s;
  s.method = reader.choice("method", {"auto", "scm", "sampled"}, s.method);
  s.sampled_factor = reader.optional<double>("sampled_factor", s.sampled_factor);
  if (!(s.sampled_factor > 0 && s.sampled_factor <= 1))
    reader.child("sampled_factor")
        .fail(std::string("expected a number in (0, 1], got ") + format_number(s.sampled_factor));
  MapReader scm(reader.child("scm"));
  declare_keys(scm, {"training", "tolerance", "max_points", "alpha_neighbours",
                     "positivity_neighbours"});
  s.scm_training = scm.optional<int>("training", s.scm_training);
  if (s.scm_training < 0)
    scm.child("training")
        .fail(std::string("expected a number of points >= 1, or 0 for the case's training "
                          "sample, got ") + std::to_string(s.scm_training));
  s.scm_tolerance = scm.optional<double>("tolerance", s.scm_tolerance);
  if (!(s.scm_tolerance > 0))
    scm.child("tolerance")
        .fail(std::string("expected a positive number, got ") + format_number(s.scm_tolerance));
  s.scm_max_points = read_positive_int(scm, "max_points", s.scm_max_points);
  s.scm_alpha_neighbours = read_positive_int(scm, "alpha_neighbours", s.scm_alpha_neighbours);
  s.scm_positivity_neighbours = scm.optional<int>("positivity_neighbours", s.scm_positivity_neighbours);
  if (s.scm_positivity_neighbours < 0)
    scm.child("positivity_neighbours")
        .fail(std::string("expected a number >= 0, got ") +
              std::to_string(s.scm_positivity_neighbours));
  return s;
}

}  // namespace

const std::vector<std::string>& known_problem_types() {
  static const std::vector<std::string> types = {"thermal_block", "advection_diffusion",
                                                 "elasticity", "helmholtz", "gaussian",
                                                 "external"};
  return types;
}

std::string CaseFile::resolve(const std::string& relative) const {
  const std::filesystem::path p(relative);
  if (p.is_absolute() || directory.empty()) return relative;
  return (std::filesystem::path(directory) / p).lexically_normal().string();
}

SampleSpec read_sample_section(const ConfigNode& node, const ParameterSpace& space,
                               std::uint64_t default_seed, const CaseFile& case_file) {
  MapReader reader(node);
  SampleSpec spec;
  spec.method = reader.choice("sampler", kSamplers, "random");
  const std::vector<std::string>& own = sampler_keys(spec.method);
  for (const auto& key : reader.keys()) {
    if (key == "sampler" || std::find(own.begin(), own.end(), key) != own.end()) continue;
    std::vector<std::string> owners;
    for (const auto& other : kSamplers) {
      const auto& keys = sampler_keys(other);
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) owners.push_back(other);
    }
    if (owners.empty()) continue;  // not a sampler key at all: reject_unknown_keys reports it
    std::vector<std::string> allowed = own;
    allowed.push_back("sampler");
    std::sort(allowed.begin(), allowed.end());
    node.child(key).fail_at_key(std::string("not used by sampler '") + spec.method + "' ('" + key +
                                "' is for sampler " + join(owners, " and ") +
                                "; allowed here: " + join(allowed) + ")");
  }
  declare_keys(reader, own);

  if (spec.method == "random" || spec.method == "lhs") {
    spec.size = reader.required<std::size_t>("size");
    if (spec.size == 0) reader.child("size").fail("expected a positive number of points, got 0");
    spec.seed = reader.optional<std::size_t>("seed", default_seed);
  } else if (spec.method == "grid") {
    if (!reader.has("points")) reader.node().fail_at_key("missing required key 'points'");
    spec.points = read_grid_points(reader.child("points"), space);
  } else {
    const std::string file = reader.required<std::string>("file");
    if (trim(file).empty()) reader.child("file").fail("expected a file name");
    spec.file = case_file.resolve(file);
    spec.origin = reader.child("file").location() + ": '" + reader.child("file").key_path() + "'";
  }
  return spec;
}

CaseFile parse_case_file(const std::string& text, const std::string& path) {
  const auto file = std::make_shared<const std::string>(path);
  const YAML::Node root = parse_yaml_document(text, path);

  CaseFile cf;
  cf.path = path;
  cf.text = text;
  cf.directory = std::filesystem::path(path).parent_path().string();

  const ConfigNode top_node(root, file, "");
  if (!top_node.defined())
    top_node.fail("the case file is empty; it needs at least 'problem:' and 'parameters:'");
  MapReader top(top_node);
  declare_keys(top, {"name", "problem", "parameters", "training", "test", "solver", "snapshots",
                     "rom", "sweep", "outputs"});

  const std::string stem = std::filesystem::path(path).stem().string();
  cf.name = top.optional<std::string>("name", stem.empty() ? std::string("case") : stem);
  if (cf.name.empty() || cf.name == "." || cf.name == ".." ||
      cf.name.find_first_of("/\\") != std::string::npos)
    top.child("name").fail(std::string("'") + cf.name +
                           "' cannot be used as a name: it is part of output file names, so it "
                           "must be non-empty and contain no '/'");

  // problem: only `type` is checked here; the operators layer validates the rest.
  if (!top.has("problem")) top_node.fail_at_key("missing required key 'problem'");
  MapReader problem(top.child("problem"));
  cf.problem.type = read_choice_required(problem, "type", known_problem_types());
  cf.problem.settings = problem.node();

  if (!top.has("parameters")) top_node.fail_at_key("missing required key 'parameters'");
  cf.parameters = read_parameters(top.child("parameters"));

  cf.has_training = top.has("training");
  cf.training.seed = 1;
  if (cf.has_training)
    cf.training = read_sample_section(top.child("training"), cf.parameters, 1, cf);
  cf.has_test = top.has("test");
  cf.test.seed = 2;
  if (cf.has_test) cf.test = read_sample_section(top.child("test"), cf.parameters, 2, cf);

  {
    MapReader solver(top.child("solver"));
    declare_keys(solver, {"ksp_type", "pc_type", "rtol", "atol", "max_it", "petsc", "sequence"});
    SolverSection& s = cf.solver;
    s.ksp_type = read_nonempty_string(solver, "ksp_type", s.ksp_type);
    s.pc_type = read_nonempty_string(solver, "pc_type", s.pc_type);
    s.rtol = solver.optional<double>("rtol", s.rtol);
    if (!(s.rtol > 0 && s.rtol < 1))
      solver.child("rtol").fail(std::string("expected a number in (0, 1), got ") +
                                format_number(s.rtol));
    s.atol = solver.optional<double>("atol", s.atol);
    if (!(s.atol >= 0))
      solver.child("atol").fail(std::string("expected a number >= 0, got ") +
                                format_number(s.atol));
    s.max_it = read_positive_int(solver, "max_it", s.max_it);
    // The options that have their own key above would silently fight with it here.
    static const std::map<std::string, std::string> dedicated = {{"ksp_type", "ksp_type"},
                                                                 {"pc_type", "pc_type"},
                                                                 {"ksp_rtol", "rtol"},
                                                                 {"ksp_atol", "atol"},
                                                                 {"ksp_max_it", "max_it"}};
    MapReader petsc(solver.child("petsc"));
    for (const auto& key : petsc.keys()) {
      const ConfigNode option = petsc.node().child(key);
      if (key.empty() || key.find_first_of(" \t") != std::string::npos)
        option.fail_at_key("expected a PETSc option name without spaces");
      if (key.front() == '-')
        option.fail_at_key(std::string("write PETSc option names without the leading '-' (e.g. '") +
                           key.substr(key.find_first_not_of('-') == std::string::npos
                                          ? key.size()
                                          : key.find_first_not_of('-')) +
                           "')");
      const auto it = dedicated.find(key);
      if (it != dedicated.end())
        option.fail_at_key(std::string("set this with 'solver.") + it->second +
                           "' instead of the pass-through map");
    }
    s.petsc = solver.optional<std::map<std::string, std::string>>("petsc", {});
    s.sequence = read_sequence_section(solver.child("sequence"));
  }

  {
    MapReader snapshots(top.child("snapshots"));
    declare_keys(snapshots, {"file"});
    cf.snapshots.file = read_output_path(snapshots, "file", cf.name + "_snapshots.h5", cf);
  }

  {
    MapReader rom(top.child("rom"));
    declare_keys(rom, {"method", "tolerance", "max_size", "model", "estimator", "surrogate",
                       "stability"});
    RomSection& r = cf.rom;
    r.method = rom.choice("method", {"pod", "greedy"}, r.method);
    r.tolerance = rom.optional<double>("tolerance", r.tolerance);
    if (!(r.tolerance > 0))
      rom.child("tolerance")
          .fail(std::string("expected a positive number, got ") + format_number(r.tolerance));
    r.max_size = read_positive_int(rom, "max_size", r.max_size);
    r.model = read_output_path(rom, "model", cf.name + "_model.h5", cf);
    r.estimator = rom.choice("estimator", {"classical", "stable"}, r.estimator);
    r.stability = read_stability_section(rom.child("stability"));
    r.surrogate = rom.has("surrogate");
    if (r.surrogate) {
      MapReader surrogate(rom.child("surrogate"));
      declare_keys(surrogate, {"tolerance", "max_degree", "check_points"});
      if (cf.parameters.dimension() > 6)
        rom.child("surrogate").fail(std::string("a Chebyshev-Tucker surrogate takes 1 to 6 "
                                                "parameters, the case has ") +
                                    std::to_string(cf.parameters.dimension()));
      r.surrogate_tolerance = surrogate.optional<double>("tolerance", r.surrogate_tolerance);
      if (!(r.surrogate_tolerance > 0 && r.surrogate_tolerance < 1))
        surrogate.child("tolerance")
            .fail(std::string("expected a number in (0, 1), got ") + format_number(r.surrogate_tolerance));
      r.surrogate_max_degree = read_positive_int(surrogate, "max_degree", r.surrogate_max_degree);
      r.surrogate_check_points =
          read_positive_int(surrogate, "check_points", r.surrogate_check_points);
    }
  }

  {
    MapReader sweep(top.child("sweep"));
    declare_keys(sweep, {"sample", "file"});
    cf.sweep.has_sample = sweep.has("sample");
    if (cf.sweep.has_sample)
      cf.sweep.sample = read_sample_section(sweep.child("sample"), cf.parameters, 3, cf);
    else
      cf.sweep.sample = cf.test;
    cf.sweep.file = read_output_path(sweep, "file", cf.name + "_sweep.h5", cf);
  }

  if (top.has("outputs")) {
    const ConfigNode outputs = top.child("outputs");
    cf.outputs = outputs.as<std::vector<std::string>>();
    cf.outputs_node = outputs;
    for (std::size_t i = 0; i < cf.outputs.size(); ++i) {
      if (trim(cf.outputs[i]).empty()) outputs.element(i).fail("expected an output name");
      for (std::size_t j = 0; j < i; ++j)
        if (cf.outputs[j] == cf.outputs[i])
          outputs.element(i).fail(std::string("output '") + cf.outputs[i] +
                                  "' is listed twice (first at " + outputs.element(j).location() +
                                  ")");
    }
  }
  return cf;
}

CaseFile read_case_file(MPI_Comm comm, const std::string& path) {
  std::string text, error;
  if (comm_rank(comm) == 0 && !read_text_file(path, text, error)) {
    if (error.empty()) error = path + ": cannot read the case file";
  }
  // The error (or its absence) goes first, so that every rank throws the same InputError.
  broadcast_string(comm, error);
  if (!error.empty()) throw InputError(std::string("cannot read the case file: ") + error);
  broadcast_string(comm, text);
  return parse_case_file(text, path);
}

}  // namespace kolmo

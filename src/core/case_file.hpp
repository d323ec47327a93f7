#pragma once
/// @file
/// The typed schema of a Kolmo case file (YAML), documented key by key in docs/case-files.md.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "core/sampler.hpp"

namespace kolmo {

/// `problem:`. The type-specific keys are validated by the operators layer (make_problem), which
/// reads `settings`; the core checks only that `type` is one of the known problem types.
struct ProblemSection {
  std::string type;       ///< thermal_block, advection_diffusion, elasticity, helmholtz, external
  /// The whole `problem:` map, `type` included (a MapReader over it must allow("type")).
  ConfigNode settings;
};

/// `solver.sequence:`, how a sequence of truth solves (snapshots, sweeps) is ordered and how each
/// solve reuses the ones before it. The names are checked here; solvers::sequence_policy turns
/// them into the solver's enums. The defaults reproduce independent solves in sample order.
struct SequenceSection {
  std::string order = "given";     ///< given | nearest | hilbert | signature | farthest
  std::string guess = "zero";      ///< zero | previous | projection | fischer | pod | auto
  std::string reuse_pc = "never";  ///< never (rebuild for every system) | always | auto | refresh
  bool recycle = false;            ///< recycling Krylov: rcg for SPD problems, gcrodr otherwise
  double rebuild_factor = 1.5;     ///< auto: rebuild once a solve converges this many times slower
                                   ///< (iterations per decade) than after the last rebuild (> 1)
  int guess_size = 8;              ///< projection, fischer, pod: previous solutions kept (>= 1)
  double projection_accuracy = 1.0;  ///< projection: solves go to rtol times this, in (0, 1]
};

/// `solver:`, the truth solver. Keys map to PETSc options of the solver's prefix; `petsc` is a
/// pass-through map of further options (without the leading dash or the prefix).
struct SolverSection {
  std::string ksp_type = "cg";
  std::string pc_type = "gamg";
  double rtol = 1e-10;
  double atol = 1e-50;
  int max_it = 10000;
  std::map<std::string, std::string> petsc;
  SequenceSection sequence;
};

/// `snapshots:`.
struct SnapshotsSection {
  /// Default "<name>_snapshots.h5"; resolved against the case file's directory.
  std::string file = "snapshots.h5";
};

/// `rom.stability:`, how `kolmo offline` bounds the stability constant (rom/stability.hpp, where
/// StabilityOptions takes these values; the defaults are the same).
struct StabilitySection {
  /// auto: the rigorous bound the problem admits (min-theta, exact inf-sup, else SCM); scm: the
  /// SCM even for a parametrically coercive problem; sampled: the NOT rigorous sampled bound for
  /// coercive problems that are not parametrically coercive.
  std::string method = "auto";
  double sampled_factor = 0.9;        ///< sampled: this times the sampled minimum, in (0, 1]
  /// SCM training points: 0 = the case's training sample, else this many random points (seed 4).
  int scm_training = 0;
  double scm_tolerance = 0.75;        ///< SCM greedy target on (alpha_UB - alpha_LB) / alpha_UB, > 0
  int scm_max_points = 30;            ///< at most this many SCM points (eigensolves), >= 1
  int scm_alpha_neighbours = 20;      ///< SCM points constraining the online LP, >= 1
  int scm_positivity_neighbours = 20; ///< positivity constraints in the online LP, >= 0
};

/// `rom:`.
struct RomSection {
  std::string method = "pod";          ///< pod | greedy
  double tolerance = 1e-6;             ///< POD energy tolerance or greedy bound tolerance
  int max_size = 50;
  /// Default "<name>_model.h5"; resolved against the case file's directory.
  std::string model = "model.h5";
  std::string estimator = "stable";    ///< classical | stable (residual dual norm evaluation)
  StabilitySection stability;          ///< `rom.stability`
  /// `rom.surrogate`: Chebyshev-Tucker surrogates of the outputs (rom/output_surrogate_builder.hpp).
  bool surrogate = false;              ///< true iff `rom.surrogate` was written
  double surrogate_tolerance = 1e-8;   ///< relative, in (0, 1)
  int surrogate_max_degree = 32;       ///< highest polynomial degree per parameter
  int surrogate_check_points = 1000;   ///< random points of the check against the reduced model
};

/// `sweep:`.
struct SweepSection {
  SampleSpec sample;                   ///< `sweep.sample`; a copy of the test sample when absent
  bool has_sample = false;             ///< true iff `sweep.sample` was written
  /// Default "<name>_sweep.h5"; resolved against the case file's directory.
  std::string file = "sweep.h5";
};

/// A validated case file. A value type; identical on every rank after read_case_file.
struct CaseFile {
  std::string path;        ///< as given on the command line
  std::string directory;   ///< directory of the file; relative paths inside are resolved against it
  std::string text;        ///< the file's full text, stored in every output file
  std::string name;        ///< `name:` (default: the file's stem)
  ProblemSection problem;
  ParameterSpace parameters;
  SampleSpec training;     ///< `training:` (seed 1 unless given)
  SampleSpec test;         ///< `test:` (seed 2 unless given)
  bool has_training = false;  ///< true iff `training:` was written
  bool has_test = false;      ///< true iff `test:` was written
  SolverSection solver;
  SnapshotsSection snapshots;
  RomSection rom;
  SweepSection sweep;
  std::vector<std::string> outputs;    ///< output functionals to report (empty: all of them)
  ConfigNode outputs_node;             ///< where `outputs` was written, for messages

  /// `relative` resolved against `directory` (absolute paths, and every path when `directory` is
  /// empty, are returned unchanged).
  std::string resolve(const std::string& relative) const;
};

/// Parse and validate case-file text. `path` is used in messages and to resolve relative paths.
/// Opens no file (a `file` sampler's CSV is read when the sample is drawn). Not collective.
/// @throws InputError with file:line:col, key path, what was expected, and a suggestion.
CaseFile parse_case_file(const std::string& text, const std::string& path);

/// Read the file on rank 0, broadcast its text, and parse it on every rank, so that every rank
/// either gets the same CaseFile or throws the same InputError (also when the file cannot be
/// read). Collective on comm.
CaseFile read_case_file(MPI_Comm comm, const std::string& path);

/// Read a sample section (the schema of `training:`, `test:`, `sweep.sample:`) from `node`, for
/// `space`; `file` paths are resolved with `case_file.resolve`. `default_seed` is used when no
/// `seed` is written. Not collective. @throws InputError as parse_case_file.
SampleSpec read_sample_section(const ConfigNode& node, const ParameterSpace& space,
                               std::uint64_t default_seed, const CaseFile& case_file);

/// The known problem types (for `problem.type` suggestions).
const std::vector<std::string>& known_problem_types();

}  // namespace kolmo

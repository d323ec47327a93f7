#pragma once
/// @file
/// The typed schema of a Kolmo case file (YAML), documented key by key in docs/case-files.md.
#include <mpi.h>

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
  ConfigNode settings;    ///< the whole `problem:` map
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
};

/// `snapshots:`.
struct SnapshotsSection {
  std::string file = "snapshots.h5";   ///< resolved against the case file's directory
};

/// `rom:`.
struct RomSection {
  std::string method = "pod";          ///< pod | greedy
  double tolerance = 1e-6;             ///< POD energy tolerance or greedy bound tolerance
  int max_size = 50;
  std::string model = "model.h5";      ///< resolved against the case file's directory
  std::string estimator = "stable";    ///< classical | stable (residual dual norm evaluation)
};

/// `sweep:`.
struct SweepSection {
  SampleSpec sample;                   ///< defaults to the test sample when absent
  bool has_sample = false;
  std::string file = "sweep.h5";       ///< resolved against the case file's directory
};

/// A validated case file. A value type; identical on every rank after read_case_file.
struct CaseFile {
  std::string path;        ///< as given on the command line
  std::string directory;   ///< directory of the file; relative paths inside are resolved against it
  std::string text;        ///< the file's full text, stored in every output file
  std::string name;        ///< `name:` (default: the file's stem)
  ProblemSection problem;
  ParameterSpace parameters;
  SampleSpec training;
  SampleSpec test;
  SolverSection solver;
  SnapshotsSection snapshots;
  RomSection rom;
  SweepSection sweep;
  std::vector<std::string> outputs;    ///< output functionals to report (empty: all of them)

  /// `relative` resolved against `directory` (absolute paths are returned unchanged).
  std::string resolve(const std::string& relative) const;
};

/// Parse and validate case-file text. `path` is used in messages and to resolve relative paths.
/// @throws InputError with file:line:col, key path, what was expected, and a suggestion.
CaseFile parse_case_file(const std::string& text, const std::string& path);

/// Read the file on rank 0, broadcast its text, and parse it on every rank, so that every rank
/// either gets the same CaseFile or throws the same InputError. Collective on comm.
CaseFile read_case_file(MPI_Comm comm, const std::string& path);

/// The known problem types (for `problem.type` suggestions).
const std::vector<std::string>& known_problem_types();

}  // namespace kolmo

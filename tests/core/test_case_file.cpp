#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/case_file.hpp"
#include "core/error.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

// The InputError message that parsing `text` raises, or "(no error)".
std::string error_of(const std::string& text, const std::string& path = "case.yaml") {
  try {
    kolmo::parse_case_file(text, path);
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kMinimal =
    "problem: {type: helmholtz}\n"
    "parameters:\n"
    "  - {name: k, range: [1, 2]}\n";

const std::string kFull = R"(name: fin
problem:
  type: thermal_block
  blocks: [3, 3]
parameters:
  - name: k1
    range: [0.1, 10]
    scale: log
  - name: k2
    range: [-1, 1]
training:
  sampler: lhs
  size: 50
  seed: 7
test:
  sampler: grid
  points: [4, 3]
solver:
  ksp_type: gmres
  pc_type: ilu
  rtol: 1.0e-8
  atol: 0
  max_it: 500
  petsc:
    ksp_gmres_restart: 50
    ksp_monitor:
    pc_factor_levels: '2'
snapshots:
  file: out/fin_snaps.h5
rom:
  method: greedy
  tolerance: 1e-4
  max_size: 30
  estimator: classical
sweep:
  sample:
    sampler: file
    file: points.csv
outputs: [mean_temperature, flux]
)";

}  // namespace

TEST_CASE("a complete case file parses to the values written in it", "[core][case_file]") {
  const auto cf = kolmo::parse_case_file(kFull, "/data/studies/fin.yaml");
  CHECK(cf.path == "/data/studies/fin.yaml");
  CHECK(cf.directory == "/data/studies");
  CHECK(cf.text == kFull);
  CHECK(cf.name == "fin");

  CHECK(cf.problem.type == "thermal_block");
  REQUIRE(cf.problem.settings.is_map());
  CHECK(cf.problem.settings.child("blocks").as<std::vector<int>>() == std::vector<int>{3, 3});
  CHECK(cf.problem.settings.child("blocks").location() == "/data/studies/fin.yaml:4:11");

  REQUIRE(cf.parameters.dimension() == 2);
  CHECK(cf.parameters.parameter(0).name == "k1");
  CHECK(cf.parameters.parameter(0).min == 0.1);
  CHECK(cf.parameters.parameter(0).max == 10.0);
  CHECK(cf.parameters.parameter(0).scale == kolmo::Scale::log);
  CHECK(cf.parameters.parameter(1).name == "k2");
  CHECK(cf.parameters.parameter(1).min == -1.0);
  CHECK(cf.parameters.parameter(1).max == 1.0);
  CHECK(cf.parameters.parameter(1).scale == kolmo::Scale::linear);

  CHECK(cf.has_training);
  CHECK(cf.training.method == "lhs");
  CHECK(cf.training.size == 50);
  CHECK(cf.training.seed == 7);
  CHECK(cf.has_test);
  CHECK(cf.test.method == "grid");
  CHECK(cf.test.points == std::vector<std::size_t>{4, 3});

  CHECK(cf.solver.ksp_type == "gmres");
  CHECK(cf.solver.pc_type == "ilu");
  CHECK(cf.solver.rtol == 1e-8);
  CHECK(cf.solver.atol == 0.0);
  CHECK(cf.solver.max_it == 500);
  const std::map<std::string, std::string> petsc = {
      {"ksp_gmres_restart", "50"}, {"ksp_monitor", ""}, {"pc_factor_levels", "2"}};
  CHECK(cf.solver.petsc == petsc);

  CHECK(cf.snapshots.file == "/data/studies/out/fin_snaps.h5");
  CHECK(cf.rom.method == "greedy");
  CHECK(cf.rom.tolerance == 1e-4);
  CHECK(cf.rom.max_size == 30);
  CHECK(cf.rom.model == "/data/studies/fin_model.h5");
  CHECK(cf.rom.estimator == "classical");
  CHECK(cf.sweep.has_sample);
  CHECK(cf.sweep.sample.method == "file");
  CHECK(cf.sweep.sample.file == "/data/studies/points.csv");
  CHECK(cf.sweep.file == "/data/studies/fin_sweep.h5");
  CHECK(cf.outputs == std::vector<std::string>{"mean_temperature", "flux"});
}

TEST_CASE("absent sections take their defaults, named after the file", "[core][case_file]") {
  const auto cf = kolmo::parse_case_file(kMinimal, "case.yaml");
  CHECK(cf.name == "case");
  CHECK(cf.directory.empty());
  CHECK(cf.problem.type == "helmholtz");
  CHECK_FALSE(cf.has_training);
  CHECK_FALSE(cf.has_test);
  CHECK(cf.training.seed == 1);
  CHECK(cf.test.seed == 2);
  CHECK(cf.solver.ksp_type == "cg");
  CHECK(cf.solver.pc_type == "gamg");
  CHECK(cf.solver.rtol == 1e-10);
  CHECK(cf.solver.atol == 1e-50);
  CHECK(cf.solver.max_it == 10000);
  CHECK(cf.solver.petsc.empty());
  CHECK(cf.snapshots.file == "case_snapshots.h5");
  CHECK(cf.rom.method == "pod");
  CHECK(cf.rom.estimator == "stable");
  CHECK(cf.rom.model == "case_model.h5");
  CHECK(cf.sweep.file == "case_sweep.h5");
  CHECK_FALSE(cf.sweep.has_sample);
  CHECK(cf.outputs.empty());

  const auto nested = kolmo::parse_case_file(kMinimal, "studies/beam.yaml");
  CHECK(nested.name == "beam");
  CHECK(nested.snapshots.file == "studies/beam_snapshots.h5");
  CHECK(nested.resolve("/abs/x.h5") == "/abs/x.h5");
  CHECK(nested.resolve("../x.h5") == "x.h5");
}

TEST_CASE("samplers: defaults, seeds, scalar grid counts, and the sweep sample",
          "[core][case_file]") {
  const auto cf = kolmo::parse_case_file(kMinimal +
                                             "  - {name: b, range: [0, 1]}\n"
                                             "training: {size: 10}\n"
                                             "test: {sampler: grid, points: 5}\n",
                                         "case.yaml");
  CHECK(cf.training.method == "random");
  CHECK(cf.training.size == 10);
  CHECK(cf.training.seed == 1);
  CHECK(cf.test.points == std::vector<std::size_t>{5, 5});
  // Without sweep.sample the sweep runs over the test sample.
  CHECK(cf.sweep.sample.method == "grid");
  CHECK(cf.sweep.sample.points == std::vector<std::size_t>{5, 5});

  const auto seeded = kolmo::parse_case_file(kMinimal +
                                                 "test: {sampler: random, size: 3}\n"
                                                 "sweep: {sample: {sampler: lhs, size: 4}}\n",
                                             "case.yaml");
  CHECK(seeded.test.seed == 2);
  CHECK(seeded.sweep.has_sample);
  CHECK(seeded.sweep.sample.method == "lhs");
  CHECK(seeded.sweep.sample.seed == 3);
}

TEST_CASE("unknown keys are reported with their location and the nearest key",
          "[core][case_file]") {
  CHECK(error_of(kMinimal + "rom:\n  method: pod\n  tolerence: 1e-3\n") ==
        "case.yaml:6:3: 'rom.tolerence': unknown key (did you mean 'tolerance'? allowed here: "
        "estimator, max_size, method, model, stability, surrogate, tolerance)");
  CHECK(error_of("problem: {type: helmholtz}\nparamters: []\n") ==
        "case.yaml:2:1: 'paramters': unknown key (did you mean 'parameters'? allowed here: name, "
        "outputs, parameters, problem, rom, snapshots, solver, sweep, test, training)");
  CHECK(error_of(kMinimal + "solver: {foo: 1}\n") ==
        "case.yaml:4:10: 'solver.foo': unknown key (allowed here: atol, ksp_type, max_it, pc_type, "
        "petsc, rtol, sequence)");
  CHECK(error_of("problem: {type: helmholtz}\nparameters:\n  - {name: k, rnage: [1, 2]}\n") ==
        "case.yaml:3:15: 'parameters[0].rnage': unknown key (did you mean 'range'? allowed here: "
        "name, range, scale)");
}

TEST_CASE("values of the wrong type name what was expected and what was found",
          "[core][case_file]") {
  CHECK(error_of("problem: {type: helmholtz}\nparameters:\n  - {name: k, range: abc}\n") ==
        "case.yaml:3:22: 'parameters[0].range': expected a sequence of 2 numbers, got 'abc'");
  CHECK(error_of("problem: {type: helmholtz}\nparameters:\n  - {name: k, range: [1, 2, 3]}\n") ==
        "case.yaml:3:22: 'parameters[0].range': expected a sequence of 2 numbers, got a sequence "
        "of 3 values");
  CHECK(error_of("problem: {type: helmholtz}\nparameters:\n  - {name: k, range: [1, x]}\n") ==
        "case.yaml:3:26: 'parameters[0].range[1]': expected a number, got 'x'");
  CHECK(error_of(kMinimal + "rom:\n  max_size: 2.5\n") ==
        "case.yaml:5:13: 'rom.max_size': expected an integer, got '2.5'");
  CHECK(error_of(kMinimal + "solver:\n  rtol: fast\n") ==
        "case.yaml:5:9: 'solver.rtol': expected a number, got 'fast'");
  CHECK(error_of(kMinimal + "solver:\n  rtol: 2\n") ==
        "case.yaml:5:9: 'solver.rtol': expected a number in (0, 1), got 2");
  CHECK(error_of(kMinimal + "solver:\n  max_it: 0\n") ==
        "case.yaml:5:11: 'solver.max_it': expected a positive integer, got 0");
  CHECK(error_of(kMinimal + "rom: {tolerance: -1}\n") ==
        "case.yaml:4:18: 'rom.tolerance': expected a positive number, got -1");
  CHECK(error_of(kMinimal + "rom: {tolerance: }\n") ==
        "case.yaml:4:7: 'rom.tolerance': expected a number, got an empty value");
  CHECK(error_of(kMinimal + "training: {size: -3}\n") ==
        "case.yaml:4:18: 'training.size': expected a non-negative integer, got '-3'");
  CHECK(error_of(kMinimal + "outputs: flux\n") ==
        "case.yaml:4:10: 'outputs': expected a sequence of strings, got 'flux'");
  CHECK(error_of(kMinimal + "outputs: [a, b, a]\n") ==
        "case.yaml:4:17: 'outputs[2]': output 'a' is listed twice (first at case.yaml:4:11)");
  CHECK(error_of("problem: {type: helmholtz}\nparameters: {k: [1, 2]}\n") ==
        "case.yaml:2:13: 'parameters': expected a sequence of parameters ('- name: mu1' lines, "
        "each with a 'range: [min, max]'), got a map");
  CHECK(error_of("problem: {type: helmholtz}\nparameters: []\n") ==
        "case.yaml:2:13: 'parameters': at least one parameter is needed");
  CHECK(error_of("- a\n- b\n") ==
        "case.yaml:1:1: expected a map (key: value lines), got a sequence");
}

TEST_CASE("missing required keys point at the map that lacks them", "[core][case_file]") {
  CHECK(error_of("problem:\n  blocks: 3\nparameters:\n  - {name: k, range: [1, 2]}\n") ==
        "case.yaml:1:1: 'problem': missing required key 'type'");
  CHECK(error_of("name: x\nparameters:\n  - {name: k, range: [1, 2]}\n") ==
        "case.yaml:1:1: missing required key 'problem'");
  CHECK(error_of("problem: {type: helmholtz}\n") ==
        "case.yaml:1:1: missing required key 'parameters'");
  CHECK(error_of("problem: {type: helmholtz}\nparameters:\n  - name: k\n") ==
        "case.yaml:3:5: 'parameters[0]': missing required key 'range'");
  CHECK(error_of(kMinimal + "training:\n  sampler: lhs\n") ==
        "case.yaml:4:1: 'training': missing required key 'size'");
  CHECK(error_of("", "empty.yaml") ==
        "empty.yaml:1:1: the case file is empty; it needs at least 'problem:' and 'parameters:'");
}

TEST_CASE("problem types and choices suggest the nearest valid value", "[core][case_file]") {
  CHECK(error_of("problem:\n  type: thermal_blok\n") ==
        "case.yaml:2:9: 'problem.type': unknown value 'thermal_blok' (did you mean "
        "'thermal_block'? allowed: thermal_block, advection_diffusion, elasticity, helmholtz, gaussian, "
        "external)");
  CHECK(error_of(kMinimal + "rom: {method: podd}\n") ==
        "case.yaml:4:15: 'rom.method': unknown value 'podd' (did you mean 'pod'? allowed: pod, "
        "greedy)");
  CHECK(error_of(kMinimal + "training: {sampler: grdi}\n") ==
        "case.yaml:4:21: 'training.sampler': unknown value 'grdi' (did you mean 'grid'? allowed: "
        "random, lhs, grid, file)");
  // Keys of problem: other than type belong to the operators layer and are not checked here.
  CHECK(error_of("problem: {type: external, anything: [1]}\nparameters:\n"
                 "  - {name: k, range: [1, 2]}\n") == "(no error)");
}

TEST_CASE("parameter ranges, scales and names are checked", "[core][case_file]") {
  const std::string head = "problem: {type: helmholtz}\nparameters:\n";
  CHECK(error_of(head + "  - {name: k, range: [1, 1]}\n") ==
        "case.yaml:3:22: 'parameters[0].range': empty range [1, 1] for parameter 'k': min must "
        "be less than max");
  CHECK(error_of(head + "  - {name: k, range: [2, 1]}\n") ==
        "case.yaml:3:22: 'parameters[0].range': reversed range [2, 1] for parameter 'k': min "
        "must be less than max");
  CHECK(error_of(head + "  - {name: k, range: [0, 1], scale: log}\n") ==
        "case.yaml:3:22: 'parameters[0].range': log scale needs a positive range (0 < min), got "
        "[0, 1] for parameter 'k'");
  CHECK(error_of(head + "  - {name: k, range: [-1, 1], scale: log}\n") ==
        "case.yaml:3:22: 'parameters[0].range': log scale needs a positive range (0 < min), got "
        "[-1, 1] for parameter 'k'");
  CHECK(error_of(head + "  - {name: k, range: [1, 2], scale: logarithmic}\n") ==
        "case.yaml:3:37: 'parameters[0].scale': unknown value 'logarithmic' (did you mean "
        "'log'? allowed: linear, log)");
  CHECK(error_of(head + "  - {name: k, range: [0, 1]}\n  - {name: k, range: [0, 1]}\n") ==
        "case.yaml:4:12: 'parameters[1].name': parameter 'k' is defined twice (first at "
        "case.yaml:3:12)");
  CHECK(error_of(head + "  - {name: 2k, range: [0, 1]}\n") ==
        "case.yaml:3:12: 'parameters[0].name': parameter name '2k' is not a valid name: use "
        "letters, digits and '_', not starting with a digit");
  CHECK(error_of(head + "  - {name: exp, range: [0, 1]}\n") ==
        "case.yaml:3:12: 'parameters[0].name': parameter name 'exp' is reserved (a built-in "
        "function or constant of expressions)");
}

TEST_CASE("each sampler accepts only its own keys", "[core][case_file]") {
  const std::string two = kMinimal + "  - {name: b, range: [0, 1]}\n";  // lines 1-4
  CHECK(error_of(two + "training: {sampler: random, size: 10, points: 3}\n") ==
        "case.yaml:5:39: 'training.points': not used by sampler 'random' ('points' is for "
        "sampler grid; allowed here: sampler, seed, size)");
  CHECK(error_of(two + "test:\n  sampler: grid\n  points: 3\n  seed: 4\n") ==
        "case.yaml:8:3: 'test.seed': not used by sampler 'grid' ('seed' is for sampler random "
        "and lhs; allowed here: points, sampler)");
  CHECK(error_of(two + "test: {sampler: grid, points: [3, 4, 5]}\n") ==
        "case.yaml:5:31: 'test.points': expected 2 point counts (one per parameter: k, b) or a "
        "single count for all, got 3");
  CHECK(error_of(two + "test: {sampler: grid, points: [3, 0]}\n") ==
        "case.yaml:5:35: 'test.points[1]': expected at least 1 point, got 0");
  CHECK(error_of(two + "test: {sampler: grid}\n") ==
        "case.yaml:5:1: 'test': missing required key 'points'");
  CHECK(error_of(two + "test: {sampler: lhs, size: 0}\n") ==
        "case.yaml:5:28: 'test.size': expected a positive number of points, got 0");
  CHECK(error_of(two + "test: {sampler: file}\n") ==
        "case.yaml:5:1: 'test': missing required key 'file'");
  CHECK(error_of(two + "training: {sampler: random, szie: 10}\n") ==
        "case.yaml:5:29: 'training.szie': unknown key (did you mean 'size'? allowed here: "
        "sampler, seed, size)");
}

TEST_CASE("solver pass-through options are checked for form and conflicts", "[core][case_file]") {
  CHECK(error_of(kMinimal + "solver:\n  petsc:\n    -ksp_monitor: ''\n") ==
        "case.yaml:6:5: 'solver.petsc.-ksp_monitor': write PETSc option names without the "
        "leading '-' (e.g. 'ksp_monitor')");
  CHECK(error_of(kMinimal + "solver:\n  petsc: {ksp_rtol: 1e-3}\n") ==
        "case.yaml:5:11: 'solver.petsc.ksp_rtol': set this with 'solver.rtol' instead of the "
        "pass-through map");
  CHECK(error_of(kMinimal + "solver:\n  petsc: {a: [1, 2]}\n") ==
        "case.yaml:5:14: 'solver.petsc.a': expected a string, got a sequence");
}

TEST_CASE("duplicate keys and YAML syntax errors are located", "[core][case_file]") {
  CHECK(error_of(kMinimal + "rom:\n  method: pod\n  method: greedy\n") ==
        "case.yaml:6:3: 'rom.method': duplicate key (first given at case.yaml:5:3)");
  CHECK(error_of("problem: {type: helmholtz}\nparameters: [1, 2\nrom: {}\n") ==
        "case.yaml:3:4: YAML syntax error: end of sequence flow not found");
  CHECK(error_of("problem:\n  type: helmholtz\n   bad: 1\n") ==
        "case.yaml:3:7: YAML syntax error: illegal map value");
}

TEST_CASE("read_case_file reads on rank 0 and every rank gets the same result",
          "[core][case_file][mpi]") {
  // Rank 0 alone writes; the others learn the path from it.
  std::string directory;
  if (kolmo::comm_rank(test_comm()) == 0) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("kolmo_test_case_file_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "fin.yaml") << kFull;
    directory = dir.string();
  }
  kolmo::broadcast_string(test_comm(), directory);
  const std::string path = directory + "/fin.yaml";

  const auto cf = kolmo::read_case_file(test_comm(), path);
  CHECK(cf.text == kFull);
  CHECK(cf.name == "fin");
  CHECK(cf.rom.model == directory + "/fin_model.h5");
  REQUIRE(on_all_ranks(cf.parameters.dimension() == 2 && cf.training.size == 50));

  std::string message;
  try {
    kolmo::read_case_file(test_comm(), directory + "/missing.yaml");
  } catch (const kolmo::InputError& e) {
    message = e.what();
  }
  CHECK(message == "cannot read the case file: " + directory + "/missing.yaml: no such file");
  // Every rank threw, and threw the same message as rank 0.
  std::string root_message = message;
  kolmo::broadcast_string(test_comm(), root_message);
  REQUIRE(on_all_ranks(!message.empty() && message == root_message));

  MPI_Barrier(test_comm());
  if (kolmo::comm_rank(test_comm()) == 0) std::filesystem::remove_all(directory);
}

TEST_CASE("solver.sequence: defaults reproduce independent solves, values are read and checked",
          "[core][case_file]") {
  const auto defaults = kolmo::parse_case_file(kMinimal, "case.yaml").solver.sequence;
  CHECK(defaults.order == "given");
  CHECK(defaults.guess == "zero");
  CHECK(defaults.reuse_pc == "never");
  CHECK_FALSE(defaults.recycle);
  CHECK(defaults.rebuild_factor == 1.5);
  CHECK(defaults.guess_size == 8);

  const auto s = kolmo::parse_case_file(kMinimal +
                                            "solver:\n"
                                            "  ksp_type: gmres\n"
                                            "  sequence:\n"
                                            "    order: hilbert\n"
                                            "    guess: projection\n"
                                            "    reuse_pc: auto\n"
                                            "    recycle: on\n"
                                            "    rebuild_factor: 2.5\n"
                                            "    guess_size: 4\n",
                                        "case.yaml")
                     .solver;
  CHECK(s.ksp_type == "gmres");
  CHECK(s.sequence.order == "hilbert");
  CHECK(s.sequence.guess == "projection");
  CHECK(s.sequence.reuse_pc == "auto");
  CHECK(s.sequence.recycle);
  CHECK(s.sequence.rebuild_factor == 2.5);
  CHECK(s.sequence.guess_size == 4);
  CHECK(kolmo::parse_case_file(kMinimal + "solver: {sequence: {guess: auto}}\n", "case.yaml").solver.sequence.guess ==
        "auto");
  CHECK(kolmo::parse_case_file(kMinimal + "solver: {sequence: {projection_accuracy: 0.01}}\n", "case.yaml")
            .solver.sequence.projection_accuracy == 0.01);
  CHECK_FALSE(kolmo::parse_case_file(kMinimal + "solver: {sequence: {recycle: off}}\n", "case.yaml")
                  .solver.sequence.recycle);
  CHECK(kolmo::parse_case_file(kMinimal + "solver: {sequence: {order: signature, guess: pod}}\n",
                               "case.yaml")
            .solver.sequence.order == "signature");
}

TEST_CASE("solver.sequence rejects unknown keys, unknown choices and out-of-range numbers",
          "[core][case_file]") {
  CHECK(error_of(kMinimal + "solver:\n  sequence:\n    oder: nearest\n") ==
        "case.yaml:6:5: 'solver.sequence.oder': unknown key (did you mean 'order'? allowed here: "
        "guess, guess_size, order, projection_accuracy, rebuild_factor, recycle, reuse_pc)");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {order: nearset}\n") ==
        "case.yaml:5:21: 'solver.sequence.order': unknown value 'nearset' (did you mean 'nearest'? "
        "allowed: given, nearest, hilbert, signature, farthest)");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {guess: previus}\n") ==
        "case.yaml:5:21: 'solver.sequence.guess': unknown value 'previus' (did you mean "
        "'previous'? allowed: zero, previous, projection, fischer, pod, auto)");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {reuse_pc: yes}\n") ==
        "case.yaml:5:24: 'solver.sequence.reuse_pc': unknown value 'yes' (allowed: never, always, "
        "auto, refresh)");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {recycle: sometimes}\n") ==
        "case.yaml:5:23: 'solver.sequence.recycle': expected true or false, got 'sometimes'");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {rebuild_factor: 1}\n") ==
        "case.yaml:5:30: 'solver.sequence.rebuild_factor': expected a number > 1, got 1");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {guess_size: 0}\n") ==
        "case.yaml:5:26: 'solver.sequence.guess_size': expected a positive integer, got 0");
  CHECK(error_of(kMinimal + "solver:\n  sequence: {projection_accuracy: 2}\n") ==
        "case.yaml:5:35: 'solver.sequence.projection_accuracy': expected a number in (0, 1], got 2");
  CHECK(error_of(kMinimal + "solver:\n  sequence: [nearest]\n") != "(no error)");
}

// Chebyshev-Tucker surrogates of reduced-model outputs: exactness on polynomials of low degree,
// the tolerance on a smooth non-polynomial function (with a log-scale parameter), the HDF5 round
// trip (bit-identical values online, and the tensor layer reading the same group), the range
// check, and the surrogate of a small thermal-block reduced model against the model itself, also
// through the model file that kolmo offline writes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/case_file.hpp"
#include "core/hdf5_file.hpp"
#include "core/sampler.hpp"
#include "mpi_test_helpers.hpp"
#include "rom/model_file.hpp"
#include "rom/offline_test_helpers.hpp"
#include "rom/online/chebyshev_tucker_surrogate.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"
#include "rom/output_surrogate_builder.hpp"
#include "rom/reduced_model_builder.hpp"
#include "tensor/chebyshev_tucker.hpp"

using namespace kolmo;
using namespace kolmo::rom;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

ParameterSpace three_parameters() {
  return ParameterSpace({{"a", -1.0, 2.0, Scale::linear},
                         {"b", 0.5, 1.5, Scale::linear},
                         {"c", 0.2, 5.0, Scale::log}});
}

// A polynomial of degree <= 5 per variable in (a, b, ln c).
double polynomial(const Mu& mu) {
  const double a = mu[0], b = mu[1], x = std::log(mu[2]);
  return 1.0 + a * a * a * b - 2.0 * x * x * a + std::pow(b, 5) - 0.5 * a * b * x + x;
}

double gaussian(const Mu& mu) {
  return std::exp(-(mu[0] * mu[0] + mu[1] * mu[1] + mu[2] * mu[2]));
}

std::string temporary_path(const char* stem) {
  char path[96];
  std::snprintf(path, sizeof path, "%s_np%d_r%d.h5", stem, comm_size(test_comm()), comm_rank(test_comm()));
  return path;
}

}  // namespace

TEST_CASE("a polynomial of low degree is reproduced to round-off", "[rom][surrogate]") {
  const ParameterSpace space = three_parameters();
  OutputSurrogateOptions options;
  options.tolerance = 1e-10;
  tensor::ChebyshevTucker tensor;
  OutputSurrogateReport report;
  const auto s = build_surrogate("p", space, polynomial, options, &tensor, &report);
  CHECK(s.dims() == 3);
  CHECK(report.accuracy.converged);
  // Degree <= 5 per variable and a sum of a few separable terms: small ranks, exact values.
  for (const int r : s.ranks()) CHECK(r <= 6);
  double scale = 0.0, error = 0.0;
  for (const Mu& mu : sample_random(space, 2000, 99)) {
    scale = std::max(scale, std::abs(polynomial(mu)));
    error = std::max(error, std::abs(s.evaluate(mu) - polynomial(mu)));
  }
  CHECK(error <= 1e-12 * scale);
  CHECK(s.accuracy().check_relative_error <= 1e-12);
  CHECK(s.accuracy().check_points == 1000);
}

TEST_CASE("exp(-|mu|^2) to the tolerance, through HDF5, equal to the tensor layer",
          "[rom][surrogate][hdf5]") {
  const ParameterSpace space = three_parameters();
  for (const double tolerance : {1e-6, 1e-9}) {
    OutputSurrogateOptions options;
    options.tolerance = tolerance;
    options.max_degree = 64;  // exp(-c^2) = exp(-e^{2 ln c}) needs about 40 in ln c at 1e-9
    tensor::ChebyshevTucker tensor;
    const auto s = build_surrogate("g", space, gaussian, options, &tensor);
    INFO("nodes " << s.points()[0] << " " << s.points()[1] << " " << s.points()[2]);
    INFO("tolerance " << tolerance);
    CHECK(s.accuracy().converged);
    CHECK(s.accuracy().check_relative_error <= 10 * tolerance);
    CHECK(s.accuracy().check_relative_error > 0.0);

    // Independent points (another seed than the build's check sample).
    const auto sample = sample_random(space, 2000, 7);
    double scale = 0.0, error = 0.0, tensor_difference = 0.0;
    for (const Mu& mu : sample) {
      const double value = s.evaluate(mu);
      scale = std::max(scale, gaussian(mu));
      error = std::max(error, std::abs(value - gaussian(mu)));
      const double x[3] = {mu[0], mu[1], std::log(mu[2])};
      tensor_difference = std::max(tensor_difference, std::abs(value - tensor(x)));
    }
    CHECK(error <= 10 * tolerance * scale);
    CHECK(tensor_difference <= 1e-14 * scale);

    // Write, read back: identical parts and bit-identical values; the tensor layer reads the
    // group as its own format.
    const std::string path = temporary_path("test_surrogate_roundtrip");
    {
      h5::File file = h5::File::create_serial(path, true);
      write_output_surrogates(file, {s, s});
      file.close();
    }
    const auto read = read_output_surrogates(path);
    REQUIRE(read.size() == 2);
    CHECK(read[0].output_name() == "g");
    CHECK(read[0].ranks() == s.ranks());
    CHECK(read[0].points() == s.points());
    CHECK(read[0].core() == s.core());
    CHECK(read[0].accuracy().check_error == s.accuracy().check_error);
    CHECK(read[0].accuracy().tolerance == tolerance);
    CHECK(read[0].parameter_space().parameter(2).scale == Scale::log);
    bool identical = true;
    for (const Mu& mu : sample) identical = identical && read[0].evaluate(mu) == s.evaluate(mu);
    CHECK(identical);
    const h5::File file = h5::File::open_serial(path, h5::Access::read_only);
    CHECK(has_output_surrogates(file));
    const auto loaded = tensor::ChebyshevTucker::load(file, "/surrogate/output_1");
    CHECK(loaded.ranks() == tensor.ranks());
    const double x[3] = {0.3, 0.7, std::log(2.0)};
    CHECK(loaded(x) == Approx(s.evaluate({0.3, 0.7, 2.0})).epsilon(1e-14));
    std::remove(path.c_str());
  }
}

TEST_CASE("the surrogate refuses points outside the box and bad options", "[rom][surrogate]") {
  const ParameterSpace space = three_parameters();
  OutputSurrogateOptions options;
  options.tolerance = 1e-6;
  const auto s = build_surrogate("g", space, gaussian, options);
  CHECK_THROWS_WITH(s.evaluate({0.0, 1.0, 6.0}, "--mu"),
                    Catch::Contains("--mu") && Catch::Contains("'c'") && Catch::Contains("outside"));
  CHECK_THROWS_AS(s.evaluate({0.0, 1.0}), InputError);
  options.tolerance = 0.0;
  CHECK_THROWS_WITH(build_surrogate("g", space, gaussian, options), Catch::Contains("tolerance"));
  const ParameterSpace seven = kolmo::testing::make_space({"a", "b", "c", "d", "e", "f", "g"}, 0, 1);
  options.tolerance = 1e-6;
  CHECK_THROWS_WITH(build_surrogate("g", seven, [](const Mu&) { return 1.0; }, options),
                    Catch::Contains("1 to 6"));
  const std::string path = temporary_path("test_surrogate_none");
  {
    h5::File file = h5::File::create_serial(path, true);
    file.close();
  }
  CHECK_THROWS_WITH(read_output_surrogates(path), Catch::Contains("no output surrogate"));
  std::remove(path.c_str());
}

TEST_CASE("the case file's rom.surrogate section", "[rom][surrogate][case_file]") {
  const std::string base = "problem: {type: thermal_block, blocks: [2, 1]}\n"
                           "parameters:\n"
                           "  - {name: a, range: [0.1, 1]}\n"
                           "  - {name: b, range: [0.1, 1]}\n";
  const auto plain = parse_case_file(base + "rom: {method: pod}\n", "case.yaml");
  CHECK_FALSE(plain.rom.surrogate);
  const auto c = parse_case_file(
      base + "rom:\n  surrogate: {tolerance: 1.0e-7, max_degree: 20, check_points: 50}\n", "case.yaml");
  CHECK(c.rom.surrogate);
  CHECK(c.rom.surrogate_tolerance == 1e-7);
  CHECK(c.rom.surrogate_max_degree == 20);
  CHECK(c.rom.surrogate_check_points == 50);
  const auto defaults = parse_case_file(base + "rom:\n  surrogate: {}\n", "case.yaml");
  CHECK(defaults.rom.surrogate);
  CHECK(defaults.rom.surrogate_tolerance == 1e-8);
  CHECK_THROWS_WITH(parse_case_file(base + "rom:\n  surrogate: {tolerance: 0}\n", "case.yaml"),
                    Catch::Contains("'rom.surrogate.tolerance'") && Catch::Contains("(0, 1)"));
  CHECK_THROWS_WITH(parse_case_file(base + "rom:\n  surrogate: {tolerence: 1e-6}\n", "case.yaml"),
                    Catch::Contains("did you mean 'tolerance'"));
  std::string seven = "problem: {type: thermal_block, blocks: [7, 1]}\nparameters:\n";
  for (int i = 0; i < 7; ++i) seven += "  - {name: m" + std::to_string(i) + ", range: [0.1, 1]}\n";
  CHECK_THROWS_WITH(parse_case_file(seven + "rom:\n  surrogate: {}\n", "case.yaml"),
                    Catch::Contains("1 to 6 parameters"));
}

TEST_CASE("one and five parameters", "[rom][surrogate]") {
  OutputSurrogateOptions options;
  options.tolerance = 1e-8;
  const ParameterSpace one({{"t", 1.0, 3.0, Scale::linear}});
  const auto f1 = [](const Mu& mu) { return std::sin(3 * mu[0]) / mu[0]; };
  const auto s1 = build_surrogate("f", one, f1, options);
  CHECK(s1.ranks() == std::vector<int>{1});
  CHECK(s1.accuracy().check_relative_error <= 10 * options.tolerance);
  const ParameterSpace five = kolmo::testing::make_space({"a", "b", "c", "d", "e"}, 0.0, 1.0);
  const auto f5 = [](const Mu& mu) {
    return 1.0 / (1.0 + mu[0] + 0.5 * mu[1] * mu[2] + 0.25 * mu[3] + 0.1 * mu[4] * mu[4]);
  };
  const auto s5 = build_surrogate("f", five, f5, options);
  CHECK(s5.accuracy().check_relative_error <= 10 * options.tolerance);
}

TEST_CASE("the surrogate of a thermal-block reduced model agrees with the model",
          "[rom][surrogate][mpi]") {
  const MPI_Comm comm = test_comm();
  // Log-scale parameters, as in examples/thermal_block: s_N is much smoother in ln mu.
  std::vector<Parameter> parameters;
  for (int i = 0; i < 4; ++i) parameters.push_back({"mu" + std::to_string(i), 0.1, 1.0, Scale::log});
  operators::ThermalBlockSettings settings;
  settings.blocks = {2, 2};
  settings.cells = {16, 16};
  operators::ThermalBlockProblem problem(comm, ParameterSpace(parameters), settings);
  ReducedModelBuilder builder(problem, 6);
  for (const Mu& mu : std::vector<Mu>{{0.1, 0.5, 1.0, 0.3}, {1.0, 1.0, 1.0, 1.0}, {0.2, 0.9, 0.4, 0.7},
                                      {0.5, 0.1, 0.8, 0.6}, {0.9, 0.3, 0.2, 0.1}, {0.3, 0.3, 0.6, 0.9}}) {
    auto u = kolmo::testing::solve_problem(problem, mu);
    REQUIRE(builder.add(u));
  }
  ReducedModel model = builder.model();
  model.case_text = "name: test";
  model.method = "pod";
  model.stability.kind = "min_theta";
  model.stability.theta_bar = {1, 1, 1, 1};
  model.singular_values = {1, 2, 3, 4, 5, 6};
  REQUIRE(model.outputs.size() >= 1);

  OutputSurrogateOptions options;
  options.tolerance = 1e-8;
  OutputSurrogateBuilder surrogate_builder(OnlineEvaluator(model), options);
  std::vector<OutputSurrogateReport> reports;
  const auto surrogates = surrogate_builder.build_all(&reports);
  REQUIRE(surrogates.size() == model.outputs.size());
  CHECK(reports[0].accuracy.basis_size == 6);
  CHECK(reports[0].accuracy.converged);
  CHECK(surrogates[0].accuracy().check_relative_error <= 10 * options.tolerance);

  OnlineEvaluator evaluator(model);
  const auto sample = sample_random(evaluator.parameter_space(), 300, 2024);
  double scale = 0.0, error = 0.0;
  for (const Mu& mu : sample) {
    const double reduced = evaluator.evaluate(mu).outputs[0];
    scale = std::max(scale, std::abs(reduced));
    error = std::max(error, std::abs(surrogates[0].evaluate(mu) - reduced));
  }
  INFO("max |s_surrogate - s_N| = " << error << ", max |s_N| = " << scale);
  CHECK(on_all_ranks(error <= 10 * options.tolerance * scale));

  // Through the model file as kolmo offline writes it (collectively, with the basis).
  char path[64];
  std::snprintf(path, sizeof path, "test_surrogate_model_np%d.h5", comm_size(comm));
  write_model_file(path, model, builder.basis(), problem,
                   [&](h5::File& file) { write_output_surrogates(file, surrogates); });
  const auto read = read_output_surrogates(std::string(path));
  REQUIRE(read.size() == surrogates.size());
  bool identical = read[0].core() == surrogates[0].core();
  for (const Mu& mu : sample) identical = identical && read[0].evaluate(mu) == surrogates[0].evaluate(mu);
  CHECK(on_all_ranks(identical));
  // The model in the same file is still readable as before.
  CHECK(read_reduced_model(std::string(path)).max_size() == 6);
}

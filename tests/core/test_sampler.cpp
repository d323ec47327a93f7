#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/sampler.hpp"
#include "mpi_test_helpers.hpp"

using kolmo::Mu;
using kolmo::ParameterSpace;
using kolmo::Scale;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

ParameterSpace mixed_space() {
  return ParameterSpace({{"a", -1.0, 1.0, Scale::linear},
                         {"b", 1e-2, 1e2, Scale::log},
                         {"c", 0.0, 5.0, Scale::linear}});
}

// A directory of this process's own (pid and rank in the name), removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("kolmo_test_sampler_" + std::to_string(::getpid()) + "_" +
            std::to_string(kolmo::comm_rank(test_comm())));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

std::string csv_error(const ParameterSpace& space, const std::string& text) {
  try {
    kolmo::parse_sample_csv(space, text, "pts.csv");
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("unit_uniform takes the top 53 bits of the engine", "[core][sampler]") {
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 100; ++i) {
    const double u = kolmo::unit_uniform(a);
    CHECK(u == static_cast<double>(b() >> 11) / 9007199254740992.0);
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
  // std::mt19937_64 is fully specified: its 10000th output is fixed by the standard.
  std::mt19937_64 c;
  c.discard(9999);
  CHECK(c() == 9981545732273789042ULL);
}

TEST_CASE("random samples are reproducible, in range, and uniform in scaled coordinates",
          "[core][sampler]") {
  const auto space = mixed_space();
  const auto s1 = kolmo::sample_random(space, 2000, 7);
  const auto s2 = kolmo::sample_random(space, 2000, 7);
  const auto s3 = kolmo::sample_random(space, 2000, 8);
  CHECK(s1 == s2);
  CHECK(s1 != s3);
  REQUIRE(s1.size() == 2000);
  std::vector<double> mean(3, 0.0);
  for (const auto& mu : s1) {
    REQUIRE(space.contains(mu));
    const auto t = space.to_unit(mu);
    for (int j = 0; j < 3; ++j) mean[j] += t[j] / 2000.0;
  }
  // Uniform in [0,1): mean 1/2 with standard error 0.0065; for b that means log-uniform.
  for (int j = 0; j < 3; ++j) CHECK(mean[j] == Approx(0.5).margin(0.03));

  // Known answer: the first point is the first three draws mapped through from_unit.
  std::mt19937_64 rng(7);
  std::vector<double> t(3);
  for (auto& x : t) x = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  CHECK(s1.front() == space.from_unit(t));
}

TEST_CASE("Latin hypercube puts exactly one point in every stratum of every parameter",
          "[core][sampler]") {
  const auto space = mixed_space();
  const std::size_t n = 37;
  const auto sample = kolmo::sample_latin_hypercube(space, n, 3);
  REQUIRE(sample.size() == n);
  CHECK(sample == kolmo::sample_latin_hypercube(space, n, 3));
  CHECK(sample != kolmo::sample_latin_hypercube(space, n, 4));
  for (std::size_t j = 0; j < space.dimension(); ++j) {
    std::vector<int> count(n, 0);
    for (const auto& mu : sample) {
      REQUIRE(space.contains(mu));
      const double t = space.to_unit(mu)[j];
      const auto stratum = std::min(n - 1, static_cast<std::size_t>(std::floor(t * n)));
      ++count[stratum];
    }
    CHECK(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; }));
  }
  // The strata are permuted independently per parameter (not all on the diagonal).
  bool diagonal = true;
  for (const auto& mu : sample) {
    const auto t = space.to_unit(mu);
    diagonal = diagonal && std::floor(t[0] * n) == std::floor(t[2] * n);
  }
  CHECK_FALSE(diagonal);
}

TEST_CASE(
    "tensor grids include the bounds, run the first parameter fastest, and are geometric "
    "on log scale",
    "[core][sampler]") {
  const auto space = mixed_space();
  const auto grid = kolmo::sample_tensor_grid(space, {3, 5, 2});
  REQUIRE(grid.size() == 30);
  CHECK(grid[0] == Mu{-1.0, 1e-2, 0.0});
  CHECK(grid[1] == Mu{0.0, 1e-2, 0.0});
  CHECK(grid[2] == Mu{1.0, 1e-2, 0.0});
  CHECK(grid[3] == Mu{-1.0, grid[3][1], 0.0});
  CHECK(grid.back() == Mu{1.0, 1e2, 5.0});
  // b takes 5 values 1e-2, 1e-1, 1, 10, 100 (geometric); exact at the bounds.
  for (std::size_t k = 0; k < 5; ++k) CHECK(grid[3 * k][1] == Approx(std::pow(10.0, -2.0 + k)));
  for (const auto& mu : grid) CHECK(space.contains(mu));

  // One count for all parameters; one point means the middle (geometric for log).
  CHECK(kolmo::sample_tensor_grid(space, {4}).size() == 64);
  const auto middle = kolmo::sample_tensor_grid(space, {1});
  REQUIRE(middle.size() == 1);
  CHECK(middle[0][0] == Approx(0.0).margin(1e-15));
  CHECK(middle[0][1] == Approx(1.0));
  CHECK(middle[0][2] == Approx(2.5));

  CHECK_THROWS_AS(kolmo::sample_tensor_grid(space, {3, 3}), kolmo::InputError);
  CHECK_THROWS_AS(kolmo::sample_tensor_grid(space, {3, 0, 3}), kolmo::InputError);
  CHECK_THROWS_WITH(kolmo::sample_tensor_grid(space, {100000}),
                    Catch::Contains("more than 1000000000 points"));
}

TEST_CASE("CSV samples: header in any order, comments, blank lines", "[core][sampler]") {
  const auto space = mixed_space();
  const auto sample = kolmo::parse_sample_csv(space,
                                              "# a comment line\n"
                                              "\n"
                                              "c, a ,b\r\n"
                                              "1.5, -0.5, 10   # trailing comment\n"
                                              "\n"
                                              "0,1,1e-2\n",
                                              "pts.csv");
  REQUIRE(sample.size() == 2);
  CHECK(sample[0] == Mu{-0.5, 10.0, 1.5});
  CHECK(sample[1] == Mu{1.0, 1e-2, 0.0});
}

TEST_CASE("CSV errors name the file and the line", "[core][sampler]") {
  const auto space = mixed_space();
  CHECK(csv_error(space, "a,b,c\n0,1,1\n\n0,x,1\n") ==
        "pts.csv:4: 'x' is not a number (column 'b')");
  CHECK(csv_error(space, "a,b,c\n0,1,1\n# c\n0,1,7\n") ==
        "pts.csv:4: parameter 'c' = 7 is outside its range [0, 5]");
  CHECK(csv_error(space, "a,b,c\n0,1\n") == "pts.csv:2: expected 3 values, got 2");
  CHECK(csv_error(space, "# x\na,c\n0,1\n") ==
        "pts.csv:2: no column for parameter 'b' in the header (expected the names a, b, c, in "
        "any order)");
  CHECK(csv_error(space, "a,bb,c\n") ==
        "pts.csv:1: unknown column 'bb' in the header (did you mean 'b'? parameters: a, b, c)");
  CHECK(csv_error(space, "a,b,c,a\n") == "pts.csv:1: column 'a' appears twice in the header");
  CHECK(csv_error(space, "# nothing\n\n") ==
        "pts.csv: no header line; the first line must name the parameters, e.g. 'a, b, c'");
  CHECK(csv_error(space, "a,b,c\n") == "pts.csv: no sample points after the header");
}

TEST_CASE("CSV files are read from disk; a missing file is an InputError", "[core][sampler]") {
  const auto space = mixed_space();
  const TempDir dir;
  const auto path = dir.write("points.csv", "b,a,c\n1,0,0\n100,-1,5\n");
  const auto sample = kolmo::read_sample_csv(space, path);
  REQUIRE(sample.size() == 2);
  CHECK(sample[1] == Mu{-1.0, 100.0, 5.0});
  const auto bad = dir.write("bad.csv", "a,b,c\n0,1,1\n0,1,-1\n");
  CHECK_THROWS_WITH(kolmo::read_sample_csv(space, bad),
                    bad + ":3: parameter 'c' = -1 is outside its range [0, 5]");
  const auto missing = (dir.path / "none.csv").string();
  CHECK_THROWS_WITH(kolmo::read_sample_csv(space, missing), missing + ": no such file");
}

TEST_CASE("draw_sample dispatches on the method and checks the spec", "[core][sampler]") {
  const auto space = mixed_space();
  kolmo::SampleSpec spec;
  spec.method = "lhs";
  spec.size = 9;
  spec.seed = 5;
  CHECK(kolmo::draw_sample(space, spec) == kolmo::sample_latin_hypercube(space, 9, 5));
  spec.method = "random";
  CHECK(kolmo::draw_sample(space, spec) == kolmo::sample_random(space, 9, 5));
  spec.method = "grid";
  spec.points = {2};
  CHECK(kolmo::draw_sample(space, spec).size() == 8);
  spec.method = "random";
  spec.size = 0;
  CHECK_THROWS_WITH(kolmo::draw_sample(space, spec), "random sample: the size must be positive");
  spec.method = "sobol";
  CHECK_THROWS_WITH(kolmo::draw_sample(space, spec),
                    "unknown sampler 'sobol' (allowed: random, lhs, grid, file)");
}

TEST_CASE("draw_sample on a communicator reads a file on rank 0 for every rank",
          "[core][sampler][mpi]") {
  const auto space = mixed_space();
  std::string path;
  std::unique_ptr<TempDir> dir;
  if (kolmo::comm_rank(test_comm()) == 0) {
    dir = std::make_unique<TempDir>();
    path = dir->write("shared.csv", "a,b,c\n0.5,2,3\n");
  }
  kolmo::broadcast_string(test_comm(), path);
  kolmo::SampleSpec spec;
  spec.method = "file";
  spec.file = path;
  const auto sample = kolmo::draw_sample(test_comm(), space, spec);
  REQUIRE(on_all_ranks(sample.size() == 1 && sample[0] == Mu{0.5, 2.0, 3.0}));

  spec.file = path + ".missing";
  std::string message;
  try {
    kolmo::draw_sample(test_comm(), space, spec);
  } catch (const kolmo::InputError& e) {
    message = e.what();
  }
  REQUIRE(on_all_ranks(message == spec.file + ": no such file"));
  MPI_Barrier(test_comm());
}

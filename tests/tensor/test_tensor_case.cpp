#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "tensor/tensor_case.hpp"

using namespace kolmo::tensor;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

std::string rank_count_suffix() { return "_np" + std::to_string(kolmo::comm_size(test_comm())); }

}  // namespace

TEST_CASE("tensor case files are parsed with located errors", "[tensor][case]") {
  const TensorCase c = parse_tensor_case(
      "function:\n"
      "  expression: x*y + z\n"
      "  box: {lower: [0, 0, -1], upper: [1, 2, 1]}\n"
      "tolerance: 1e-7\n"
      "output: {file: out.h5, grid: [5, 6, 7]}\n",
      "dir/case.yaml");
  CHECK(c.kind == TensorCase::Kind::function);
  CHECK(c.variables == std::vector<std::string>{"x", "y", "z"});
  CHECK(c.box.upper(1) == 2.0);
  CHECK(c.tolerance == 1e-7);
  CHECK(c.output_file == "dir/out.h5");
  CHECK(c.grid == Dims{5, 6, 7});

  const TensorCase p = parse_tensor_case(
      "particles: {file: q.csv, split_width: 0.5}\ntolerance: 1e-5\noutput: {grid: [8]}\n", "a/b.yaml");
  CHECK(p.kind == TensorCase::Kind::particles);
  CHECK(p.particle_file == "a/q.csv");
  CHECK(p.split_width == 0.5);
  CHECK(p.grid == Dims{8, 8, 8});
  CHECK(p.output_file == "a/b_tensor.h5");

  const auto fails_with = [](const std::string& text, const std::string& message) {
    INFO(text);
    CHECK_THROWS_WITH(parse_tensor_case(text, "c.yaml"), Catch::Contains(message));
  };
  const std::string f = "function:\n  expression: x*y\n  box: {lower: [0, 0], upper: [1, 1]}\n";
  fails_with(f + "tolerance: -1\n", "c.yaml:4:12: 'tolerance': must be in (0, 1)");
  fails_with(f + "output: {grid: [4, 4, 4]}\n", "'output.grid': 3 sizes for 2 dimensions");
  fails_with(f + "output: {grid: [1]}\n", "'output.grid': every grid size must be >= 2");
  fails_with("function:\n  expression: x*q\n  box: {lower: [0, 0], upper: [1, 1]}\n",
             "c.yaml:2:15: 'function.expression'");
  fails_with("function:\n  expression: x\n  box: {lower: [0], upper: [1]}\n",
             "'function.box.lower': the box must have 2 to 6 dimensions");
  fails_with("function:\n  expression: x\n  box: {lower: [0, 1], upper: [1, 1]}\n",
             "'function.box.upper': side 1 has zero or negative width");
  fails_with("function:\n  expression: x\n", "'function': missing required key 'box'");
  fails_with("particles: {file: q.csv, split_width: 0}\n", "'particles.split_width': must be > 0");
  fails_with("particles: {file: q.csv, kernel: yukawa}\n", "'particles.kernel': unknown value 'yukawa'");
  fails_with("tolerance: 1e-6\n", "missing input");
}

TEST_CASE("run_tensor_case writes the tensor and the grid, the same on any number of ranks",
          "[tensor][case]") {
  const std::string out = "test_tensor_case" + rank_count_suffix() + ".h5";
  const TensorCase c = parse_tensor_case(
      "function:\n"
      "  expression: exp(-x^2 - 2*y^2) * (1 + z/3)\n"
      "  box: {lower: [-2, -1, 0], upper: [2, 1, 3]}\n"
      "tolerance: 1e-9\n"
      "output: {file: " + out + ", grid: [9, 8, 7]}\n",
      "case.yaml");
  const TensorCaseResult r = run_tensor_case(test_comm(), c);
  CHECK(r.max_error <= 2e-9);
  CHECK(r.ranks[2] <= 2);  // linear in z
  CHECK(r.xdmf);

  bool ok = true;
  if (kolmo::comm_rank(test_comm()) == 0) {
    const ChebyshevTucker t = ChebyshevTucker::load(
        kolmo::h5::File::open_serial(out, kolmo::h5::Access::read_only), "/chebyshev_tucker");
    const auto file = kolmo::h5::File::open_serial(out, kolmo::h5::Access::read_only);
    const std::vector<double> values = file.read_doubles("/grid/values");
    ok = ok && values.size() == 9u * 8u * 7u;
    // The grid values (written in slabs by all ranks) are the tensor at the grid points, first
    // coordinate fastest, and close to the function.
    double worst = 0.0, worst_f = 0.0;
    std::size_t k = 0;
    for (int iz = 0; iz < 7; ++iz)
      for (int iy = 0; iy < 8; ++iy)
        for (int ix = 0; ix < 9; ++ix, ++k) {
          const double x = -2 + 4.0 * ix / 8, y = -1 + 2.0 * iy / 7, z = 3.0 * iz / 6;
          const double point[3] = {x, y, z};
          worst = std::max(worst, std::abs(values[k] - t(point)));
          worst_f = std::max(worst_f, std::abs(values[k] - std::exp(-x * x - 2 * y * y) * (1 + z / 3)));
        }
    ok = ok && worst <= 1e-13 && worst_f <= 1e-8;
    std::ifstream xdmf("test_tensor_case" + rank_count_suffix() + ".xdmf");
    std::string text((std::istreambuf_iterator<char>(xdmf)), std::istreambuf_iterator<char>());
    ok = ok && text.find("/views/values") != std::string::npos;
  }
  REQUIRE(on_all_ranks(ok));
}

TEST_CASE("run_tensor_case reports a non-finite function value at the expression", "[tensor][case]") {
  const TensorCase c = parse_tensor_case(
      "function:\n  expression: log(x) * y\n  box: {lower: [-1, 0], upper: [1, 1]}\n"
      "output: {file: test_tensor_case_bad" + rank_count_suffix() + ".h5}\n",
      "bad.yaml");
  bool threw = false;
  try {
    (void)run_tensor_case(test_comm(), c);
  } catch (const kolmo::InputError& e) {
    threw = std::string(e.what()).find("bad.yaml:2:15: 'function.expression': the function value at") !=
            std::string::npos;
  }
  REQUIRE(on_all_ranks(threw));
}

// Orderings of systems: every order is a permutation, nearest neighbour shortens the path, the
// Hilbert curve visits face neighbours one after another (2-D and 3-D) and keeps quadrants
// together, parameter orders use the unit-cube coordinates, and the matrix signature orders a
// family of matrices along the family, with the same features on any number of ranks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/system_ordering.hpp"

using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace ks = kolmo::solvers;
namespace kt = kolmo::testing;

namespace {

ks::PointSet random_points(std::size_t n, std::size_t d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  ks::PointSet points(n, std::vector<double>(d));
  for (auto& p : points)
    for (auto& x : p) x = uniform(rng);
  return points;
}

std::vector<std::size_t> identity(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  return order;
}

// The 2^(d bits) cells of the grid, listed in Hilbert order.
std::vector<std::vector<std::uint32_t>> hilbert_walk(std::size_t d, int bits) {
  const std::uint32_t side = 1U << bits;
  std::size_t cells = 1;
  for (std::size_t j = 0; j < d; ++j) cells *= side;
  std::vector<std::vector<std::uint32_t>> all(cells, std::vector<std::uint32_t>(d));
  for (std::size_t c = 0; c < cells; ++c) {
    std::size_t rest = c;
    for (std::size_t j = 0; j < d; ++j) {
      all[c][j] = static_cast<std::uint32_t>(rest % side);
      rest /= side;
    }
  }
  std::vector<std::vector<std::uint64_t>> keys;
  for (const auto& x : all) keys.push_back(ks::hilbert_index(x, bits));
  auto order = identity(cells);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  std::vector<std::vector<std::uint32_t>> walk;
  for (const auto i : order) walk.push_back(all[i]);
  // The indices are distinct: the curve is a bijection onto 0 .. cells-1.
  for (std::size_t k = 1; k < order.size(); ++k) REQUIRE(keys[order[k - 1]] < keys[order[k]]);
  return walk;
}

std::uint32_t manhattan(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::uint32_t sum = 0;
  for (std::size_t j = 0; j < a.size(); ++j) sum += a[j] > b[j] ? a[j] - b[j] : b[j] - a[j];
  return sum;
}

}  // namespace

TEST_CASE("every order of a point set is a permutation", "[solvers][ordering]") {
  for (std::size_t d : {1, 2, 3, 5}) {
    const auto points = random_points(57, d, 11 + static_cast<unsigned>(d));
    CHECK(ks::is_permutation(ks::nearest_neighbour_order(points), points.size()));
    CHECK(ks::is_permutation(ks::hilbert_order(points), points.size()));
    CHECK(ks::is_permutation(ks::signature_order(points), points.size()));
  }
  CHECK(ks::nearest_neighbour_order({}).empty());
  CHECK(ks::hilbert_order({}).empty());
  CHECK(ks::nearest_neighbour_order({{0.5, 0.5}}) == std::vector<std::size_t>{0});
  // Repeated points are all visited.
  const ks::PointSet repeated(6, std::vector<double>{0.25, 0.75});
  CHECK(ks::is_permutation(ks::nearest_neighbour_order(repeated), 6));
  CHECK(ks::hilbert_order(repeated) == identity(6));  // one cell: the given order is kept

  CHECK_FALSE(ks::is_permutation(std::vector<std::size_t>{0, 2, 2}, 3));
  CHECK_FALSE(ks::is_permutation(std::vector<std::size_t>{0, 1}, 3));
  CHECK_THROWS_AS(ks::nearest_neighbour_order({{0.0, 1.0}, {0.0}}), kolmo::Exception);
}

TEST_CASE("nearest neighbour shortens the path through random points", "[solvers][ordering]") {
  for (std::size_t d : {2, 4}) {
    const auto points = random_points(300, d, 3);
    const double given = ks::path_length(points, identity(points.size()));
    const double nearest = ks::path_length(points, ks::nearest_neighbour_order(points));
    const double hilbert = ks::path_length(points, ks::hilbert_order(points));
    INFO("d = " << d << ": given " << given << ", nearest " << nearest << ", hilbert " << hilbert);
    // Random order: ~ n times the mean distance; a good tour: ~ n^(1-1/d) times a constant.
    CHECK(nearest < 0.35 * given);
    CHECK(hilbert < 0.5 * given);
  }
  // On points of a line the nearest-neighbour path starts at an end and walks along it.
  const ks::PointSet line = {{0.5}, {0.1}, {0.9}, {0.3}, {0.0}, {0.7}};
  CHECK(ks::nearest_neighbour_order(line) == std::vector<std::size_t>{2, 5, 0, 3, 1, 4});
}

TEST_CASE("farthest-point order spreads the first points over the set", "[solvers][ordering]") {
  // On a line: the middle first, then the two ends (tie: lower index), then the gaps.
  const ks::PointSet line = {{0.0}, {0.1}, {0.5}, {0.9}, {1.0}};
  CHECK(ks::farthest_point_order(line) == std::vector<std::size_t>{2, 0, 4, 1, 3});
  CHECK(ks::farthest_point_order({}).empty());
  CHECK_THROWS_AS(ks::farthest_point_order({{0.0, 1.0}, {0.0}}), kolmo::Exception);
  for (std::size_t d : {2, 4}) {
    const auto points = random_points(200, d, 5 + static_cast<unsigned>(d));
    const auto order = ks::farthest_point_order(points);
    REQUIRE(ks::is_permutation(order, points.size()));
    // The distance of each new point to the earlier ones never increases.
    auto gap = [&](std::size_t k) {
      double nearest = 1e300;
      for (std::size_t j = 0; j < k; ++j) {
        double s = 0;
        for (std::size_t c = 0; c < d; ++c) {
          const double t = points[order[k]][c] - points[order[j]][c];
          s += t * t;
        }
        nearest = std::min(nearest, s);
      }
      return nearest;
    };
    bool monotone = true;
    for (std::size_t k = 2; k < order.size(); ++k) monotone = monotone && gap(k) <= gap(k - 1);
    CHECK(monotone);
    // The first 20 points cover the set better than the first 20 of the nearest-neighbour path.
    auto covering_radius = [&](const std::vector<std::size_t>& o, std::size_t k) {
      double worst = 0;
      for (const auto& p : points) {
        double nearest = 1e300;
        for (std::size_t j = 0; j < k; ++j) {
          double s = 0;
          for (std::size_t c = 0; c < d; ++c) s += (p[c] - points[o[j]][c]) * (p[c] - points[o[j]][c]);
          nearest = std::min(nearest, s);
        }
        worst = std::max(worst, nearest);
      }
      return std::sqrt(worst);
    };
    const double spread = covering_radius(order, 20);
    const double path = covering_radius(ks::nearest_neighbour_order(points), 20);
    INFO("d = " << d << ": covering radius of the first 20, farthest " << spread << ", nearest " << path);
    CHECK(spread < 0.7 * path);
  }
}

TEST_CASE("the Hilbert curve steps between face neighbours and keeps quadrants together",
          "[solvers][ordering]") {
  // The known 2 x 2 and 4 x 4 curves: a U from (0,0), and the curve of order 2 (the one drawn
  // on Wikipedia's "Hilbert curve" page, x first) whose quarters are the four quadrants, the first
  // a U transposed to leave towards (0,2).
  const auto order1 = hilbert_walk(2, 1);
  CHECK(order1 == std::vector<std::vector<std::uint32_t>>{{0, 0}, {0, 1}, {1, 1}, {1, 0}});
  const auto walk2 = hilbert_walk(2, 2);
  CHECK(walk2 == std::vector<std::vector<std::uint32_t>>{{0, 0}, {1, 0}, {1, 1}, {0, 1},
                                                          {0, 2}, {0, 3}, {1, 3}, {1, 2},
                                                          {2, 2}, {2, 3}, {3, 3}, {3, 2},
                                                          {3, 1}, {2, 1}, {2, 0}, {3, 0}});
  for (std::size_t d : {2, 3}) {
    for (int bits : {1, 2, 3}) {
      const auto walk = hilbert_walk(d, bits);
      INFO("d = " << d << ", bits = " << bits);
      CHECK(walk.front() == std::vector<std::uint32_t>(d, 0));
      bool adjacent = true;
      for (std::size_t k = 1; k < walk.size(); ++k) adjacent = adjacent && manhattan(walk[k - 1], walk[k]) == 1;
      CHECK(adjacent);
      // Each of the 2^d consecutive blocks of the walk fills one half-size sub-cube.
      const std::size_t block = walk.size() >> d;
      bool quadrants = true;
      for (std::size_t start = 0; start < walk.size(); start += block)
        for (std::size_t k = start; k < start + block; ++k)
          for (std::size_t j = 0; j < d; ++j)
            quadrants = quadrants && (walk[k][j] >> (bits - 1)) == (walk[start][j] >> (bits - 1));
      CHECK(quadrants);
    }
  }
  // In one dimension the curve is the line itself.
  const ks::PointSet line = {{0.8}, {0.2}, {0.5}, {0.1}, {0.95}};
  CHECK(ks::hilbert_order(line) == std::vector<std::size_t>{3, 1, 2, 0, 4});
  // Close points get close positions: the centres of the 16 cells of the 4 x 4 grid, shuffled,
  // come back in the order of the walk above.
  ks::PointSet centres;
  for (const auto& cell : walk2) centres.push_back({(cell[0] + 0.5) / 4, (cell[1] + 0.5) / 4});
  std::vector<std::size_t> shuffle = identity(16);
  std::mt19937 rng(5);
  std::shuffle(shuffle.begin(), shuffle.end(), rng);
  ks::PointSet shuffled;
  for (const auto i : shuffle) shuffled.push_back(centres[i]);
  const auto order = ks::hilbert_order(shuffled, 2);
  std::vector<std::size_t> recovered;
  for (const auto i : order) recovered.push_back(shuffle[i]);
  CHECK(recovered == identity(16));
  CHECK_THROWS_AS(ks::hilbert_order(line, 0), kolmo::Exception);
}

TEST_CASE("parameter orders work in the unit cube of the parameter space", "[solvers][ordering]") {
  // On a log scale 1, 10 and 100 are equally spaced; on a linear one 1 and 10 are neighbours.
  const kolmo::ParameterSpace log_space({{"k", 1.0, 1000.0, kolmo::Scale::log}});
  const std::vector<kolmo::Mu> points = {{100.0}, {1.0}, {1000.0}, {10.0}, {2.0}};
  CHECK(ks::order_parameters(log_space, points, ks::SystemOrder::given) == identity(5));
  CHECK(ks::order_parameters(log_space, points, ks::SystemOrder::hilbert) ==
        std::vector<std::size_t>{1, 4, 3, 0, 2});
  const auto nearest = ks::order_parameters(log_space, points, ks::SystemOrder::nearest);
  CHECK((nearest == std::vector<std::size_t>{2, 0, 3, 4, 1} ||
         nearest == std::vector<std::size_t>{1, 4, 3, 0, 2}));
  CHECK_THROWS_AS(ks::order_parameters(log_space, points, ks::SystemOrder::signature), kolmo::Exception);

  CHECK(ks::parse_system_order("hilbert") == ks::SystemOrder::hilbert);
  CHECK(std::string(ks::to_string(ks::SystemOrder::signature)) == "signature");
  CHECK(ks::parse_system_order("farthest") == ks::SystemOrder::farthest);
  try {
    ks::parse_system_order("nearst");
    FAIL("no error");
  } catch (const kolmo::InputError& e) {
    CHECK(std::string(e.what()) ==
          "unknown system order 'nearst' (did you mean 'nearest'?); allowed: given, nearest, hilbert, "
          "signature, farthest");
  }
}

TEST_CASE("matrix signatures order a family of matrices along it, on any number of ranks",
          "[solvers][ordering]") {
  // A(t) = L + t D with D = diag(shift): the signatures lie on a line in t.
  const std::vector<double> t = {0.7, 0.1, 0.4, 1.0, 0.0, 0.55, 0.25};
  ks::PointSet signatures, serial;
  for (const double ti : t) {
    const auto shift = [ti](PetscInt row) { return ti * (1.0 + static_cast<double>(row % 7)); };
    auto a = kt::grid_matrix(test_comm(), 12, 0.0, shift);
    signatures.push_back(ks::matrix_signature(a));
    auto a_serial = kt::grid_matrix(PETSC_COMM_SELF, 12, 0.0, shift);
    serial.push_back(ks::matrix_signature(a_serial));
  }
  REQUIRE(signatures[0].size() == 4 * 4 + 16);
  // Same features as on one rank (the probes depend on global indices only).
  double difference = 0, scale = 0;
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t j = 0; j < signatures[i].size(); ++j) {
      difference = std::max(difference, std::abs(signatures[i][j] - serial[i][j]));
      scale = std::max(scale, std::abs(serial[i][j]));
    }
  REQUIRE(on_all_ranks(difference <= 1e-12 * scale));

  auto order = ks::signature_order(signatures);
  ks::broadcast_order(test_comm(), order);
  std::vector<double> visited;
  for (const auto i : order) visited.push_back(t[i]);
  const bool monotone = std::is_sorted(visited.begin(), visited.end()) ||
                        std::is_sorted(visited.rbegin(), visited.rend());
  INFO("t in signature order: " << visited[0] << " " << visited[1] << " " << visited[2] << " ...");
  REQUIRE(on_all_ranks(monotone && ks::is_permutation(order, t.size())));

  // Distances between signatures grow with the distance between the matrices.
  auto distance = [&](std::size_t a, std::size_t b) {
    double s = 0;
    for (std::size_t j = 0; j < signatures[a].size(); ++j)
      s += (signatures[a][j] - signatures[b][j]) * (signatures[a][j] - signatures[b][j]);
    return std::sqrt(s);
  };
  CHECK(distance(4, 1) < distance(4, 6));  // t = 0 is closer to 0.1 than to 0.25
  CHECK(distance(4, 6) < distance(4, 3));  // ... and to 0.25 than to 1
}

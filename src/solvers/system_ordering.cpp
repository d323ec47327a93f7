#include "solvers/system_ordering.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/petsc_handle.hpp"
#include "core/text.hpp"

namespace kolmo::solvers {
namespace {

double squared_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t j = 0; j < a.size(); ++j) {
    const double d = a[j] - b[j];
    sum += d * d;
  }
  return sum;
}

void check_dimensions(const PointSet& points) {
  for (std::size_t i = 1; i < points.size(); ++i)
    KOLMO_CHECK(points[i].size() == points[0].size(),
                "point " << i << " has " << points[i].size() << " coordinates, point 0 has "
                         << points[0].size());
}

// The point of a non-empty set farthest from its mean (`farthest`), or nearest to it; the lowest
// index on ties.
std::size_t extreme_from_centroid(const PointSet& points, bool farthest) {
  std::vector<double> centroid(points[0].size(), 0.0);
  for (const auto& p : points)
    for (std::size_t j = 0; j < centroid.size(); ++j) centroid[j] += p[j] / static_cast<double>(points.size());
  std::size_t best = 0;
  double best_distance = squared_distance(points[0], centroid);
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double s = squared_distance(points[i], centroid);
    if (farthest ? s > best_distance : s < best_distance) {
      best_distance = s;
      best = i;
    }
  }
  return best;
}

// A pseudo-random 64-bit value determined by (index, stream, seed) only: the same on every rank
// and for every distribution of the rows.
std::uint64_t hash(std::uint64_t index, std::uint64_t stream, std::uint64_t seed) {
  std::uint64_t x = index * 0x9E3779B97F4A7C15ULL + stream * 0xD1B54A32D192ED03ULL +
                    seed * 0xBF58476D1CE4E5B9ULL + 1;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32;
  return x;
}

// Fill `v` with +-1 entries of stream `stream`.
void rademacher(Vec v, std::uint64_t stream, unsigned seed) {
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &low, &high));
  PetscScalar* x = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(v, &x));
  for (PetscInt g = low; g < high; ++g)
    x[g - low] = (hash(static_cast<std::uint64_t>(g), stream, seed) >> 63) ? 1.0 : -1.0;
  KOLMO_PETSC_CALL(VecRestoreArray(v, &x));
}

}  // namespace

const std::vector<std::string>& system_order_names() {
  static const std::vector<std::string> names = {"given", "nearest", "hilbert", "signature", "farthest"};
  return names;
}

const char* to_string(SystemOrder order) {
  return system_order_names()[static_cast<std::size_t>(order)].c_str();
}

SystemOrder parse_system_order(const std::string& name) {
  const auto& names = system_order_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<SystemOrder>(i);
  std::ostringstream message;
  message << "unknown system order '" << name << "'";
  const std::string near = nearest_word(name, names);
  if (!near.empty()) message << " (did you mean '" << near << "'?)";
  message << "; allowed: given, nearest, hilbert, signature, farthest";
  throw InputError(message.str());
}

bool is_permutation(std::span<const std::size_t> order, std::size_t n) {
  if (order.size() != n) return false;
  std::vector<bool> seen(n, false);
  for (const auto i : order) {
    if (i >= n || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}

double path_length(const PointSet& points, std::span<const std::size_t> order) {
  double length = 0;
  for (std::size_t k = 1; k < order.size(); ++k)
    length += std::sqrt(squared_distance(points.at(order[k - 1]), points.at(order[k])));
  return length;
}

std::vector<std::size_t> nearest_neighbour_order(const PointSet& points) {
  check_dimensions(points);
  const std::size_t n = points.size();
  std::vector<std::size_t> order;
  if (n == 0) return order;
  order.reserve(n);
  std::size_t current = extreme_from_centroid(points, true);

  // `remaining` holds the unvisited points; swap-remove keeps it compact, and the scan compares
  // indices on equal distances so that ties go to the lower index whatever the array order.
  std::vector<std::size_t> remaining(n);
  std::iota(remaining.begin(), remaining.end(), std::size_t{0});
  remaining[current] = remaining.back();
  remaining.pop_back();
  order.push_back(current);
  while (!remaining.empty()) {
    std::size_t best = 0;
    double best_distance = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < remaining.size(); ++r) {
      const double s = squared_distance(points[current], points[remaining[r]]);
      if (s < best_distance || (s == best_distance && remaining[r] < remaining[best])) {
        best_distance = s;
        best = r;
      }
    }
    current = remaining[best];
    order.push_back(current);
    remaining[best] = remaining.back();
    remaining.pop_back();
  }
  return order;
}

std::vector<std::size_t> farthest_point_order(const PointSet& points) {
  check_dimensions(points);
  const std::size_t n = points.size();
  std::vector<std::size_t> order;
  if (n == 0) return order;
  order.reserve(n);
  std::size_t current = extreme_from_centroid(points, false);
  // distance[i]: squared distance of point i to the nearest point taken (-1 once taken).
  std::vector<double> distance(n, std::numeric_limits<double>::infinity());
  for (std::size_t k = 0; k < n; ++k) {
    order.push_back(current);
    distance[current] = -1;
    std::size_t next = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (distance[i] < 0) continue;
      distance[i] = std::min(distance[i], squared_distance(points[i], points[current]));
      if (next == n || distance[i] > distance[next]) next = i;
    }
    current = next;
  }
  return order;
}

std::vector<std::uint64_t> hilbert_index(std::span<const std::uint32_t> coords, int bits) {
  KOLMO_CHECK(bits >= 1 && bits <= 32, "hilbert_index: bits must be in [1, 32], got " << bits);
  const std::size_t d = coords.size();
  std::vector<std::uint32_t> x(coords.begin(), coords.end());
  if (d > 1) {
    // Skilling's AxesToTranspose: undo the excess work of the recursive construction, then Gray
    // encode, leaving the index "transposed" over the d coordinates.
    const std::uint32_t top = std::uint32_t{1} << (bits - 1);
    for (std::uint32_t q = top; q > 1; q >>= 1) {
      const std::uint32_t p = q - 1;
      for (std::size_t i = 0; i < d; ++i) {
        if (x[i] & q) {
          x[0] ^= p;
        } else {
          const std::uint32_t t = (x[0] ^ x[i]) & p;
          x[0] ^= t;
          x[i] ^= t;
        }
      }
    }
    for (std::size_t i = 1; i < d; ++i) x[i] ^= x[i - 1];
    std::uint32_t t = 0;
    for (std::uint32_t q = top; q > 1; q >>= 1)
      if (x[d - 1] & q) t ^= q - 1;
    for (std::size_t i = 0; i < d; ++i) x[i] ^= t;
  }
  // Interleave: the most significant digit is the top bit of x[0], then of x[1], ...
  const std::size_t total = d * static_cast<std::size_t>(bits);
  std::vector<std::uint64_t> key((total + 63) / 64, 0);
  std::size_t position = 0;
  for (int b = bits - 1; b >= 0; --b) {
    for (std::size_t i = 0; i < d; ++i, ++position)
      if ((x[i] >> b) & 1U) key[position / 64] |= std::uint64_t{1} << (63 - position % 64);
  }
  return key;
}

std::vector<std::size_t> hilbert_order(const PointSet& unit_points, int bits) {
  KOLMO_CHECK(bits >= 1 && bits <= 32, "hilbert_order: bits must be in [1, 32], got " << bits);
  check_dimensions(unit_points);
  const std::size_t n = unit_points.size();
  const double cells = std::ldexp(1.0, bits);
  const double last = cells - 1;
  std::vector<std::vector<std::uint64_t>> keys(n);
  std::vector<std::uint32_t> coords;
  for (std::size_t i = 0; i < n; ++i) {
    coords.clear();
    for (const double t : unit_points[i]) {
      const double c = std::isfinite(t) ? std::clamp(std::floor(t * cells), 0.0, last) : 0.0;
      coords.push_back(static_cast<std::uint32_t>(c));
    }
    keys[i] = hilbert_index(coords, bits);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return order;
}

std::vector<std::size_t> order_parameters(const ParameterSpace& space, const std::vector<Mu>& points,
                                          SystemOrder order) {
  KOLMO_CHECK(order != SystemOrder::signature,
              "the signature order needs the matrices (matrix_signature), not the parameters");
  if (order == SystemOrder::given) {
    std::vector<std::size_t> identity(points.size());
    std::iota(identity.begin(), identity.end(), std::size_t{0});
    return identity;
  }
  PointSet unit;
  unit.reserve(points.size());
  for (const auto& mu : points) {
    KOLMO_CHECK(mu.size() == space.dimension(), "a parameter point has " << mu.size()
                                                    << " values, the space " << space.dimension());
    unit.push_back(space.to_unit(mu));
  }
  if (order == SystemOrder::nearest) return nearest_neighbour_order(unit);
  if (order == SystemOrder::farthest) return farthest_point_order(unit);
  return hilbert_order(unit);
}

std::vector<double> matrix_signature(Mat a, const SignatureOptions& options) {
  KOLMO_CHECK(options.probes >= 0 && options.diagonal_samples >= 0,
              "matrix_signature: negative probe (" << options.probes << ") or sample ("
                                                   << options.diagonal_samples << ") count");
  PetscInt rows = 0, cols = 0;
  KOLMO_PETSC_CALL(MatGetSize(a, &rows, &cols));
  KOLMO_CHECK(rows == cols, "matrix_signature needs a square matrix, got " << rows << " x " << cols);
  const auto p = static_cast<PetscInt>(options.probes);
  std::vector<double> features;
  features.reserve(static_cast<std::size_t>(p * p + options.diagonal_samples));

  if (p > 0) {
    VecHandle z, y;
    KOLMO_PETSC_CALL(MatCreateVecs(a, z.out(), y.out()));
    std::vector<VecHandle> w(static_cast<std::size_t>(p));
    std::vector<Vec> w_raw;
    for (PetscInt i = 0; i < p; ++i) {
      KOLMO_PETSC_CALL(VecDuplicate(y, w[static_cast<std::size_t>(i)].out()));
      rademacher(w[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(2 * i + 1), options.seed);
      w_raw.push_back(w[static_cast<std::size_t>(i)]);
    }
    std::vector<PetscScalar> dots(static_cast<std::size_t>(p));
    for (PetscInt j = 0; j < p; ++j) {
      rademacher(z, static_cast<std::uint64_t>(2 * j + 2), options.seed);
      KOLMO_PETSC_CALL(MatMult(a, z, y));
      KOLMO_PETSC_CALL(VecMDot(y, p, w_raw.data(), dots.data()));
      for (const auto value : dots) features.push_back(PetscRealPart(value) / static_cast<double>(p));
    }
  }

  if (options.diagonal_samples > 0 && rows > 0) {
    VecHandle diagonal;
    KOLMO_PETSC_CALL(MatCreateVecs(a, nullptr, diagonal.out()));
    KOLMO_PETSC_CALL(MatGetDiagonal(a, diagonal));
    PetscInt low = 0, high = 0;
    KOLMO_PETSC_CALL(VecGetOwnershipRange(diagonal, &low, &high));
    const PetscScalar* values = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(diagonal, &values));
    // Each sampled row is owned by one rank; the others add exact zeros, so the sum is exact.
    std::vector<double> sampled(static_cast<std::size_t>(options.diagonal_samples), 0.0);
    for (std::size_t s = 0; s < sampled.size(); ++s) {
      const auto row = static_cast<PetscInt>(hash(s, 0, options.seed) % static_cast<std::uint64_t>(rows));
      if (row >= low && row < high) sampled[s] = PetscRealPart(values[row - low]);
    }
    KOLMO_PETSC_CALL(VecRestoreArrayRead(diagonal, &values));
    MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(a));
    MPI_Allreduce(MPI_IN_PLACE, sampled.data(), static_cast<int>(sampled.size()), MPI_DOUBLE, MPI_SUM, comm);
    const double scale = std::sqrt(static_cast<double>(rows) / static_cast<double>(sampled.size()));
    for (const double v : sampled) features.push_back(scale * v);
  }
  return features;
}

std::vector<std::size_t> signature_order(const PointSet& signatures) {
  return nearest_neighbour_order(signatures);
}

void broadcast_order(MPI_Comm comm, std::vector<std::size_t>& order) {
  std::vector<unsigned long long> buffer(order.begin(), order.end());
  unsigned long long n = buffer.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  buffer.resize(static_cast<std::size_t>(n));
  MPI_Bcast(buffer.data(), static_cast<int>(n), MPI_UNSIGNED_LONG_LONG, 0, comm);
  order.assign(buffer.begin(), buffer.end());
}

}  // namespace kolmo::solvers

#pragma once
/// @file
/// Samplers of a ParameterSpace. Every sampler is deterministic (a seed fixes it), so all ranks
/// compute the same sample without communication.
#include <mpi.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"

namespace kolmo {

/// How to draw a sample; mirrors the `training:` / `test:` sections of a case file.
struct SampleSpec {
  /// "random" (uniform in the scaled coordinates), "lhs" (Latin hypercube), "grid" (tensor grid
  /// including the bounds), or "file" (CSV with a header row of parameter names).
  std::string method = "random";
  std::size_t size = 0;              ///< number of points (random, lhs)
  std::uint64_t seed = 0;            ///< random, lhs
  std::vector<std::size_t> points;   ///< grid: points per parameter (one value = all parameters)
  std::string file;                  ///< file: path of the CSV file (already resolved)
  std::string origin;                ///< file: where it was given ("case.yaml:9:27: 'test.file'")
};

/// A uniform number in [0, 1) from the top 53 bits of one draw of `rng`. Unlike
/// std::uniform_real_distribution, whose algorithm the standard leaves open, this gives the same
/// sequence with every standard library, so samples are reproducible across machines.
double unit_uniform(std::mt19937_64& rng);

/// Uniform random points in the scaled coordinates (std::mt19937_64 seeded with `seed`; point by
/// point, parameter by parameter, one unit_uniform each).
std::vector<Mu> sample_random(const ParameterSpace& space, std::size_t size, std::uint64_t seed);
/// Latin hypercube: each parameter's scaled range cut into `size` strata, one point per stratum
/// (a random permutation of the strata per parameter, a uniform position inside each stratum).
std::vector<Mu> sample_latin_hypercube(const ParameterSpace& space, std::size_t size,
                                       std::uint64_t seed);
/// Tensor grid with points[i] points along parameter i (bounds included; 1 point = the middle),
/// first parameter fastest, equispaced in the scaled coordinates (geometric for log scale).
/// `points` has one entry per parameter, or a single entry used for every parameter.
/// @throws InputError when a count is 0, the sizes disagree, or the grid has more than 1e9 points.
std::vector<Mu> sample_tensor_grid(const ParameterSpace& space,
                                   const std::vector<std::size_t>& points);
/// Read points from a CSV file whose header names the parameters (any order, '#' comments to the
/// end of a line, blank lines ignored, one point per line). Every parameter needs a column and
/// every column must be a parameter. Reads the file on the calling process only.
/// @throws InputError naming the file and line on a missing or unknown column, a bad number, a
/// wrong number of values or an out-of-range value, or when the file cannot be read or is empty.
std::vector<Mu> read_sample_csv(const ParameterSpace& space, const std::string& path);
/// Parse CSV `text` as read_sample_csv does; `path` is the name used in messages.
std::vector<Mu> parse_sample_csv(const ParameterSpace& space, const std::string& text,
                                 const std::string& path);
/// Draw the sample that `spec` describes, on the calling process only.
/// @throws InputError when `spec` is incomplete (size 0 for random/lhs, no points, no file) or
/// names an unknown method.
std::vector<Mu> draw_sample(const ParameterSpace& space, const SampleSpec& spec);
/// draw_sample where a "file" sample is read on rank 0 and broadcast, so every rank gets the same
/// points or the same InputError. Collective on comm.
std::vector<Mu> draw_sample(MPI_Comm comm, const ParameterSpace& space, const SampleSpec& spec);

}  // namespace kolmo

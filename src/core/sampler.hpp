#pragma once
/// @file
/// Samplers of a ParameterSpace. Every sampler is deterministic (a seed fixes it), so all ranks
/// compute the same sample without communication.
#include <cstdint>
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
};

/// Uniform random points in the scaled coordinates (std::mt19937_64 seeded with `seed`).
std::vector<Mu> sample_random(const ParameterSpace& space, std::size_t size, std::uint64_t seed);
/// Latin hypercube: each parameter's scaled range cut into `size` strata, one point per stratum.
std::vector<Mu> sample_latin_hypercube(const ParameterSpace& space, std::size_t size,
                                       std::uint64_t seed);
/// Tensor grid with points[i] points along parameter i (bounds included; 1 point = the middle),
/// first parameter fastest.
std::vector<Mu> sample_tensor_grid(const ParameterSpace& space,
                                   const std::vector<std::size_t>& points);
/// Read points from a CSV file whose header names the parameters (any order, '#' comments).
/// @throws InputError naming the file and line on a missing column, bad number or out-of-range value.
std::vector<Mu> read_sample_csv(const ParameterSpace& space, const std::string& path);
/// Draw the sample that `spec` describes.
std::vector<Mu> draw_sample(const ParameterSpace& space, const SampleSpec& spec);

}  // namespace kolmo

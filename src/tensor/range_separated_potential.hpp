#pragma once
/// @file
/// Range-separated potentials of many charged particles (the Newton kernel), after the seed
/// "A mesh-free hybrid Chebyshev-Tucker tensor format with applications to multi-particle
/// modelling". The kernel 1/r is a sum of Gaussians (sinc_gaussian_sum.hpp) split by width at
/// `split_width`:
///   phi(x) = sum_i q_i V(|x - x_i|) = sum_i q_i V_short(|x - x_i|) + sum_i q_i V_long(|x - x_i|).
/// - Short range: the narrow Gaussians, negligible beyond a cutoff radius. One reference (the
///   terms, a CP tensor of rank R_s, available on any local grid) plus the particle positions;
///   evaluated at a point from the particles within the cutoff (cell lists).
/// - Long range: the wide Gaussians. The sum over particles of shifted separable Gaussians is a
///   CP function of rank N R_l; it is put in Chebyshev-Tucker form by the from-CP route (1-D
///   Chebyshev coefficients per term, RHOSVD, core recompression: no m^3 tensor, no grid), whose
///   ranks grow only like log N. It is mesh-free: potential and field anywhere in the box, and on
///   any tensor grid in O(n m r) per dimension.
///
/// Units: charges q_i, potential sum q_i / r (no 1/(4 pi eps0)); field E = -grad phi.
#include <Eigen/Dense>

#include <array>
#include <string>
#include <vector>

#include "tensor/box.hpp"
#include "tensor/chebyshev_tucker.hpp"
#include "tensor/sinc_gaussian_sum.hpp"
#include "tensor/tucker.hpp"

namespace kolmo::tensor {

/// Point charges in R^3. Plain value type.
struct ParticleSet {
  Eigen::MatrixXd positions;  ///< 3 x N
  Eigen::VectorXd charges;    ///< N

  /// The number of particles N.
  Index size() const noexcept { return charges.size(); }
  /// @throws kolmo::InputError when the sizes differ, there is no particle, or a value is not
  /// finite (the message starts with `source`, e.g. the file name).
  void validate(const std::string& source = "particles") const;
  /// The smallest box holding every particle, each side widened by `margin` on both ends (and
  /// to at least 2 * margin when all particles share a coordinate).
  Box bounding_box(double margin) const;
};

/// Read particles from a file: CSV (".csv", or any name not ending in .h5/.hdf5) with four
/// numbers x, y, z, q per line (an optional header line of names; '#' comments and blank lines
/// skipped), or HDF5 with datasets /positions (N x 3) and /charges (N). Not collective.
/// @throws kolmo::InputError "path:line: ..." for a line with the wrong number of columns or a
/// value that is not a finite number, "path: ..." for a missing dataset or mismatched sizes.
ParticleSet read_particles(const std::string& path);

/// Settings of a range-separated potential.
struct RangeSeparatedOptions {
  /// Relative tolerance of the Tucker truncation of the long-range Chebyshev coefficients (> 0).
  double eps = 1e-6;
  /// Relative tolerance of the Gaussian sum for 1/r on [r_min, r_max] (0: eps).
  double kernel_eps = 0.0;
  /// Gaussians wider than this are long range (> 0; 0: half the mean spacing (volume / N)^(1/3)
  /// of the particles' bounding box).
  double split_width = 0.0;
  /// The smallest distance at which the kernel must be accurate (0: 1e-3 r_max).
  double r_min = 0.0;
  /// The domain of the long-range tensor (dimension 0: the particles' bounding box widened by 2
  /// split widths on each side). Must be 3-D and hold every particle.
  Box box;
  /// Chebyshev node caps of the long-range build.
  Index max_points = 513;
  /// How the Gaussian sum for 1/r is built (compressed: fewer terms, so a smaller CP rank of the
  /// long range; sinc: the former rule).
  GaussianSumMethod kernel_method = GaussianSumMethod::compressed;
};

/// What a build did.
struct RangeSeparatedReport {
  SincGaussianReport kernel;      ///< the quadrature of 1/r (method, step, verified error)
  ChebyshevTuckerReport tucker;   ///< nodes per dimension and the core ST-HOSVD of the long range
  double r_min = 0.0, r_max = 0.0;  ///< the kernel's range
  double seconds_kernel = 0.0, seconds_long_range = 0.0;  ///< wall times of the two stages
};

/// The range-separated potential of a set of particles. Value type; nothing is collective (every
/// process may build the same object; the build is deterministic).
class RangeSeparatedPotential {
 public:
  /// @throws kolmo::InputError for invalid particles or options.
  RangeSeparatedPotential(ParticleSet particles, const RangeSeparatedOptions& options = {},
                          RangeSeparatedReport* report = nullptr);

  /// The particles (owned copy).
  const ParticleSet& particles() const noexcept { return particles_; }
  /// The whole kernel V ~ 1/r and its short- and long-range parts (kernel = short + long).
  const GaussianSum& kernel() const noexcept { return kernel_; }
  const GaussianSum& short_range_kernel() const noexcept { return short_; }
  const GaussianSum& long_range_kernel() const noexcept { return long_; }
  /// The width separating short- from long-range Gaussians (given or automatic).
  double split_width() const noexcept { return split_width_; }
  /// The radius beyond which the short-range kernel is below kernel_eps / (8 split_width), i.e.
  /// relatively below kernel_eps at 8 split widths (the neighbours a point sees).
  double cutoff() const noexcept { return cutoff_; }
  /// The long-range potential in Chebyshev-Tucker form on box().
  const ChebyshevTucker& long_range() const noexcept { return long_range_; }
  /// The domain of the long-range tensor (where potential() and field() may be evaluated).
  const Box& box() const noexcept { return long_range_.box(); }

  /// Long-range potential and field (E = -grad phi, 3 x P) at points of the box (3 x P).
  /// @throws kolmo::Exception for a point outside the box.
  Eigen::VectorXd long_range_potential(const Eigen::MatrixXd& points) const;
  Eigen::MatrixXd long_range_field(const Eigen::MatrixXd& points) const;
  /// Short-range potential and field at any points (from the particles within cutoff()).
  Eigen::VectorXd short_range_potential(const Eigen::MatrixXd& points) const;
  Eigen::MatrixXd short_range_field(const Eigen::MatrixXd& points) const;
  /// The whole potential and field at points of the box (sum of both ranges).
  Eigen::VectorXd potential(const Eigen::MatrixXd& points) const;
  Eigen::MatrixXd field(const Eigen::MatrixXd& points) const;
  /// At every particle, the potential and field of all the others (the self-interaction
  /// q_i V(0) removed).
  Eigen::VectorXd potential_at_particles() const;
  Eigen::MatrixXd field_at_particles() const;

  /// The long-range potential on the tensor grid grid[0] x grid[1] x grid[2] in Tucker form.
  TuckerTensor long_range_on_grid(const std::vector<Eigen::VectorXd>& grid) const;
  /// Component l (0..2) of the long-range field, E_l = -d phi_long / d x_l, on a tensor grid in
  /// Tucker form (the exact derivative of the Chebyshev series; same ranks).
  TuckerTensor long_range_field_on_grid(const std::vector<Eigen::VectorXd>& grid, int l) const;
  /// The short-range reference: the short-range kernel on the uniform local grid of `n` points
  /// per dimension over [-cutoff, cutoff]^3, as a CP tensor of rank R_s (one separable term per
  /// Gaussian). With the particle positions it is the whole short-range part.
  CpTensor short_range_reference(Index n) const;

 private:
  // Indices of the particles in the cells around a point, via a uniform cell grid of cell size
  // cutoff_ over the particles' bounding box.
  template <class Visit>
  void for_neighbours(const Eigen::Vector3d& x, Visit&& visit) const;

  ParticleSet particles_;
  GaussianSum kernel_, short_, long_;
  double split_width_ = 0.0, cutoff_ = 0.0;
  ChebyshevTucker long_range_;
  std::vector<ChebyshevTucker> gradient_;  // d phi_long / d x_l
  // Cell lists: particle indices sorted by cell, and the start of each cell in that order.
  Eigen::Vector3d cell_origin_ = Eigen::Vector3d::Zero();
  Eigen::Vector3d cell_width_ = Eigen::Vector3d::Ones();
  std::array<Index, 3> cells_{1, 1, 1};
  std::vector<Index> cell_start_, cell_particles_;
};

/// The long-range part as a CP function: sum_i sum_k q_i w_k prod_l exp(-a_k (x_l - x_{i,l})^2),
/// N * terms terms (the input of ChebyshevTucker::from_cp). Copies the data it needs.
CpFunction particle_cp_function(const ParticleSet& particles, const GaussianSum& kernel);

/// Direct summation: sum_i q_i K(|x_p - x_i|) with K = `kernel`, or 1/r when kernel is null
/// (points at distance 0 from a particle then get an infinite value). O(N P).
Eigen::VectorXd direct_potential(const ParticleSet& particles, const Eigen::MatrixXd& points,
                                 const GaussianSum* kernel = nullptr);
/// Direct summation of the field E = -grad phi (3 x P), same conventions.
Eigen::MatrixXd direct_field(const ParticleSet& particles, const Eigen::MatrixXd& points,
                             const GaussianSum* kernel = nullptr);

}  // namespace kolmo::tensor

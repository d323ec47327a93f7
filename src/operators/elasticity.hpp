#pragma once
/// @file
/// 2-D linear elasticity (plane stress) of a cantilever [0, length] x [0, 1], clamped at x = 0,
/// loaded by a downward traction on its right end, with Q1 elements (two unknowns per node,
/// "ux" and "uy"). Young's modulus is constant on each of `subdomains` equal pieces along x.
#include <mpi.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "operators/grid_problem.hpp"

namespace kolmo::operators {

/// The `problem:` keys of type elasticity (docs/case-files.md).
struct ElasticitySettings {
  double length = 4.0;                      ///< of the beam; its height is 1
  std::array<PetscInt, 2> cells{64, 16};    ///< cells[0] a multiple of subdomains
  int subdomains = 2;                       ///< equal pieces along x, each with its own modulus
  std::vector<std::string> young;           ///< one expression per piece; empty: parameter names
  double poisson = 0.3;                     ///< in (-1, 0.5)
  std::string load = "1";                   ///< scales the unit downward traction at x = length
};

/// Read and check the `problem:` map of an elasticity case.
/// @throws InputError with the key's location. Not collective.
ElasticitySettings read_elasticity_settings(const ConfigNode& problem, const ParameterSpace& space);

/// Terms A_s = plane-stress stiffness with E = 1 on piece s (theta_s = young s), f = load(mu) *
/// traction, outputs "compliance" = f.u (compliant) and "tip_deflection" = the mean of uy over
/// the nodes of the right end; X = sum_s A_s (reference coefficients 1), parametrically coercive,
/// symmetric. Every A_s and X carry the rigid-body modes as near-null space (for GAMG).
/// Collective on comm for construction.
class ElasticityProblem : public GridProblem {
 public:
  /// @throws InputError on inconsistent settings (see read_elasticity_settings).
  ElasticityProblem(MPI_Comm comm, const ParameterSpace& space, ElasticitySettings settings);

  std::string type() const override { return "elasticity"; }
  const ElasticitySettings& settings() const noexcept { return settings_; }
  /// The piece (0 ... subdomains-1) that contains cells of column ex.
  int subdomain_of(PetscInt ex) const;

 private:
  ElasticitySettings settings_;
};

/// Attach the 2-D rigid-body modes (two translations, one rotation), computed from the
/// coordinates of `grid` (which must have two components), to `matrix` as its near-null space.
/// Collective.
void set_rigid_body_near_null_space(const StructuredGrid& grid, Mat matrix);

/// Read the settings from `c.problem.settings` and build the problem on `comm`. Collective.
std::unique_ptr<ParametrizedProblem> make_elasticity(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

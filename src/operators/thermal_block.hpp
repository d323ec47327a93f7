#pragma once
/// @file
/// The thermal block: -div(k grad u) = source on the unit square cut into Bx x By blocks, with
/// k = theta_i(mu) on block i and u = 0 on the whole boundary, discretized with Q1 elements.
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

/// The `problem:` keys of type thermal_block (docs/case-files.md, "### thermal_block").
struct ThermalBlockSettings {
  std::array<int, 2> blocks{2, 2};           ///< Bx, By
  std::array<PetscInt, 2> cells{64, 64};     ///< each a multiple of the blocks along it
  /// Bx*By expressions, block i = bx + Bx*by from the bottom-left; empty means the parameter
  /// names in order (then the parameter count must be Bx*By).
  std::vector<std::string> conductivity;
  double source = 1.0;
};

/// Read and check the `problem:` map of a thermal_block case (rejects unknown keys; the
/// conductivities are filled in and checked against `space`).
/// @throws InputError with the key's location. Not collective.
ThermalBlockSettings read_thermal_block_settings(const ConfigNode& problem,
                                                 const ParameterSpace& space);

/// The thermal block problem: terms A_i = stiffness on block i with theta_i = conductivity i,
/// f = source * load, output "compliance" = f.u (compliant), X = sum_i A_i (all reference
/// coefficients 1), parametrically coercive. Collective on comm for construction.
class ThermalBlockProblem : public GridProblem {
 public:
  /// @throws kolmo::Exception / InputError when `settings` are inconsistent (cells not multiples
  /// of the blocks, a conductivity count that is not Bx*By, an expression that does not parse).
  ThermalBlockProblem(MPI_Comm comm, const ParameterSpace& space, ThermalBlockSettings settings);

  std::string type() const override { return "thermal_block"; }
  const ThermalBlockSettings& settings() const noexcept { return settings_; }
  /// The block (bx + Bx*by) that contains cell (ex, ey).
  int block_of(PetscInt ex, PetscInt ey) const;

 private:
  ThermalBlockSettings settings_;
};

/// Read the settings from `c.problem.settings` and build the problem on `comm`. Collective.
std::unique_ptr<ParametrizedProblem> make_thermal_block(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

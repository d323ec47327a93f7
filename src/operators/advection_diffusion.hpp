#pragma once
/// @file
/// Steady advection-diffusion -eps Lap u + b.grad u = source on the unit square, u = 0 on the
/// boundary, with Q1 Galerkin elements (no stabilization: keep the cell Peclet number
/// |b| h / (2 eps) below about 1).
#include <mpi.h>

#include <array>
#include <memory>
#include <string>

#include "core/case_file.hpp"
#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "operators/grid_problem.hpp"

namespace kolmo::operators {

/// The `problem:` keys of type advection_diffusion (docs/case-files.md).
struct AdvectionDiffusionSettings {
  std::array<PetscInt, 2> cells{64, 64};
  std::string diffusivity;                               ///< eps(mu); empty: "1/Pe"
  std::array<std::string, 2> velocity{"cos(0.5)", "sin(0.5)"};  ///< b(mu) = (bx, by)
  double source = 1.0;
};

/// Read and check the `problem:` map of an advection_diffusion case; `diffusivity` defaults to
/// "1/Pe" when a parameter Pe exists and is required otherwise.
/// @throws InputError with the key's location. Not collective.
AdvectionDiffusionSettings read_advection_diffusion_settings(const ConfigNode& problem,
                                                             const ParameterSpace& space);

/// Terms eps(mu) K, bx(mu) Cx, by(mu) Cy (K the stiffness, Cx_ij = int phi_i d phi_j/dx), f =
/// source * load, output "mean" = int u, X = K (the H1_0 seminorm), coercive, not symmetric.
/// Collective on comm for construction.
class AdvectionDiffusionProblem : public GridProblem {
 public:
  /// @throws InputError on non-positive cells or expressions that do not parse.
  AdvectionDiffusionProblem(MPI_Comm comm, const ParameterSpace& space,
                            AdvectionDiffusionSettings settings);

  std::string type() const override { return "advection_diffusion"; }
  const AdvectionDiffusionSettings& settings() const noexcept { return settings_; }

 private:
  AdvectionDiffusionSettings settings_;
};

/// Read the settings from `c.problem.settings` and build the problem on `comm`. Collective.
std::unique_ptr<ParametrizedProblem> make_advection_diffusion(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

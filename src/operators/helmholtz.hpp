#pragma once
/// @file
/// The real Helmholtz problem -Lap u - k^2 u = source on the unit square, u = 0 on the boundary,
/// with Q1 elements. Indefinite once k^2 exceeds the first Dirichlet eigenvalue 2 pi^2, and
/// singular when k^2 hits a discrete eigenvalue: solve it with GMRES + ILU or a direct LU.
#include <mpi.h>

#include <array>
#include <memory>
#include <string>

#include "core/case_file.hpp"
#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "operators/grid_problem.hpp"

namespace kolmo::operators {

/// The `problem:` keys of type helmholtz (docs/case-files.md).
struct HelmholtzSettings {
  std::array<PetscInt, 2> cells{64, 64};
  std::string wavenumber_squared;   ///< k^2(mu); empty: the first parameter's name
  double source = 1.0;
};

/// Read and check the `problem:` map of a helmholtz case.
/// @throws InputError with the key's location. Not collective.
HelmholtzSettings read_helmholtz_settings(const ConfigNode& problem, const ParameterSpace& space);

/// Terms K (theta 1) and M (theta -k^2(mu)), f = source * load, output "mean" = int u,
/// X = K + M (the H1 norm; reference coefficients (1, 1)), inf-sup stable, symmetric.
/// Collective on comm for construction.
class HelmholtzProblem : public GridProblem {
 public:
  /// @throws InputError on non-positive cells, no wavenumber (empty and no parameters) or an
  /// expression that does not parse.
  HelmholtzProblem(MPI_Comm comm, const ParameterSpace& space, HelmholtzSettings settings);

  std::string type() const override { return "helmholtz"; }
  const HelmholtzSettings& settings() const noexcept { return settings_; }

 private:
  HelmholtzSettings settings_;
};

/// Read the settings from `c.problem.settings` and build the problem on `comm`. Collective.
std::unique_ptr<ParametrizedProblem> make_helmholtz(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

#pragma once
/// @file
/// The common base of the built-in problems: a ParametrizedProblem whose unknowns live on a
/// StructuredGrid, so that field layout and natural ordering come from the grid's DMDA.
#include <mpi.h>

#include <string>
#include <vector>

#include "operators/parametrized_problem.hpp"
#include "operators/structured_grid.hpp"

namespace kolmo::operators {

/// A ParametrizedProblem discretized on a StructuredGrid (owned). Subclasses assemble the terms
/// in their constructors. Collective on comm wherever a PETSc object is touched.
class GridProblem : public ParametrizedProblem {
 public:
  /// The grid of the unknowns (owned by the problem, lives as long as it).
  const StructuredGrid& grid() const noexcept { return grid_; }

  /// A zeroed vector of the grid's DMDA layout. Collective.
  VecHandle create_vector() const override;
  /// The grid's layout with the problem's component names.
  FieldLayout field_layout() const override;
  /// A vector in the DMDA's natural ordering (x fastest, components interleaved). Collective.
  VecHandle create_natural_vector() const override;
  /// PETSc ordering to natural ordering. Collective.
  void to_natural(Vec global, Vec natural) const override;
  /// Natural ordering to PETSc ordering. Collective.
  void from_natural(Vec natural, Vec global) const override;

 protected:
  /// Builds the grid on `comm` from `spec`; `component_names` has spec.components entries.
  GridProblem(MPI_Comm comm, ParameterSpace space, const GridSpec& spec,
              std::vector<std::string> component_names);

  /// A copy of `matrix` (values and pattern); for inner products built from the terms. Collective.
  static MatHandle copy_matrix(Mat matrix);
  /// A copy of `vector`. Collective.
  static VecHandle copy_vector(Vec vector);
  /// Mark `matrix` as symmetric for good (solvers and checks may rely on it). Collective.
  static void mark_symmetric(Mat matrix);
  /// Add the right-hand side f = source * (integral of each shape function) and the output "mean"
  /// = integral of u, shared by the scalar problems with a constant source. Collective.
  void add_constant_source_and_mean_output(double source);

  StructuredGrid grid_;
  std::vector<std::string> component_names_;
};

}  // namespace kolmo::operators

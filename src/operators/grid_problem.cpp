#include "operators/grid_problem.hpp"

#include "operators/element_kernels.hpp"

namespace kolmo::operators {

GridProblem::GridProblem(MPI_Comm comm, ParameterSpace space, const GridSpec& spec,
                         std::vector<std::string> component_names)
    : ParametrizedProblem(comm, std::move(space)),
      grid_(comm, spec),
      component_names_(std::move(component_names)) {
  KOLMO_CHECK(component_names_.size() == static_cast<std::size_t>(spec.components),
              "grid problem with " << spec.components << " components got "
                                   << component_names_.size() << " component names");
}

VecHandle GridProblem::create_vector() const {
  VecHandle v;
  KOLMO_PETSC_CALL(DMCreateGlobalVector(grid_.dm(), v.out()));
  KOLMO_PETSC_CALL(VecSet(v, 0.0));
  return v;
}

FieldLayout GridProblem::field_layout() const {
  FieldLayout layout = grid_.field_layout();
  layout.component_names = component_names_;
  return layout;
}

VecHandle GridProblem::create_natural_vector() const {
  VecHandle v = grid_.create_natural_vector();
  KOLMO_PETSC_CALL(VecSet(v, 0.0));
  return v;
}

void GridProblem::to_natural(Vec global, Vec natural) const { grid_.to_natural(global, natural); }

void GridProblem::from_natural(Vec natural, Vec global) const { grid_.from_natural(natural, global); }

MatHandle GridProblem::copy_matrix(Mat matrix) {
  MatHandle copy;
  KOLMO_PETSC_CALL(MatDuplicate(matrix, MAT_COPY_VALUES, copy.out()));
  return copy;
}

VecHandle GridProblem::copy_vector(Vec vector) {
  VecHandle copy;
  KOLMO_PETSC_CALL(VecDuplicate(vector, copy.out()));
  KOLMO_PETSC_CALL(VecCopy(vector, copy));
  return copy;
}

void GridProblem::mark_symmetric(Mat matrix) {
  KOLMO_PETSC_CALL(MatSetOption(matrix, MAT_SYMMETRIC, PETSC_TRUE));
  KOLMO_PETSC_CALL(MatSetOption(matrix, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
}

void GridProblem::add_constant_source_and_mean_output(double source) {
  VecHandle mean = grid_.assemble_vector(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_load(points, [](double, double) { return 1.0; }, fe);
      });
  VecHandle load = copy_vector(mean);
  KOLMO_PETSC_CALL(VecScale(load, source));
  rhs_.add_term(std::move(load), Coefficient::constant(1.0), "f");
  OutputFunctional output{"mean", AffineVector(comm_)};
  output.functional.add_term(std::move(mean), Coefficient::constant(1.0), "mean");
  outputs_.push_back(std::move(output));
}

}  // namespace kolmo::operators

#include "operators/helmholtz.hpp"

#include <sstream>

#include "operators/element_kernels.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

GridSpec unit_square(const std::array<PetscInt, 2>& cells) {
  KOLMO_INPUT_CHECK(cells[0] > 0 && cells[1] > 0, "helmholtz: cells must be positive, got ["
                                                      << cells[0] << ", " << cells[1] << "]");
  GridSpec spec;
  spec.cells_x = cells[0];
  spec.cells_y = cells[1];
  return spec;
}

}  // namespace

HelmholtzSettings read_helmholtz_settings(const ConfigNode& problem, const ParameterSpace& space) {
  HelmholtzSettings s;
  MapReader reader(problem);
  reader.allow("type");
  s.cells = read_cells(reader, "cells", s.cells);
  if (reader.has("wavenumber_squared") || space.dimension() == 0) {
    s.wavenumber_squared = reader.required<std::string>("wavenumber_squared");
    check_expression(reader.child("wavenumber_squared"), "wavenumber_squared",
                     s.wavenumber_squared, space);
  } else {
    reader.allow("wavenumber_squared");
    s.wavenumber_squared = space.parameter(0).name;
  }
  s.source = reader.optional<double>("source", s.source);
  reader.reject_unknown_keys();
  return s;
}

HelmholtzProblem::HelmholtzProblem(MPI_Comm comm, const ParameterSpace& space,
                                   HelmholtzSettings settings)
    : GridProblem(comm, space, unit_square(settings.cells), {"u"}), settings_(std::move(settings)) {
  if (settings_.wavenumber_squared.empty()) {
    KOLMO_INPUT_CHECK(space_.dimension() > 0,
                      "helmholtz: 'wavenumber_squared' is required when there are no parameters");
    settings_.wavenumber_squared = space_.parameter(0).name;
  }
  MatHandle stiffness = grid_.assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
      });
  MatHandle mass = grid_.assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_mass(points, 1.0, ke);
      });
  mark_symmetric(stiffness);
  mark_symmetric(mass);
  inner_product_ = copy_matrix(stiffness);
  KOLMO_PETSC_CALL(MatAXPY(inner_product_, 1.0, mass, SAME_NONZERO_PATTERN));
  mark_symmetric(inner_product_);
  reference_theta_ = {1.0, 1.0};

  // Parse the user's text first, so that an error quotes it as written; the coefficient's text is
  // an expression itself, so that files that store it can re-read it.
  Coefficient::expression(settings_.wavenumber_squared, space_);
  std::ostringstream minus_k2;
  minus_k2 << "-(" << settings_.wavenumber_squared << ")";
  lhs_.add_term(std::move(stiffness), Coefficient::constant(1.0), "K");
  lhs_.add_term(std::move(mass), Coefficient::expression(minus_k2.str(), space_), "M");

  add_constant_source_and_mean_output(settings_.source);

  stability_ = Stability::inf_sup;
  symmetric_ = true;
  compliant_ = false;
}

std::unique_ptr<ParametrizedProblem> make_helmholtz(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<HelmholtzProblem>(
      comm, c.parameters, read_helmholtz_settings(c.problem.settings, c.parameters));
}

}  // namespace kolmo::operators

#include "operators/advection_diffusion.hpp"

#include "operators/element_kernels.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

GridSpec unit_square(const std::array<PetscInt, 2>& cells) {
  KOLMO_INPUT_CHECK(cells[0] > 0 && cells[1] > 0,
                    "advection_diffusion: cells must be positive, got [" << cells[0] << ", "
                                                                         << cells[1] << "]");
  GridSpec spec;
  spec.cells_x = cells[0];
  spec.cells_y = cells[1];
  return spec;
}

}  // namespace

AdvectionDiffusionSettings read_advection_diffusion_settings(const ConfigNode& problem,
                                                             const ParameterSpace& space) {
  AdvectionDiffusionSettings s;
  MapReader reader(problem);
  reader.allow("type");
  s.cells = read_cells(reader, "cells", s.cells);
  if (reader.has("diffusivity") || !space.index_of("Pe")) {
    s.diffusivity = reader.required<std::string>("diffusivity");
    check_expression(reader.child("diffusivity"), "diffusivity", s.diffusivity, space);
  } else {
    reader.allow("diffusivity");
    s.diffusivity = "1/Pe";
  }
  const auto velocity = read_expression_list(reader, "velocity", 2,
                                             {s.velocity[0], s.velocity[1]}, space);
  s.velocity = {velocity[0], velocity[1]};
  s.source = reader.optional<double>("source", s.source);
  reader.reject_unknown_keys();
  return s;
}

AdvectionDiffusionProblem::AdvectionDiffusionProblem(MPI_Comm comm, const ParameterSpace& space,
                                                     AdvectionDiffusionSettings settings)
    : GridProblem(comm, space, unit_square(settings.cells), {"u"}), settings_(std::move(settings)) {
  if (settings_.diffusivity.empty()) settings_.diffusivity = "1/Pe";
  MatHandle stiffness = grid_.assemble_matrix(
      [](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
        add_stiffness(points, 1.0, ke);
      });
  mark_symmetric(stiffness);
  inner_product_ = copy_matrix(stiffness);
  mark_symmetric(inner_product_);
  lhs_.add_term(std::move(stiffness), Coefficient::expression(settings_.diffusivity, space_), "K");
  for (int direction = 0; direction < 2; ++direction) {
    MatHandle convection = grid_.assemble_matrix(
        [direction](PetscInt, PetscInt, std::span<const QuadraturePoint> points,
                    std::span<double> ke) { add_convection(points, direction, ke); });
    lhs_.add_term(std::move(convection),
                  Coefficient::expression(settings_.velocity[direction], space_),
                  direction == 0 ? "Cx" : "Cy");
  }

  add_constant_source_and_mean_output(settings_.source);

  stability_ = Stability::coercive;
  symmetric_ = false;
  compliant_ = false;
}

std::unique_ptr<ParametrizedProblem> make_advection_diffusion(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<AdvectionDiffusionProblem>(
      comm, c.parameters, read_advection_diffusion_settings(c.problem.settings, c.parameters));
}

}  // namespace kolmo::operators

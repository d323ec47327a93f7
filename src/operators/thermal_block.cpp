#include "operators/thermal_block.hpp"

#include <sstream>

#include "operators/element_kernels.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

// The checks shared by the case-file reader and the constructor (which may get settings built in
// code); each returns an empty string when the settings pass it.
std::string blocks_and_cells_problem(const ThermalBlockSettings& s) {
  std::ostringstream message;
  if (s.blocks[0] < 1 || s.blocks[1] < 1)
    message << "blocks must be positive, got [" << s.blocks[0] << ", " << s.blocks[1] << "]";
  else if (s.cells[0] < 1 || s.cells[1] < 1)
    message << "cells must be positive, got [" << s.cells[0] << ", " << s.cells[1] << "]";
  else if (s.cells[0] % s.blocks[0] != 0 || s.cells[1] % s.blocks[1] != 0)
    message << "cells [" << s.cells[0] << ", " << s.cells[1]
            << "] must be multiples of blocks [" << s.blocks[0] << ", " << s.blocks[1]
            << "] along each direction, so that the block interfaces lie on cell edges";
  return message.str();
}

std::string conductivity_problem(const ThermalBlockSettings& s, const ParameterSpace& space) {
  const std::size_t count = static_cast<std::size_t>(s.blocks[0]) * s.blocks[1];
  const std::size_t given = s.conductivity.empty() ? space.dimension() : s.conductivity.size();
  std::ostringstream message;
  if (given == count) return "";
  if (s.conductivity.empty())
    message << "'conductivity' is not given, so the parameters (" << space.dimension()
            << (space.dimension() ? ": " : "") << join(space.names())
            << ") would be the conductivities of the " << s.blocks[0] << " x " << s.blocks[1]
            << " = " << count << " blocks; declare " << count
            << " parameters or give 'conductivity' as a list of " << count
            << " expressions of the parameters";
  else
    message << "'conductivity' has " << s.conductivity.size() << " expressions, but there are "
            << s.blocks[0] << " x " << s.blocks[1] << " = " << count << " blocks";
  return message.str();
}

}  // namespace

ThermalBlockSettings read_thermal_block_settings(const ConfigNode& problem,
                                                 const ParameterSpace& space) {
  ThermalBlockSettings s;
  MapReader reader(problem);
  reader.allow("type");
  if (reader.has("blocks")) {
    const ConfigNode node = reader.child("blocks");
    const auto blocks = node.as<std::vector<int>>();
    if (blocks.size() != 2) {
      std::ostringstream message;
      message << "expected a list [Bx, By] of two block counts, got " << blocks.size() << " values";
      node.fail(message.str());
    }
    if (blocks[0] < 1 || blocks[1] < 1) {
      std::ostringstream message;
      message << "block counts must be positive, got [" << blocks[0] << ", " << blocks[1] << "]";
      node.fail(message.str());
    }
    s.blocks = {blocks[0], blocks[1]};
  }
  s.cells = read_cells(reader, "cells", s.cells);
  if (const std::string problem = blocks_and_cells_problem(s); !problem.empty())
    fail_on_key(reader, "cells", problem);

  const std::size_t count = static_cast<std::size_t>(s.blocks[0]) * s.blocks[1];
  if (reader.has("conductivity")) {
    s.conductivity = read_expression_list(reader, "conductivity", count, {}, space);
  } else {
    reader.allow("conductivity");
    if (const std::string problem = conductivity_problem(s, space); !problem.empty())
      reader.node().fail(problem);
    s.conductivity = space.names();
  }
  s.source = reader.optional<double>("source", s.source);
  reader.reject_unknown_keys();
  return s;
}

ThermalBlockProblem::ThermalBlockProblem(MPI_Comm comm, const ParameterSpace& space,
                                         ThermalBlockSettings settings)
    : GridProblem(comm, space,
                  [&] {
                    std::string problem = blocks_and_cells_problem(settings);
                    if (problem.empty()) problem = conductivity_problem(settings, space);
                    KOLMO_INPUT_CHECK(problem.empty(), "thermal_block: " << problem);
                    GridSpec spec;
                    spec.cells_x = settings.cells[0];
                    spec.cells_y = settings.cells[1];
                    return spec;
                  }(),
                  {"u"}),
      settings_(std::move(settings)) {
  if (settings_.conductivity.empty()) settings_.conductivity = space_.names();
  const int blocks = settings_.blocks[0] * settings_.blocks[1];
  for (int i = 0; i < blocks; ++i) {
    MatHandle a = grid_.assemble_matrix(
        [&](PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> points, std::span<double> ke) {
          if (block_of(ex, ey) == i) add_stiffness(points, 1.0, ke);
        });
    mark_symmetric(a);
    std::ostringstream name;
    name << "A" << i;
    lhs_.add_term(std::move(a), Coefficient::expression(settings_.conductivity[i], space_),
                  name.str());
  }

  const double source = settings_.source;
  VecHandle load = grid_.assemble_vector(
      [&](PetscInt, PetscInt, std::span<const QuadraturePoint> points, std::span<double> fe) {
        add_load(points, [source](double, double) { return source; }, fe);
      });
  OutputFunctional compliance{"compliance", AffineVector(comm)};
  compliance.functional.add_term(copy_vector(load), Coefficient::constant(1.0), "f");
  rhs_.add_term(std::move(load), Coefficient::constant(1.0), "f");
  outputs_.push_back(std::move(compliance));

  inner_product_ = copy_matrix(lhs_.matrix(0));
  for (int i = 1; i < blocks; ++i)
    KOLMO_PETSC_CALL(MatAXPY(inner_product_, 1.0, lhs_.matrix(i), SUBSET_NONZERO_PATTERN));
  mark_symmetric(inner_product_);
  reference_theta_.assign(static_cast<std::size_t>(blocks), 1.0);
  stability_ = Stability::parametrically_coercive;
  symmetric_ = true;
  compliant_ = true;
}

int ThermalBlockProblem::block_of(PetscInt ex, PetscInt ey) const {
  const PetscInt per_x = settings_.cells[0] / settings_.blocks[0];
  const PetscInt per_y = settings_.cells[1] / settings_.blocks[1];
  return static_cast<int>(ex / per_x + settings_.blocks[0] * (ey / per_y));
}

std::unique_ptr<ParametrizedProblem> make_thermal_block(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<ThermalBlockProblem>(
      comm, c.parameters, read_thermal_block_settings(c.problem.settings, c.parameters));
}

}  // namespace kolmo::operators

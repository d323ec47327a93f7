#include "operators/elasticity.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "operators/element_kernels.hpp"
#include "operators/settings_reader.hpp"

namespace kolmo::operators {
namespace {

using NullSpaceHandle = PetscHandle<MatNullSpace, MatNullSpaceDestroy>;

// The checks shared by the case-file reader and the constructor (which may get settings built in
// code); each returns an empty string when the settings pass it.
std::string geometry_problem(const ElasticitySettings& s) {
  std::ostringstream message;
  if (!(s.length > 0) || !std::isfinite(s.length))
    message << "length must be positive, got " << s.length;
  else if (s.cells[0] < 1 || s.cells[1] < 1)
    message << "cells must be positive, got [" << s.cells[0] << ", " << s.cells[1] << "]";
  else if (s.subdomains < 1)
    message << "subdomains must be positive, got " << s.subdomains;
  else if (s.cells[0] % s.subdomains != 0)
    message << "cells along x (" << s.cells[0] << ") must be a multiple of subdomains ("
            << s.subdomains << "), so that the pieces meet on cell edges";
  return message.str();
}

std::string poisson_problem(double poisson) {
  std::ostringstream message;
  if (!(poisson > -1.0 && poisson < 0.5))
    message << "poisson must lie in (-1, 0.5), got " << poisson;
  return message.str();
}

std::string young_problem(const ElasticitySettings& s, const ParameterSpace& space) {
  const std::size_t count = static_cast<std::size_t>(s.subdomains);
  std::ostringstream message;
  if (s.young.empty() && space.dimension() < count)
    message << "'young' is not given, so the first " << count
            << " parameters would be the moduli of the " << count << " subdomains, but there are only "
            << space.dimension() << (space.dimension() ? " (" : "") << join(space.names())
            << (space.dimension() ? ")" : "") << "; give 'young' as a list of " << count
            << " expressions of the parameters";
  else if (!s.young.empty() && s.young.size() != count)
    message << "'young' has " << s.young.size() << " expressions, but there are " << count
            << " subdomains";
  return message.str();
}

std::vector<std::string> first_names(const ParameterSpace& space, std::size_t count) {
  auto names = space.names();
  names.resize(std::min(count, names.size()));
  return names;
}

GridSpec cantilever(const ElasticitySettings& s, const ParameterSpace& space) {
  std::string problem = geometry_problem(s);
  if (problem.empty()) problem = poisson_problem(s.poisson);
  if (problem.empty()) problem = young_problem(s, space);
  KOLMO_INPUT_CHECK(problem.empty(), "elasticity: " << problem);
  GridSpec spec;
  spec.x0 = 0.0;
  spec.x1 = s.length;
  spec.y0 = 0.0;
  spec.y1 = 1.0;
  spec.cells_x = s.cells[0];
  spec.cells_y = s.cells[1];
  spec.components = 2;
  spec.dirichlet_left = true;
  spec.dirichlet_right = spec.dirichlet_bottom = spec.dirichlet_top = false;
  return spec;
}

}  // namespace

ElasticitySettings read_elasticity_settings(const ConfigNode& problem, const ParameterSpace& space) {
  ElasticitySettings s;
  MapReader reader(problem);
  reader.allow("type");
  s.length = reader.optional<double>("length", s.length);
  s.cells = read_cells(reader, "cells", s.cells, 2);
  s.subdomains = reader.optional<int>("subdomains", s.subdomains);
  if (const std::string message = geometry_problem(s); !message.empty()) {
    if (!(s.length > 0) || !std::isfinite(s.length)) fail_on_key(reader, "length", message);
    if (s.subdomains < 1 || !reader.has("cells")) fail_on_key(reader, "subdomains", message);
    fail_on_key(reader, "cells", message);
  }
  const std::size_t count = static_cast<std::size_t>(s.subdomains);
  if (reader.has("young")) {
    s.young = read_expression_list(reader, "young", count, {}, space);
  } else {
    reader.allow("young");
    if (const std::string message = young_problem(s, space); !message.empty())
      reader.node().fail(message);
    s.young = first_names(space, count);
  }
  s.poisson = reader.optional<double>("poisson", s.poisson);
  if (const std::string message = poisson_problem(s.poisson); !message.empty())
    fail_on_key(reader, "poisson", message);
  s.load = read_expression(reader, "load", s.load, space);
  reader.reject_unknown_keys();
  return s;
}

void set_rigid_body_near_null_space(const StructuredGrid& grid, Mat matrix) {
  KOLMO_CHECK(grid.spec().components == 2,
              "rigid-body modes need a grid with 2 components, got " << grid.spec().components);
  Vec coordinates = nullptr;  // owned by the DM
  KOLMO_PETSC_CALL(DMGetCoordinates(grid.dm(), &coordinates));
  NullSpaceHandle modes;
  KOLMO_PETSC_CALL(MatNullSpaceCreateRigidBody(coordinates, modes.out()));
  KOLMO_PETSC_CALL(MatSetNearNullSpace(matrix, modes));
}

ElasticityProblem::ElasticityProblem(MPI_Comm comm, const ParameterSpace& space,
                                     ElasticitySettings settings)
    : GridProblem(comm, space, cantilever(settings, space), {"ux", "uy"}),
      settings_(std::move(settings)) {
  if (settings_.young.empty())
    settings_.young = first_names(space_, static_cast<std::size_t>(settings_.subdomains));
  const double poisson = settings_.poisson;
  for (int s = 0; s < settings_.subdomains; ++s) {
    MatHandle a = grid_.assemble_matrix(
        [&](PetscInt ex, PetscInt, std::span<const QuadraturePoint> points, std::span<double> ke) {
          if (subdomain_of(ex) == s) add_plane_stress(points, 1.0, poisson, ke);
        });
    mark_symmetric(a);
    set_rigid_body_near_null_space(grid_, a);
    std::ostringstream name;
    name << "A" << s;
    lhs_.add_term(std::move(a), Coefficient::expression(settings_.young[s], space_), name.str());
  }
  inner_product_ = copy_matrix(lhs_.matrix(0));
  for (int s = 1; s < settings_.subdomains; ++s)
    KOLMO_PETSC_CALL(MatAXPY(inner_product_, 1.0, lhs_.matrix(s), SUBSET_NONZERO_PATTERN));
  mark_symmetric(inner_product_);
  set_rigid_body_near_null_space(grid_, inner_product_);
  reference_theta_.assign(static_cast<std::size_t>(settings_.subdomains), 1.0);

  // Unit downward traction on the right end, integrated exactly along each element's right edge
  // (local nodes 1 and 3 each get half of the edge's length).
  const PetscInt last = grid_.spec().cells_x - 1;
  const double hy = grid_.hy();
  VecHandle traction = grid_.assemble_vector(
      [&](PetscInt ex, PetscInt, std::span<const QuadraturePoint>, std::span<double> fe) {
        if (ex != last) return;
        fe[1 * 2 + 1] -= 0.5 * hy;
        fe[3 * 2 + 1] -= 0.5 * hy;
      });
  OutputFunctional compliance{"compliance", AffineVector(comm)};
  compliance.functional.add_term(copy_vector(traction),
                                 Coefficient::expression(settings_.load, space_), "f");
  rhs_.add_term(std::move(traction), Coefficient::expression(settings_.load, space_), "f");
  outputs_.push_back(std::move(compliance));

  const double right = grid_.spec().x1, half_cell = 0.5 * grid_.hx();
  const double weight = 1.0 / static_cast<double>(grid_.nodes_y());
  VecHandle tip = grid_.interpolate([&](double x, double, std::span<double> values) {
    values[0] = 0.0;
    values[1] = std::abs(x - right) < half_cell ? weight : 0.0;
  });
  OutputFunctional tip_deflection{"tip_deflection", AffineVector(comm)};
  tip_deflection.functional.add_term(std::move(tip), Coefficient::constant(1.0), "tip");
  outputs_.push_back(std::move(tip_deflection));

  stability_ = Stability::parametrically_coercive;
  symmetric_ = true;
  compliant_ = true;
}

int ElasticityProblem::subdomain_of(PetscInt ex) const {
  return static_cast<int>(ex / (settings_.cells[0] / settings_.subdomains));
}

std::unique_ptr<ParametrizedProblem> make_elasticity(MPI_Comm comm, const CaseFile& c) {
  return std::make_unique<ElasticityProblem>(
      comm, c.parameters, read_elasticity_settings(c.problem.settings, c.parameters));
}

}  // namespace kolmo::operators

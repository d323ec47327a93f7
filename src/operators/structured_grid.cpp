#include "operators/structured_grid.hpp"

#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mpi.hpp"

namespace kolmo::operators {
namespace {

// Gauss-Legendre nodes and weights on [0, 1].
void gauss_rule(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  if (n == 2) {
    const double d = 0.5 / std::sqrt(3.0);
    nodes = {0.5 - d, 0.5 + d};
    weights = {0.5, 0.5};
  } else {
    KOLMO_CHECK(n == 3, "Gauss rule with " << n << " points is not provided");
    const double d = 0.5 * std::sqrt(0.6);
    nodes = {0.5 - d, 0.5, 0.5 + d};
    weights = {5.0 / 18.0, 8.0 / 18.0, 5.0 / 18.0};
  }
}

}  // namespace

StructuredGrid::StructuredGrid(MPI_Comm comm, const GridSpec& spec) : comm_(comm), spec_(spec) {
  KOLMO_CHECK(spec.cells_x > 0 && spec.cells_y > 0,
              "grid needs positive cell counts, got " << spec.cells_x << " x " << spec.cells_y);
  KOLMO_CHECK(spec.x1 > spec.x0 && spec.y1 > spec.y0, "grid rectangle is empty");
  KOLMO_CHECK(spec.components >= 1, "grid needs at least one component per node");
  hx_ = (spec.x1 - spec.x0) / static_cast<double>(spec.cells_x);
  hy_ = (spec.y1 - spec.y0) / static_cast<double>(spec.cells_y);
  offset_x_ = spec.dirichlet_left ? 1 : 0;
  offset_y_ = spec.dirichlet_bottom ? 1 : 0;
  nodes_x_ = spec.cells_x + 1 - offset_x_ - (spec.dirichlet_right ? 1 : 0);
  nodes_y_ = spec.cells_y + 1 - offset_y_ - (spec.dirichlet_top ? 1 : 0);
  KOLMO_INPUT_CHECK(nodes_x_ >= 1 && nodes_y_ >= 1,
                    "problem.cells: a grid of " << spec.cells_x << " x " << spec.cells_y
                                                << " cells has no unknowns inside its Dirichlet "
                                                   "boundary; use at least 2 cells per direction");
  KOLMO_PETSC_CALL(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX,
                                nodes_x_, nodes_y_, PETSC_DECIDE, PETSC_DECIDE, spec.components, 1,
                                nullptr, nullptr, dm_.out()));
  // PETSc refuses a split that leaves a rank without a row or column of nodes (an out-of-range
  // argument); say which input is at fault instead of passing on "Partition in y direction is
  // too fine". Other failures (memory) pass through as they are.
  try {
    KOLMO_PETSC_CALL(DMSetUp(dm_));
  } catch (const PetscException& e) {
    if (e.code() != PETSC_ERR_ARG_OUTOFRANGE) throw;
    throw InputError("problem.cells: a grid of " + std::to_string(spec.cells_x) + " x " +
                     std::to_string(spec.cells_y) + " cells (" + std::to_string(nodes_x_) + " x " +
                     std::to_string(nodes_y_) + " unknown nodes) cannot be split over " +
                     std::to_string(comm_size(comm)) +
                     " ranks; use more cells or fewer ranks (PETSc: " + e.what() + ")");
  }
  KOLMO_PETSC_CALL(DMDASetUniformCoordinates(dm_, spec.x0 + offset_x_ * hx_,
                                             spec.x0 + (offset_x_ + nodes_x_ - 1) * hx_,
                                             spec.y0 + offset_y_ * hy_,
                                             spec.y0 + (offset_y_ + nodes_y_ - 1) * hy_, 0.0, 0.0));
}

std::vector<QuadraturePoint> StructuredGrid::quadrature(PetscInt ex, PetscInt ey, int n) const {
  std::vector<double> nodes, weights;
  gauss_rule(n, nodes, weights);
  std::vector<QuadraturePoint> points;
  points.reserve(static_cast<std::size_t>(n * n));
  const double x_left = spec_.x0 + ex * hx_, y_bottom = spec_.y0 + ey * hy_;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      const double s = nodes[i], t = nodes[j];
      QuadraturePoint q;
      q.x = x_left + s * hx_;
      q.y = y_bottom + t * hy_;
      q.weight = weights[i] * weights[j] * hx_ * hy_;
      q.phi = {(1 - s) * (1 - t), s * (1 - t), (1 - s) * t, s * t};
      q.dx = {-(1 - t) / hx_, (1 - t) / hx_, -t / hx_, t / hx_};
      q.dy = {-(1 - s) / hy_, -s / hy_, (1 - s) / hy_, s / hy_};
      points.push_back(q);
    }
  }
  return points;
}

// Calls body(ex, ey, stencils, valid) once for every element owned by this rank. An element is
// owned by the rank that owns its "anchor", the unknown nearest to its upper-right corner, so that
// every element is visited exactly once across ranks and all its nodes lie in the ghosted range.
template <class Body>
void StructuredGrid::for_each_local_element(Body&& body) const {
  PetscInt xs, ys, xm, ym;
  KOLMO_PETSC_CALL(DMDAGetCorners(dm_, &xs, &ys, nullptr, &xm, &ym, nullptr));
  auto anchor = [](PetscInt e, PetscInt offset, PetscInt count) {
    return std::clamp<PetscInt>(e + 1 - offset, 0, count - 1);
  };
  for (PetscInt ey = 0; ey < spec_.cells_y; ++ey) {
    const PetscInt ay = anchor(ey, offset_y_, nodes_y_);
    if (ay < ys || ay >= ys + ym) continue;
    for (PetscInt ex = 0; ex < spec_.cells_x; ++ex) {
      const PetscInt ax = anchor(ex, offset_x_, nodes_x_);
      if (ax < xs || ax >= xs + xm) continue;
      std::array<MatStencil, 4> nodes{};
      std::array<bool, 4> valid{};
      for (int a = 0; a < 4; ++a) {
        const PetscInt i = ex + (a % 2) - offset_x_, j = ey + (a / 2) - offset_y_;
        nodes[a].i = i;
        nodes[a].j = j;
        valid[a] = i >= 0 && i < nodes_x_ && j >= 0 && j < nodes_y_;
      }
      body(ex, ey, nodes, valid);
    }
  }
}

MatHandle StructuredGrid::assemble_matrix(const ElementMatrix& element) const {
  MatHandle matrix;
  KOLMO_PETSC_CALL(DMCreateMatrix(dm_, matrix.out()));
  KOLMO_PETSC_CALL(MatSetOption(matrix, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  const int c = spec_.components, n = 4 * c;
  std::vector<double> ke(static_cast<std::size_t>(n * n));
  std::vector<MatStencil> rows;
  std::vector<PetscScalar> values;
  for_each_local_element([&](PetscInt ex, PetscInt ey, const std::array<MatStencil, 4>& nodes,
                             const std::array<bool, 4>& valid) {
    std::fill(ke.begin(), ke.end(), 0.0);
    const auto points = quadrature(ex, ey, 2);
    element(ex, ey, points, ke);
    rows.clear();
    std::vector<int> local;
    for (int a = 0; a < 4; ++a) {
      if (!valid[a]) continue;
      for (int comp = 0; comp < c; ++comp) {
        MatStencil s = nodes[a];
        s.c = comp;
        rows.push_back(s);
        local.push_back(a * c + comp);
      }
    }
    if (rows.empty()) return;
    values.assign(local.size() * local.size(), 0.0);
    for (std::size_t r = 0; r < local.size(); ++r)
      for (std::size_t k = 0; k < local.size(); ++k)
        values[r * local.size() + k] = ke[static_cast<std::size_t>(local[r] * n + local[k])];
    KOLMO_PETSC_CALL(MatSetValuesStencil(matrix, static_cast<PetscInt>(rows.size()), rows.data(),
                                         static_cast<PetscInt>(rows.size()), rows.data(),
                                         values.data(), ADD_VALUES));
  });
  KOLMO_PETSC_CALL(MatAssemblyBegin(matrix, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(matrix, MAT_FINAL_ASSEMBLY));
  return matrix;
}

VecHandle StructuredGrid::assemble_vector(const ElementVector& element) const {
  VecHandle local, global;
  KOLMO_PETSC_CALL(DMCreateLocalVector(dm_, local.out()));
  KOLMO_PETSC_CALL(DMCreateGlobalVector(dm_, global.out()));
  KOLMO_PETSC_CALL(VecSet(local, 0.0));
  const int c = spec_.components;
  std::vector<double> fe(static_cast<std::size_t>(4 * c));
  PetscScalar*** array = nullptr;
  KOLMO_PETSC_CALL(DMDAVecGetArrayDOF(dm_, local, &array));
  for_each_local_element([&](PetscInt ex, PetscInt ey, const std::array<MatStencil, 4>& nodes,
                             const std::array<bool, 4>& valid) {
    std::fill(fe.begin(), fe.end(), 0.0);
    const auto points = quadrature(ex, ey, 2);
    element(ex, ey, points, fe);
    for (int a = 0; a < 4; ++a)
      if (valid[a])
        for (int comp = 0; comp < c; ++comp) array[nodes[a].j][nodes[a].i][comp] += fe[a * c + comp];
  });
  KOLMO_PETSC_CALL(DMDAVecRestoreArrayDOF(dm_, local, &array));
  KOLMO_PETSC_CALL(VecSet(global, 0.0));
  KOLMO_PETSC_CALL(DMLocalToGlobalBegin(dm_, local, ADD_VALUES, global));
  KOLMO_PETSC_CALL(DMLocalToGlobalEnd(dm_, local, ADD_VALUES, global));
  return global;
}

VecHandle StructuredGrid::interpolate(
    const std::function<void(double, double, std::span<double>)>& f) const {
  VecHandle global;
  KOLMO_PETSC_CALL(DMCreateGlobalVector(dm_, global.out()));
  PetscInt xs, ys, xm, ym;
  KOLMO_PETSC_CALL(DMDAGetCorners(dm_, &xs, &ys, nullptr, &xm, &ym, nullptr));
  PetscScalar*** array = nullptr;
  KOLMO_PETSC_CALL(DMDAVecGetArrayDOF(dm_, global, &array));
  std::vector<double> values(static_cast<std::size_t>(spec_.components));
  for (PetscInt j = ys; j < ys + ym; ++j)
    for (PetscInt i = xs; i < xs + xm; ++i) {
      f(spec_.x0 + (i + offset_x_) * hx_, spec_.y0 + (j + offset_y_) * hy_, values);
      for (int comp = 0; comp < spec_.components; ++comp) array[j][i][comp] = values[comp];
    }
  KOLMO_PETSC_CALL(DMDAVecRestoreArrayDOF(dm_, global, &array));
  return global;
}

StructuredGrid::ErrorNorms StructuredGrid::errors(
    Vec u, const std::function<void(double, double, std::span<double>, std::span<double>,
                                    std::span<double>)>& exact) const {
  VecHandle local;
  KOLMO_PETSC_CALL(DMCreateLocalVector(dm_, local.out()));
  KOLMO_PETSC_CALL(DMGlobalToLocalBegin(dm_, u, INSERT_VALUES, local));
  KOLMO_PETSC_CALL(DMGlobalToLocalEnd(dm_, u, INSERT_VALUES, local));
  const PetscScalar* const* const* array = nullptr;
  KOLMO_PETSC_CALL(DMDAVecGetArrayDOFRead(dm_, local, &array));
  const int c = spec_.components;
  std::vector<double> value(c), gx(c), gy(c);
  double sums[2] = {0.0, 0.0};
  for_each_local_element([&](PetscInt ex, PetscInt ey, const std::array<MatStencil, 4>& nodes,
                             const std::array<bool, 4>& valid) {
    for (const auto& q : quadrature(ex, ey, 3)) {
      exact(q.x, q.y, value, gx, gy);
      for (int comp = 0; comp < c; ++comp) {
        double uh = 0, uhx = 0, uhy = 0;
        for (int a = 0; a < 4; ++a) {
          if (!valid[a]) continue;
          const double ua = array[nodes[a].j][nodes[a].i][comp];
          uh += ua * q.phi[a];
          uhx += ua * q.dx[a];
          uhy += ua * q.dy[a];
        }
        sums[0] += q.weight * (uh - value[comp]) * (uh - value[comp]);
        sums[1] += q.weight * ((uhx - gx[comp]) * (uhx - gx[comp]) + (uhy - gy[comp]) * (uhy - gy[comp]));
      }
    }
  });
  KOLMO_PETSC_CALL(DMDAVecRestoreArrayDOFRead(dm_, local, &array));
  double global[2] = {0.0, 0.0};
  MPI_Allreduce(sums, global, 2, MPI_DOUBLE, MPI_SUM, comm_);
  return {std::sqrt(global[0]), std::sqrt(global[1])};
}

FieldLayout StructuredGrid::field_layout() const {
  FieldLayout layout;
  layout.dimension = 2;
  layout.nodes = {nodes_x_, nodes_y_, 1};
  layout.origin = {spec_.x0 + offset_x_ * hx_, spec_.y0 + offset_y_ * hy_, 0.0};
  layout.spacing = {hx_, hy_, 1.0};
  layout.components = spec_.components;
  return layout;
}

VecHandle StructuredGrid::create_natural_vector() const {
  VecHandle natural;
  KOLMO_PETSC_CALL(DMDACreateNaturalVector(dm_, natural.out()));
  return natural;
}

void StructuredGrid::to_natural(Vec global, Vec natural) const {
  KOLMO_PETSC_CALL(DMDAGlobalToNaturalBegin(dm_, global, INSERT_VALUES, natural));
  KOLMO_PETSC_CALL(DMDAGlobalToNaturalEnd(dm_, global, INSERT_VALUES, natural));
}

void StructuredGrid::from_natural(Vec natural, Vec global) const {
  KOLMO_PETSC_CALL(DMDANaturalToGlobalBegin(dm_, natural, INSERT_VALUES, global));
  KOLMO_PETSC_CALL(DMDANaturalToGlobalEnd(dm_, natural, INSERT_VALUES, global));
}

}  // namespace kolmo::operators

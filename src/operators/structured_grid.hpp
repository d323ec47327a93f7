#pragma once
/// @file
/// A uniform rectangular grid of bilinear (Q1) finite elements whose unknowns are the nodes that
/// are not on a Dirichlet side, distributed over ranks as a PETSc DMDA. The built-in problems
/// (thermal_block, advection_diffusion, elasticity, helmholtz) assemble on it.
#include <mpi.h>

#include <array>
#include <functional>
#include <span>
#include <vector>

#include "core/field_layout.hpp"
#include "core/petsc_handle.hpp"

namespace kolmo::operators {

/// The grid: a rectangle, its cell counts, unknowns per node, and the sides where the field is
/// fixed to zero (those nodes are not unknowns at all, so no identity rows pollute the operators).
struct GridSpec {
  double x0 = 0.0, x1 = 1.0, y0 = 0.0, y1 = 1.0;
  PetscInt cells_x = 16, cells_y = 16;
  int components = 1;
  bool dirichlet_left = true, dirichlet_right = true, dirichlet_bottom = true, dirichlet_top = true;
};

/// Values and derivatives of the four Q1 shape functions at one quadrature point of an element.
/// Local node order: 0 = (ex, ey), 1 = (ex+1, ey), 2 = (ex, ey+1), 3 = (ex+1, ey+1).
struct QuadraturePoint {
  double x = 0, y = 0;           ///< physical coordinates
  double weight = 0;             ///< quadrature weight times the element's area
  std::array<double, 4> phi{};   ///< shape function values
  std::array<double, 4> dx{};    ///< d phi / dx
  std::array<double, 4> dy{};    ///< d phi / dy
};

/// The Q1 grid. Owns its DMDA. Collective on comm for construction and every assembly.
class StructuredGrid {
 public:
  /// @throws kolmo::Exception on non-positive cell counts, an empty rectangle or no unknowns.
  StructuredGrid(MPI_Comm comm, const GridSpec& spec);

  MPI_Comm comm() const noexcept { return comm_; }
  const GridSpec& spec() const noexcept { return spec_; }
  DM dm() const noexcept { return dm_; }
  double hx() const noexcept { return hx_; }
  double hy() const noexcept { return hy_; }
  /// Unknown nodes per direction.
  PetscInt nodes_x() const noexcept { return nodes_x_; }
  PetscInt nodes_y() const noexcept { return nodes_y_; }
  /// Number of unknowns (nodes times components).
  PetscInt global_size() const noexcept { return nodes_x_ * nodes_y_ * spec_.components; }

  /// Element matrix callback: (ex, ey) are the element's cell indices (0-based, from the lower
  /// left corner); `points` its quadrature points; fill `ke` ((4c)x(4c), row-major, entry
  /// (a*c + i, b*c + j) couples component i of local node a with component j of node b).
  using ElementMatrix =
      std::function<void(PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> points,
                         std::span<double> ke)>;
  /// Element vector callback: fill `fe` (4c entries, index a*c + i).
  using ElementVector =
      std::function<void(PetscInt ex, PetscInt ey, std::span<const QuadraturePoint> points,
                         std::span<double> fe)>;

  /// Assemble a sparse matrix from element matrices (rows/columns of Dirichlet nodes dropped).
  /// Collective.
  MatHandle assemble_matrix(const ElementMatrix& element) const;
  /// Assemble a vector from element vectors. Collective.
  VecHandle assemble_vector(const ElementVector& element) const;
  /// The nodal interpolant of f (f fills `values`, one per component). Collective.
  VecHandle interpolate(const std::function<void(double x, double y, std::span<double> values)>& f) const;

  /// Errors of a discrete field against an exact solution, by quadrature (Dirichlet nodes taken as
  /// zero): the L2 norm and the H1 seminorm of u_h - u, summed over components. Collective.
  struct ErrorNorms {
    double l2 = 0, h1_semi = 0;
  };
  ErrorNorms errors(Vec u,
                    const std::function<void(double x, double y, std::span<double> value,
                                             std::span<double> grad_x, std::span<double> grad_y)>&
                        exact) const;

  /// The unknowns' geometry, for XDMF output.
  FieldLayout field_layout() const;
  /// PETSc-global <-> natural (x fastest) orderings. Collective.
  VecHandle create_natural_vector() const;
  void to_natural(Vec global, Vec natural) const;
  void from_natural(Vec natural, Vec global) const;

 private:
  template <class Body>
  void for_each_local_element(Body&& body) const;
  /// Tensor Gauss rule with `n` points per direction (2 is exact for Q1 x Q1 products).
  std::vector<QuadraturePoint> quadrature(PetscInt ex, PetscInt ey, int n) const;

  MPI_Comm comm_;
  GridSpec spec_;
  DMHandle dm_;
  double hx_ = 0, hy_ = 0;
  PetscInt nodes_x_ = 0, nodes_y_ = 0;
  PetscInt offset_x_ = 0, offset_y_ = 0;  // full-grid index of unknown node 0
};

}  // namespace kolmo::operators

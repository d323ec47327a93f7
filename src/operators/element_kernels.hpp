#pragma once
/// @file
/// Q1 element integrals shared by the built-in problems and their tests: each adds one bilinear
/// or linear form, integrated with the quadrature points StructuredGrid hands to its callbacks.
/// Scalar kernels write 4x4 element matrices (one component per node); the plane-stress kernel
/// writes 8x8 ones (two components per node, index a*2 + i). Not collective.
#include <span>

#include "operators/structured_grid.hpp"

namespace kolmo::operators {

/// ke(a, b) += scale * int grad phi_a . grad phi_b (the Laplacian's stiffness).
inline void add_stiffness(std::span<const QuadraturePoint> points, double scale,
                          std::span<double> ke) {
  for (const auto& q : points)
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b)
        ke[a * 4 + b] += scale * q.weight * (q.dx[a] * q.dx[b] + q.dy[a] * q.dy[b]);
}

/// ke(a, b) += scale * int phi_a phi_b (the mass matrix).
inline void add_mass(std::span<const QuadraturePoint> points, double scale, std::span<double> ke) {
  for (const auto& q : points)
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) ke[a * 4 + b] += scale * q.weight * q.phi[a] * q.phi[b];
}

/// ke(a, b) += int phi_a d phi_b / d x_direction (direction 0 = x, 1 = y): row a is the test
/// function, column b the trial function, so C u is the weak form of du/dx.
inline void add_convection(std::span<const QuadraturePoint> points, int direction,
                           std::span<double> ke) {
  for (const auto& q : points) {
    const auto& derivative = direction == 0 ? q.dx : q.dy;
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) ke[a * 4 + b] += q.weight * q.phi[a] * derivative[b];
  }
}

/// fe(a) += int f phi_a, with f evaluated at the quadrature points (scalar field).
template <class F>
void add_load(std::span<const QuadraturePoint> points, F&& f, std::span<double> fe) {
  for (const auto& q : points) {
    const double value = f(q.x, q.y);
    for (int a = 0; a < 4; ++a) fe[a] += q.weight * value * q.phi[a];
  }
}

/// fe(a*2 + i) += int f_i phi_a for a vector field f = (f_0, f_1); f(x, y, f0, f1) fills it.
template <class F>
void add_vector_load(std::span<const QuadraturePoint> points, F&& f, std::span<double> fe) {
  for (const auto& q : points) {
    double f0 = 0, f1 = 0;
    f(q.x, q.y, f0, f1);
    for (int a = 0; a < 4; ++a) {
      fe[a * 2] += q.weight * f0 * q.phi[a];
      fe[a * 2 + 1] += q.weight * f1 * q.phi[a];
    }
  }
}

/// ke += int eps(v) : sigma(u) for 2-D plane stress with Young's modulus `young` and Poisson
/// ratio `poisson`: sigma = young / (1 - poisson^2) [[1, nu, 0], [nu, 1, 0], [0, 0, (1 - nu)/2]]
/// applied to the strains (e_xx, e_yy, 2 e_xy). Entry (a*2 + i, b*2 + j) couples component i of
/// node a with component j of node b.
inline void add_plane_stress(std::span<const QuadraturePoint> points, double young, double poisson,
                             std::span<double> ke) {
  const double c = young / (1.0 - poisson * poisson);
  const double d11 = c, d12 = c * poisson, d33 = c * 0.5 * (1.0 - poisson);
  for (const auto& q : points)
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) {
        const double xa = q.dx[a], ya = q.dy[a], xb = q.dx[b], yb = q.dy[b];
        // B_a^T D B_b with B_a = [[xa, 0], [0, ya], [ya, xa]].
        ke[(a * 2) * 8 + b * 2] += q.weight * (d11 * xa * xb + d33 * ya * yb);
        ke[(a * 2) * 8 + b * 2 + 1] += q.weight * (d12 * xa * yb + d33 * ya * xb);
        ke[(a * 2 + 1) * 8 + b * 2] += q.weight * (d12 * ya * xb + d33 * xa * yb);
        ke[(a * 2 + 1) * 8 + b * 2 + 1] += q.weight * (d11 * ya * yb + d33 * xa * xb);
      }
}

}  // namespace kolmo::operators

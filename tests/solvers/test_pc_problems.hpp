#pragma once
// Variable-coefficient Darcy (diffusion) systems for the learned-preconditioner tests and bench:
// cell-centred finite volumes on an n x n grid of the unit square, Dirichlet boundary, harmonic
// face averages of a log-normal-like smooth random coefficient
//   log k(x, y) = s * sum_{p,q < 4, (p,q) != 0} xi_pq cos(pi p x) cos(pi q y) / (1 + p^2 + q^2),
// xi_pq standard normal from `seed`. The matrix (scaled by 1, i.e. h^2 times the operator) is an
// SPD M-matrix; the same seed gives the same system on any number of ranks.
#include <petscksp.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "core/petsc_handle.hpp"
#include "solvers/learned_model.hpp"

namespace kolmo::testing {

/// The coefficient of draw `seed` on an n x n grid (row-major, j * n + i), contrast set by s.
inline std::vector<double> darcy_coefficient(PetscInt n, std::uint64_t seed, double s = 1.5) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::normal_distribution<double> normal;
  double xi[4][4];
  for (auto& row : xi)
    for (double& v : row) v = normal(rng);
  std::vector<double> k(static_cast<std::size_t>(n * n));
  for (PetscInt j = 0; j < n; ++j)
    for (PetscInt i = 0; i < n; ++i) {
      const double x = (i + 0.5) / n, y = (j + 0.5) / n;
      double g = 0;
      for (int p = 0; p < 4; ++p)
        for (int q = 0; q < 4; ++q)
          if (p + q > 0) g += xi[p][q] * std::cos(M_PI * p * x) * std::cos(M_PI * q * y) / (1.0 + p * p + q * q);
      k[static_cast<std::size_t>(j * n + i)] = std::exp(s * g);
    }
  return k;
}

/// The Darcy matrix of draw `seed` on an n x n grid, distributed by PETSc on comm. Collective.
inline MatHandle darcy_matrix(MPI_Comm comm, PetscInt n, std::uint64_t seed, double s = 1.5) {
  const std::vector<double> k = darcy_coefficient(n, seed, s);
  auto harmonic = [](double a, double b) { return 2.0 * a * b / (a + b); };
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, n * n, n * n, 5, nullptr, 4, nullptr, a.out()));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &low, &high));
  for (PetscInt row = low; row < high; ++row) {
    const PetscInt i = row % n, j = row / n;
    const double kc = k[static_cast<std::size_t>(row)];
    std::vector<PetscInt> cols;
    std::vector<PetscScalar> vals;
    double diag = 0;
    auto neighbour = [&](bool inside, PetscInt col) {
      if (inside) {
        const double t = harmonic(kc, k[static_cast<std::size_t>(col)]);
        cols.push_back(col);
        vals.push_back(-t);
        diag += t;
      } else {
        diag += 2.0 * kc;  // Dirichlet face at half a cell
      }
    };
    neighbour(j > 0, row - n);
    neighbour(i > 0, row - 1);
    neighbour(i + 1 < n, row + 1);
    neighbour(j + 1 < n, row + n);
    cols.push_back(row);
    vals.push_back(diag);
    KOLMO_PETSC_CALL(MatSetValues(a, 1, &row, static_cast<PetscInt>(cols.size()), cols.data(), vals.data(), INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatSetOption(a, MAT_SPD, PETSC_TRUE));
  return a;
}

/// Right-hand side `which` of the Darcy systems: 0 a unit source, 1 a Gaussian bump whose
/// centre depends on `seed`, scaled by h^2. Collective.
inline VecHandle darcy_rhs(Mat a, PetscInt n, int which, std::uint64_t seed) {
  VecHandle b;
  KOLMO_PETSC_CALL(MatCreateVecs(a, b.out(), nullptr));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(b, &low, &high));
  const double cx = 0.3 + 0.4 * ((seed * 37) % 11) / 10.0, cy = 0.3 + 0.4 * ((seed * 53) % 13) / 12.0;
  const double h2 = 1.0 / static_cast<double>(n * n);
  PetscScalar* v = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(b, &v));
  for (PetscInt g = low; g < high; ++g) {
    const double x = (g % n + 0.5) / n, y = (g / n + 0.5) / n;
    v[g - low] = h2 * (which == 0 ? 1.0 : 20.0 * std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 0.01));
  }
  KOLMO_PETSC_CALL(VecRestoreArray(b, &v));
  return b;
}

/// x = A^-1 b to rtol 1e-11 with CG and PETSc's default PC. Collective.
inline VecHandle darcy_solve(Mat a, Vec b) {
  KSPHandle ksp;
  KOLMO_PETSC_CALL(KSPCreate(PetscObjectComm(reinterpret_cast<PetscObject>(a)), ksp.out()));
  KOLMO_PETSC_CALL(KSPSetOperators(ksp, a, a));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPCG));
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp, 1e-11, 0.0, PETSC_DEFAULT, 20000));
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  KOLMO_PETSC_CALL(KSPSolve(ksp, b, x));
  return x;
}

/// Training data for learned preconditioners: `systems` draws of darcy_matrix(comm, n, 100 + s),
/// each with the two right-hand sides of darcy_rhs and their solutions. Collective.
inline solvers::TrainingData darcy_training_data(MPI_Comm comm, PetscInt n, int systems) {
  solvers::TrainingData data;
  for (int s = 0; s < systems; ++s) {
    solvers::TrainingSystem sys;
    sys.matrix = darcy_matrix(comm, n, 100 + static_cast<std::uint64_t>(s));
    for (int which = 0; which < 2; ++which) {
      VecHandle b = darcy_rhs(sys.matrix, n, which, static_cast<std::uint64_t>(s));
      sys.solutions.push_back(darcy_solve(sys.matrix, b));
    }
    data.systems.push_back(std::move(sys));
  }
  return data;
}

}  // namespace kolmo::testing

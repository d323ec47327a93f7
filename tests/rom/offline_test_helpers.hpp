#pragma once
// Shared pieces of the offline-stage tests: small thermal-block problems, a direct truth solver,
// snapshot sets with prescribed singular values, X inner products and reduced-system solves.
#include <Eigen/Dense>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/petsc_handle.hpp"
#include "operators/problem_test_helpers.hpp"
#include "operators/thermal_block.hpp"
#include "rom/basis_vectors.hpp"
#include "rom/online/reduced_model.hpp"

namespace kolmo::testing {

/// A Bx x By thermal block on cells x cells, mu_i in [0.1, 1] (linear), on `comm`.
inline std::unique_ptr<operators::ThermalBlockProblem> small_thermal_block(MPI_Comm comm,
                                                                          PetscInt cells,
                                                                          int blocks = 2) {
  std::vector<std::string> names;
  for (int i = 0; i < blocks * blocks; ++i) names.push_back("mu" + std::to_string(i));
  operators::ThermalBlockSettings settings;
  settings.blocks = {blocks, blocks};
  settings.cells = {cells, cells};
  return std::make_unique<operators::ThermalBlockProblem>(comm, make_space(names, 0.1, 1.0), settings);
}

/// Truth-solver settings that solve exactly (MUMPS LU), so that errors of the reduced model can
/// be measured far below the usual iterative tolerances.
inline SolverSection direct_solver() {
  SolverSection s;
  s.ksp_type = "preonly";
  s.pc_type = "lu";
  s.petsc["pc_factor_mat_solver_type"] = "mumps";
  return s;
}

/// sqrt(v^T X v). Collective.
inline double x_norm(Mat x, Vec v) {
  VecHandle w;
  KOLMO_PETSC_CALL(VecDuplicate(v, w.out()));
  KOLMO_PETSC_CALL(MatMult(x, v, w));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(v, w, &dot));
  return std::sqrt(std::max(0.0, dot));
}

/// a^T X b. Collective.
inline double x_dot(Mat x, Vec a, Vec b) {
  VecHandle w;
  KOLMO_PETSC_CALL(VecDuplicate(b, w.out()));
  KOLMO_PETSC_CALL(MatMult(x, b, w));
  PetscScalar dot = 0;
  KOLMO_PETSC_CALL(VecDot(a, w, &dot));
  return dot;
}

/// r X-orthonormal vectors with the layout of X, built from entries that depend on the global
/// index only (so the same vectors up to round-off on any number of ranks). Collective.
inline BVHandle orthonormal_modes(Mat x, int r) {
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(x, v.out(), nullptr));
  BVHandle modes = rom::create_basis_vectors(v, r, x);
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &start, &end));
  for (int k = 0; k < r; ++k) {
    PetscScalar* a = nullptr;
    KOLMO_PETSC_CALL(VecGetArray(v, &a));
    for (PetscInt i = start; i < end; ++i)
      a[i - start] = std::sin(0.37 + 1.7 * (k + 1) * (i + 1) / 97.0) + 0.5 * std::cos(0.11 * i * (k + 3));
    KOLMO_PETSC_CALL(VecRestoreArray(v, &a));
    KOLMO_PETSC_CALL(BVInsertVec(modes, k, v));
    const auto o = rom::orthonormalize_column(modes, k, 1e-10);
    KOLMO_CHECK(!o.dependent, "orthonormal_modes: dependent test vector " << k);
  }
  KOLMO_PETSC_CALL(BVSetActiveColumns(modes, 0, r));
  return modes;
}

/// m x r matrix with orthonormal columns, reproducible (same on every rank).
inline Eigen::MatrixXd orthonormal_columns(int m, int r, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  Eigen::MatrixXd g(m, r);
  for (int j = 0; j < r; ++j)
    for (int i = 0; i < m; ++i) g(i, j) = uniform(rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  return qr.householderQ() * Eigen::MatrixXd::Identity(m, r);
}

/// Snapshot j of S = Phi diag(sigma) W^T, into `out`. Collective.
inline void manufactured_snapshot(BV phi, const std::vector<double>& sigma, const Eigen::MatrixXd& w,
                                  std::int64_t j, Vec out) {
  std::vector<PetscScalar> c(sigma.size());
  for (std::size_t k = 0; k < sigma.size(); ++k) c[k] = sigma[k] * w(j, static_cast<Eigen::Index>(k));
  KOLMO_PETSC_CALL(BVSetActiveColumns(phi, 0, static_cast<PetscInt>(sigma.size())));
  KOLMO_PETSC_CALL(VecSet(out, 0.0));
  KOLMO_PETSC_CALL(BVMultVec(phi, 1.0, 0.0, out, c.data()));
}

/// theta values of a model's expressions evaluated the simple way (the thermal block's are the
/// parameter names or constants).
inline double theta_value(const std::string& text, const std::vector<std::string>& names, const Mu& mu) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return mu[i];
  return std::stod(text);
}

/// The reduced solution of `model` at mu with its first n vectors (dense LU), for checks that do
/// not go through the online evaluator.
inline Eigen::VectorXd reduced_solve(const rom::ReducedModel& model, const Mu& mu, int n) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n);
  for (std::size_t q = 0; q < model.lhs.terms.size(); ++q)
    a += theta_value(model.lhs.theta[q], model.parameter_names, mu) * model.lhs.terms[q].topLeftCorner(n, n);
  for (std::size_t q = 0; q < model.rhs.terms.size(); ++q)
    f += theta_value(model.rhs.theta[q], model.parameter_names, mu) * model.rhs.terms[q].head(n);
  return a.partialPivLu().solve(f);
}

/// The residual coefficient vector c(mu, u_N) of the ReducedModel ordering (size Qf + Qa * N_max;
/// columns of sizes beyond n are zero).
inline Eigen::VectorXd residual_coefficients(const rom::ReducedModel& model, const Mu& mu,
                                             const Eigen::VectorXd& un) {
  const auto qf = static_cast<Eigen::Index>(model.rhs.terms.size());
  const auto qa = static_cast<Eigen::Index>(model.lhs.terms.size());
  const Eigen::Index nmax = model.max_size();
  Eigen::VectorXd c = Eigen::VectorXd::Zero(qf + qa * nmax);
  for (Eigen::Index q = 0; q < qf; ++q)
    c(q) = theta_value(model.rhs.theta[static_cast<std::size_t>(q)], model.parameter_names, mu);
  for (Eigen::Index q = 0; q < qa; ++q) {
    const double t = theta_value(model.lhs.theta[static_cast<std::size_t>(q)], model.parameter_names, mu);
    for (Eigen::Index n = 0; n < un.size(); ++n) c(qf + q * nmax + n) = -t * un(n);
  }
  return c;
}

}  // namespace kolmo::testing

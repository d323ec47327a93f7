#pragma once
/// @file
/// Solves with the inner-product matrix X: the X-Riesz representer xi of a functional g (the
/// vector with (xi, v)_X = g . v for every v) is the solution of X xi = g. The error estimator is
/// only as accurate as these solves, so they are done to machine precision: a sparse Cholesky
/// factorisation with MUMPS below a size limit, CG + GAMG to a relative residual of 1e-13 above.
#include <string>

#include "core/petsc_handle.hpp"

namespace kolmo::rom {

/// A solver for X xi = g. The options prefix (default "riesz_") lets -riesz_ksp_type,
/// -riesz_pc_type, ... override the choice. X is borrowed and must outlive the solver. Collective
/// on the communicator of X.
class RieszSolver {
 public:
  /// Set up (and, for the direct solver, factorise) the solver. Problems with fewer than
  /// `direct_limit` unknowns get MUMPS Cholesky, larger ones CG + GAMG (rtol 1e-13). Collective.
  explicit RieszSolver(Mat inner_product, std::string prefix = "riesz_",
                       PetscInt direct_limit = 200000);

  /// out = X^{-1} g. @throws Exception when the iterative solver does not converge. Collective.
  void solve(Vec g, Vec out) const;

  /// out = X^{-1} g for every column of the dense matrix `g` (MATDENSE, the layout of X's rows),
  /// in one call: a direct solver treats them as one block of right-hand sides, much faster than
  /// column by column in parallel. `out` is a dense matrix of the same shape.
  /// @throws Exception as solve(). Collective.
  void solve(Mat g, Mat out) const;

  /// "MUMPS Cholesky" or "CG + GAMG (rtol 1e-13)", for reports.
  const std::string& description() const noexcept { return description_; }

 private:
  void check_converged() const;
  KSPHandle ksp_;
  std::string description_;
};

}  // namespace kolmo::rom

#pragma once
/// @file
/// Builds a ReducedModel from a hierarchical X-orthonormal basis, one vector at a time: the
/// Galerkin projections of every affine term (V^T A_q V, V^T f_q, V^T l_q), and the data of the a
/// posteriori error estimator: the X-Riesz representers of f_q and of A_q v_n, with their Gram
/// matrix (classical) and their coefficients in an X-orthonormal basis of their span (stable), in
/// the ordering ReducedModel documents; the same for every output's l_q. Adding a vector solves
/// only its own Q_a representers, so a greedy loop pays O(Q_a) Riesz solves per step.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"
#include "rom/representer_set.hpp"
#include "rom/riesz_solver.hpp"

namespace kolmo::rom {

/// Choices of ReducedModelBuilder.
struct ModelBuilderOptions {
  bool classical = true;  ///< store the Gram matrices (classical evaluation)
  bool stable = true;     ///< store the orthonormal coefficients (stable evaluation)
  /// A new basis vector whose X-norm after orthogonalisation against the basis is at most this
  /// times its norm before is numerically in the span and is not added.
  double dependence_tolerance = 1e-14;
  /// Relative threshold below which a representer adds no direction to the stable data.
  double drop_tolerance = 1e-14;
  /// Problems below this many unknowns get a direct (MUMPS Cholesky) Riesz solver.
  PetscInt direct_limit = 200000;
};

/// The offline assembly of a reduced model. The problem is borrowed and must outlive the
/// builder. Collective on the problem's communicator for construction and add().
class ReducedModelBuilder {
 public:
  /// Prepare for up to `capacity` basis vectors (more are accepted; storage grows): set up the
  /// Riesz solver and compute the representers of f_q and of the outputs' l_q.
  /// @throws InputError when the problem has no affine operator (operators known only at sample
  /// points need matrix EIM first), a coefficient that is not an expression of the parameters,
  /// or a non-affine rhs term that is inconsistent or whose g does not parse.
  ReducedModelBuilder(const operators::ParametrizedProblem& problem, int capacity,
                      ModelBuilderOptions options = {});
  ~ReducedModelBuilder();
  ReducedModelBuilder(const ReducedModelBuilder&) = delete;
  ReducedModelBuilder& operator=(const ReducedModelBuilder&) = delete;

  /// X-orthonormalise `v` (PETSc ordering of the problem, not modified) against the basis and
  /// append it, extending the projections and the representers. Returns false, changing
  /// nothing, when v is numerically in the span of the basis. Collective.
  bool add(Vec v);

  /// Current basis size N.
  int size() const noexcept { return size_; }
  /// The basis (X-orthonormal, owned by the builder; active columns 0..N-1 after any call of
  /// add()). Collective only in what the caller does with it.
  BV basis() const noexcept { return basis_; }
  const operators::ParametrizedProblem& problem() const noexcept { return problem_; }
  const RieszSolver& riesz_solver() const noexcept { return *riesz_; }

  /// The reduced model at the current size: metadata from the problem (type, parameters),
  /// projected terms, outputs and estimator data, and the problem's non-affine rhs term
  /// (ParametrizedProblem::rhs_eim_error) when it has one. case_text, method, estimator, stability and
  /// singular_values are left for the caller. With `only_estimator` ("classical" or "stable"),
  /// only that evaluation's data is stored (the greedy loop evaluates one). Identical on every
  /// rank. Not collective.
  ReducedModel model(const std::string& only_estimator = "") const;

  /// ||f(mu)||_{X'} from the stable data of the right-hand side. Not collective.
  double rhs_dual_norm(const Mu& mu) const;

 private:
  const operators::ParametrizedProblem& problem_;
  ModelBuilderOptions options_;
  int capacity_;
  int size_ = 0;
  std::size_t qa_ = 0, qf_ = 0;
  BVHandle basis_;
  std::vector<MatHandle> projected_lhs_;          // seqdense, capacity x capacity each
  std::vector<std::vector<double>> projected_rhs_;  // [q][n]
  std::vector<std::vector<std::vector<double>>> projected_outputs_;  // [output][q][n]
  std::unique_ptr<RieszSolver> riesz_;
  std::unique_ptr<RepresenterSet> residual_;
  std::vector<std::unique_ptr<RepresenterSet>> output_norms_;
  VecHandle work_, representer_;
  std::optional<NonaffineRhsTerm> nonaffine_rhs_;  // from the problem, checked at construction
};

}  // namespace kolmo::rom

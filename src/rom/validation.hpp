#pragma once
/// @file
/// Validation of a reduced model against truth solves on a test sample: per basis size N, the
/// true error ||u - V u_N||_X (absolute and relative to ||u||_X, max and mean), the error bound of
/// every residual evaluation the model holds data for (max, effectivity bound / error min and
/// max), rigour failures (a bound below the true error by more than a round-off margin), and
/// timings of the truth solve and of the online queries.
///
/// The truth is whatever the problem's assemble_rhs() solves: for a problem whose rhs() is an EIM
/// approximation f_M of its load (`gaussian`), the exact load, so the error measured includes the
/// EIM error and the bound is checked against it (with the model's non-affine rhs term, see
/// NonaffineRhsTerm in rom/online/reduced_model.hpp). Likewise for a sampled operator made affine
/// by matrix EIM: `problem` is then the source (external) problem, whose truth solves the sampled
/// A(mu) itself at the test points (held-out samples), and the bound adds the model's operator
/// EIM error (OperatorEimError), so rigour is checked against the true operator.
#include <cstddef>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "rom/online/reduced_model.hpp"
#include "solvers/truth_solver.hpp"

namespace kolmo::rom {

/// Parameters of validate_model.
struct ValidationOptions {
  std::vector<int> sizes;  ///< basis sizes to check; empty: 1 .. model.max_size()
  /// A bound counts as a failure when bound < error - failure_margin * ||u||_X (round-off in the
  /// error and the bound is about eps ||u||_X).
  double failure_margin = 1e-10;
  bool quiet = false;      ///< no progress line
  /// Online timings repeat the queries until this many seconds have passed (at least once).
  double timing_seconds = 0.02;
};

/// The figures of one residual evaluation ("stable" or "classical") at one basis size.
struct EstimatorFigures {
  std::string estimator;
  double max_bound = 0;             ///< max over the test points of Delta_N(mu)
  double max_relative_bound = 0;    ///< max of Delta_N(mu) / ||u(mu)||_X
  double mean_relative_bound = 0;
  double effectivity_min = 0;       ///< min of Delta / error over points with error > 0
  double effectivity_max = 0;
  int failures = 0;                 ///< points where the bound is below the true error
  double online_microseconds = 0;   ///< one query (solve + bound), averaged
};

/// The figures of one basis size.
struct ValidationRow {
  int size = 0;
  double max_error = 0, mean_error = 0;                    ///< ||u - V u_N||_X
  double max_relative_error = 0, mean_relative_error = 0;  ///< divided by ||u||_X
  /// The reduced solve alone (assembly of sum theta_q A_N,q and dense LU), in microseconds.
  double online_solve_microseconds = 0;
  /// max over the test points of the non-affine rhs term's estimate of ||f - f_M||_X' (absolute
  /// and relative to ||u||_X); 0 for models without one. It does not depend on N.
  double max_rhs_error = 0, max_relative_rhs_error = 0;
  /// max over the test points of the operator EIM term eps_f + eps_A ||u_N||_X (absolute and
  /// relative to ||u||_X); 0 for models without one.
  double max_operator_error = 0, max_relative_operator_error = 0;
  std::vector<EstimatorFigures> estimators;
};

/// One rigour failure.
struct ValidationFailure {
  int size = 0;
  std::size_t point = 0;   ///< index in the test sample
  std::string estimator;
  double error = 0, bound = 0, norm = 0;
};

/// The result of validate_model.
struct ValidationReport {
  std::size_t points = 0;
  std::vector<std::string> estimators;  ///< evaluated, the model's default first
  std::string default_estimator;
  /// The model has a non-affine rhs term: its bounds add the EIM error estimate.
  bool nonaffine_rhs = false;
  /// The model has an operator EIM error term (eps_A, eps_f estimates, added to the bound).
  bool operator_eim = false;
  double operator_eim_error = 0;  ///< eps_A of the model (0 without the term)
  double truth_seconds = 0;             ///< mean wall time of one truth solve
  std::vector<ValidationRow> rows;
  std::vector<ValidationFailure> failures;
  /// Failures of the model's default estimator (those make `kolmo validate` fail).
  std::size_t default_failures() const;
  Json to_json() const;
};

/// Validate `model` with basis `basis` (its first max_size() columns, PETSc ordering of
/// `problem`) on `test`, truth-solving with `truth`. Collective on the problem's communicator.
ValidationReport validate_model(const operators::ParametrizedProblem& problem,
                                const ReducedModel& model, BV basis, const std::vector<Mu>& test,
                                solvers::TruthSolver& truth, const ValidationOptions& options);

}  // namespace kolmo::rom

#pragma once
/// @file
/// The nonintrusive matrix EIM (Casenave, Ern, Lelievre, "A nonintrusive method to approximate
/// linear systems with nonlinear parameter dependence"): from the assembled matrices A(mu_k) at
/// sample parameters only, build
///   A(mu) ~ A_M(mu) = sum_m beta_m(mu) A(mu_{k_m})   (or, equivalently, sum_m beta'_m(mu) Q_m)
/// by EIM on the matrix entries. The nonzeros of the samples (brought to the union of their
/// patterns) are the EIM "points"; the greedy selects M sample matrices and M magic entries
/// (i_m, j_m), and beta(mu) solves sum_m beta_m A(mu_{k_m})_{i_p j_p} = A(mu)_{i_p j_p}, p <= M.
/// So beta(mu) at a new mu needs M entries of A(mu). Two sources for them:
///  (a) a callable supplied by the user (e.g. a cheap evaluator of a few entries, or the formula
///      of the coefficient field);
///  (b) interpolation over the parameter domain of the magic entries' values at the samples, with
///      a polyharmonic RBF (rbf_interpolant.hpp) in the scaled coordinates ParameterSpace::to_unit;
///      beta_m(mu) is then an explicit function whose text is a parameter expression.
/// The result is an operators::AffineOperator, which the reduction machinery projects like any
/// other. Its accuracy in mode (b) is that of the RBF interpolation of the entries. Measured on
/// the 1-D diffusion with k = exp(mu x), mu in [0, 3] (tests/rom/test_eim_matrix.cpp), max
/// relative operator error at unseen mu: exact entries (a) 7.5e-13 at M = 10; RBF (b) with 13 /
/// 25 / 49 equispaced samples: cubic 2.3e-3 / 5.2e-4 / 6.7e-5, quintic 2.8e-4 / 3.1e-5 / 2.0e-6.
/// On the 2-D Helmholtz operator over k^2 in [25, 45] (bench/rom/bench_matrix_eim.cpp, 200
/// unseen k^2, 61 samples): K - k^2 M is found exactly at M = 2 (4e-17 exact entries, 5e-16 RBF);
/// the non-affine K - k^2 S M S, S = diag(exp(k^2 x / 30)), reaches 7.1e-10 at M = 6 with exact
/// entries, while the RBF saturates at 2.0e-6 (cubic) and 2.7e-8 (quintic; 3.0e-9 with 121
/// samples). A sample-mode external problem is made affine with it by eim_affine_problem.hpp.
#include <mpi.h>
#include <petscmat.h>

#include <Eigen/Dense>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/affine_operator.hpp"
#include "operators/empirical_interpolation.hpp"
#include "operators/external_problem.hpp"
#include "rom/rbf_interpolant.hpp"

namespace kolmo::rom {

/// A matrix entry by PETSc global row and column.
struct MatrixEntry {
  PetscInt row = 0, col = 0;
};

/// The matrices of the affine terms.
enum class MatrixEimBasis {
  /// The EIM basis matrices Q_m (combinations of the samples built by the greedy's recursion,
  /// Q_m = 1 at its magic entry), with beta = B^-1 a(mu): well conditioned at any M.
  interpolants,
  /// The selected sample matrices A(mu_{k_m}) themselves, as in the seed paper, with beta =
  /// C^-1 a(mu), C_pm = A(mu_{k_m}) at entry p. Same approximation in exact arithmetic, but C
  /// becomes ill conditioned once the training error nears round-off (nearly dependent samples),
  /// which limits the attainable accuracy (measured: 3e-8 relative on the 1-D test, then worse).
  samples,
};

/// Options of the matrix EIM.
struct MatrixEimOptions {
  /// The greedy over the samples (norm max = classical EIM on the entries; l2 = Frobenius).
  operators::EimOptions eim;
  /// The interpolant of mode (b).
  RbfKernel kernel = RbfKernel::cubic;
  MatrixEimBasis basis = MatrixEimBasis::interpolants;
};

/// A matrix EIM. Holds references to the sample matrices (PETSc reference counts), the magic
/// entries and the coefficient data. Movable, not copyable. Collective calls are marked.
class MatrixEim {
 public:
  /// The entries of A(mu) at `entries`, in order (mode (a)).
  using EntryFunction = std::function<std::vector<double>(const Mu& mu, std::span<const MatrixEntry> entries)>;

  /// Run the greedy on `samples` (A(sample_points[k]); square or not, one row layout; their
  /// patterns may differ). Starts in mode (b) with the interpolant of `options.kernel` (needs at
  /// least as many samples as its polynomial has terms, 1 + d for cubic). Entry ids are
  /// row * columns + col, so with a layout-independent numbering the selection does not depend on
  /// the number of ranks. Collective on comm.
  /// @throws kolmo::Exception on sizes that disagree, no samples, or as EmpiricalInterpolation.
  MatrixEim(MPI_Comm comm, const ParameterSpace& space, std::vector<Mu> sample_points,
            std::span<const Mat> samples, const MatrixEimOptions& options);

  MPI_Comm comm() const noexcept { return interpolation_.comm(); }
  /// Number of terms M.
  int size() const noexcept { return interpolation_.size(); }
  /// The sample indices k_1..k_M of the selected matrices.
  const std::vector<std::size_t>& selected() const noexcept { return interpolation_.selected(); }
  /// The magic entries (i_m, j_m), replicated.
  const std::vector<MatrixEntry>& magic_entries() const noexcept { return entries_; }
  /// The entries of the error indicator (EimOptions::indicator_points of them, or fewer).
  const std::vector<MatrixEntry>& indicator_entries() const noexcept { return indicator_entry_; }
  /// The greedy's training errors (see EmpiricalInterpolation::errors()).
  const std::vector<double>& errors() const noexcept { return interpolation_.errors(); }
  const operators::EmpiricalInterpolation& interpolation() const noexcept { return interpolation_; }
  const std::vector<Mu>& sample_points() const noexcept { return sample_points_; }

  /// Mode (a): take the entries from `function`, described by `description` in texts.
  void use_entries(EntryFunction function, std::string description);
  /// Mode (b), the default: interpolate the entries from the samples with the RBF.
  void use_interpolation();
  /// True in mode (b).
  bool interpolates() const noexcept { return !entry_function_; }
  /// The radial function of mode (b).
  RbfKernel kernel() const noexcept { return kernel_; }

  /// The first `terms` magic entries of A(mu) (followed by the indicator entries with
  /// `with_indicator`), from the current source. Not collective.
  std::vector<double> entries(const Mu& mu, int terms, bool with_indicator = false) const;
  /// beta(mu) of the first `terms` terms (terms = -1: all M) of affine_operator(terms), in the
  /// options' basis. Not collective.
  Eigen::VectorXd coefficients(const Mu& mu, int terms = -1) const;
  /// beta from given values of A(mu) at the first `terms` magic entries. Not collective.
  Eigen::VectorXd coefficients_from_entries(std::span<const double> entries, int terms = -1) const;
  /// The indicator max_e |A(mu)_e - A_M(mu)_e| over the indicator entries e (0 without them): an
  /// estimate from below of the largest entry error of A_M(mu) (absolute). Not collective.
  double error_indicator(const Mu& mu) const;
  /// beta_m(mu) of the first `terms` terms as a parameter expression (mode (b) only).
  std::string coefficient_expression(int m, int terms = -1) const;

  /// A_M(mu) with the first `terms` terms (-1: all) as an AffineOperator: term m is the EIM basis
  /// matrix Q_m (new, with the union pattern of its samples), named "Q<m>", or with the samples
  /// basis the sample matrix A(mu_{k_m}) itself (shared, not copied), named "A_sample<k_m>"; its
  /// coefficient beta_m(mu) comes from the current entry source (in mode (b) its text is
  /// coefficient_expression(), in mode (a) "matrix_eim_beta_<m> (<description>)"). Collective.
  operators::AffineOperator affine_operator(int terms = -1) const;

 private:
  int checked_terms(int terms) const;
  struct Source;
  std::shared_ptr<const Source> source(int terms) const;

  operators::EmpiricalInterpolation interpolation_;
  ParameterSpace space_;
  std::vector<Mu> sample_points_;
  std::vector<MatHandle> samples_;
  std::vector<MatrixEntry> entries_;
  std::vector<MatrixEntry> indicator_entry_;
  MatrixEimBasis basis_ = MatrixEimBasis::interpolants;
  RbfKernel kernel_ = RbfKernel::cubic;
  // The samples' values at the magic entries and (last column) the indicator entry: n_samples rows.
  Eigen::MatrixXd entry_values_;
  // Mode (b): the interpolant of entry_values_ over the parameters that vary among the samples
  // (active_), or constant_ values when none does; rbf_problem_ says why it could not be fitted.
  std::shared_ptr<const RbfInterpolant> rbf_;
  std::vector<std::size_t> active_;
  Eigen::VectorXd constant_;
  std::string rbf_problem_;
  EntryFunction entry_function_;
  std::string entry_description_;
};

/// The matrix EIM of an external problem in sample mode (sample_points(), sample_matrix(i)).
/// Collective on the problem's communicator. @throws InputError when the problem is not in
/// sample mode.
MatrixEim make_matrix_eim(const operators::ExternalProblem& problem, const MatrixEimOptions& options);

}  // namespace kolmo::rom

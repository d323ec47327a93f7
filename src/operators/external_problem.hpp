#pragma once
/// @file
/// The `external` problem type, Kolmo's nonintrusive entry point: the case file lists matrix and
/// vector files written by another code (Matrix Market, PETSc binary or HDF5; see matrix_io.hpp),
/// either as affine terms A(mu) = sum_q theta_q(mu) A_q, or as matrices known only at sample
/// points (for matrix EIM). Keys in docs/case-files.md, "### external".
#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/config_node.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/matrix_io.hpp"
#include "operators/parametrized_problem.hpp"

namespace kolmo::operators {

/// A file named in the case file: its path resolved against the case file's directory, and the
/// node it was written at (for messages about its content).
struct ExternalFile {
  std::string path;
  ConfigNode node;
};

/// One affine term: theta (an expression of the parameters) times the matrix or vector in `file`.
struct ExternalTerm {
  std::string theta;
  ExternalFile file;
};

/// A matrix or vector known at one parameter point.
struct ExternalSample {
  Mu mu;
  ExternalFile file;
};

/// An output functional s(mu) = sum_q theta_q(mu) (l_q . u).
struct ExternalOutput {
  std::string name;
  std::vector<ExternalTerm> terms;
};

/// The `matrix_eim:` keys of a sample-mode external problem: how `kolmo offline` approximates the
/// sampled operator (and a right-hand side given per sample) by matrix EIM before reducing it
/// (rom/eim_affine_problem.hpp).
struct ExternalEimSettings {
  double tolerance = 1e-10;        ///< relative max-entry training error at which the greedy stops
  int max_terms = 30;              ///< at most this many terms
  std::string kernel = "cubic";    ///< RBF of beta(mu) over the parameters: cubic or quintic
  int indicator_points = 4;        ///< entries of the online error indicator
};

/// The checked `problem:` map of type external. Exactly one of `operator_terms` (affine mode) and
/// `samples` (sample mode) is non-empty; exactly one of `rhs_terms` and `rhs_samples` is
/// non-empty, and `rhs_samples` only in sample mode, with one vector per sample point.
struct ExternalSettings {
  MatrixFormat format = MatrixFormat::automatic;  ///< as written; files resolve it by extension
  std::vector<ExternalTerm> operator_terms;
  std::vector<ExternalSample> samples;
  std::vector<ExternalTerm> rhs_terms;
  std::vector<ExternalSample> rhs_samples;    ///< in the order of `samples`
  std::vector<ExternalOutput> outputs;        ///< empty: the default (compliance if symmetric)
  std::optional<ExternalFile> inner_product;  ///< empty: the default X (see ExternalProblem)
  bool symmetric = false;
  Stability stability = Stability::coercive;
  ExternalEimSettings matrix_eim;             ///< sample mode only

  bool sample_mode() const noexcept { return !samples.empty(); }
};

/// Read and check the `problem:` map of an external case: keys, types, expressions, sample points
/// (in the parameter space, no duplicates), file formats by extension. Opens no file.
/// @throws InputError "file:line:col: 'problem.key': ..." on the first problem. Not collective.
ExternalSettings read_external_settings(const CaseFile& c);

/// A problem whose matrices and vectors come from files written by another code.
///
/// Affine mode: lhs() holds the terms; the inner product X defaults to the symmetric part of
/// sum_q A_q (all reference coefficients 1). Sample mode: lhs() is empty, the matrices are
/// sample_matrix(i) at sample_points()[i], and assemble_operator() accepts only those points;
/// X defaults to the symmetric part of the first sample matrix. Give `inner_product:` for a
/// rigorous norm. Outputs default to "compliance" = f.u when the problem is symmetric (and the
/// right-hand side affine); the problem is compliant when it is symmetric and its first output
/// has the right-hand side's coefficients and equal vectors (from any files). Every matrix and
/// vector is checked for its size (square operators of one size n, vectors of length n) and, when
/// `symmetric: true`, the operators for symmetry. Collective on comm for construction and every
/// PETSc call.
class ExternalProblem : public ParametrizedProblem {
 public:
  /// Read every file of `settings` on `comm`. `space` must be the one the settings were read with.
  /// @throws InputError naming the file and the case-file key on a missing or malformed file,
  /// a non-square operator or sizes that disagree. Collective on comm.
  ExternalProblem(MPI_Comm comm, const ParameterSpace& space, ExternalSettings settings);

  std::string type() const override { return "external"; }
  const ExternalSettings& settings() const noexcept { return settings_; }
  /// True when the operator is known only at sample points.
  bool sample_mode() const noexcept { return settings_.sample_mode(); }
  /// The sample points of sample mode (empty in affine mode).
  const std::vector<Mu>& sample_points() const noexcept { return sample_points_; }
  /// The matrix at sample_points()[i], owned by the problem.
  Mat sample_matrix(std::size_t i) const { return sample_matrices_.at(i); }
  /// True when the right-hand side is given per sample point (sample_rhs()).
  bool rhs_per_sample() const noexcept { return !sample_rhs_.empty(); }
  /// The right-hand side at sample_points()[i] (rhs_per_sample() only), owned by the problem.
  Vec sample_rhs(std::size_t i) const { return sample_rhs_.at(i); }
  /// The index of the sample point equal to `mu` (each value to a relative tolerance of 1e-12 of
  /// its magnitude or its parameter's range), if there is one. Not collective.
  std::optional<std::size_t> find_sample(const Mu& mu) const;

  /// A vector with the layout of the unknowns. Collective.
  VecHandle create_vector() const override;
  /// Affine mode: the affine sum. Sample mode: a copy of the sample matrix at mu into `out`
  /// (created on first use with the union of the samples' patterns, reused afterwards).
  /// @throws InputError when mu is not a sample point (sample mode). Collective.
  void assemble_operator(const Mu& mu, MatHandle& out) const override;
  /// The affine sum, or the vector given for the sample point mu.
  /// @throws InputError when the right-hand side is per sample and mu is not a sample point.
  /// Collective.
  void assemble_rhs(const Mu& mu, Vec out) const override;

 private:
  /// The sample index of mu. @throws InputError naming `what` ("matrices", ...) otherwise.
  std::size_t sample_index(const Mu& mu, const char* what) const;

  ExternalSettings settings_;
  std::vector<Mu> sample_points_;
  std::vector<MatHandle> sample_matrices_;
  std::vector<VecHandle> sample_rhs_;
};

/// Read the settings of `c` and build its external problem on `comm`; the caller owns it.
/// Collective on comm.
std::unique_ptr<ParametrizedProblem> make_external(MPI_Comm comm, const CaseFile& c);

}  // namespace kolmo::operators

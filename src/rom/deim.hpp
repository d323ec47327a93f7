#pragma once
/// @file
/// The discrete empirical interpolation method (DEIM, Chaturantabut and Sorensen) for
/// parametrized vectors f(mu): a POD basis U of snapshots f(mu_k), then interpolation indices
/// chosen by the EIM greedy on the columns of U in order, so that
///   f(mu) ~ U (P^T U)^-1 P^T f(mu)
/// needs only the M entries P^T f(mu). Its error obeys
///   ||f - f_DEIM||_2 <= ||(P^T U)^-1||_2 ||(I - U U^T) f||_2,
/// the DEIM constant times the POD projection error. Vectors are PETSc Vecs distributed over a
/// communicator; the indices are PETSc global indices.
#include <mpi.h>
#include <petscvec.h>

#include <Eigen/Dense>

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/affine_operator.hpp"
#include "operators/empirical_interpolation.hpp"

namespace kolmo::rom {

/// How many POD modes DEIM keeps.
struct DeimOptions {
  /// Keep the smallest N with sqrt(sum_{k > N} sigma_k^2 / sum_k sigma_k^2) <= tolerance (the
  /// relative Frobenius error of projecting the snapshots).
  double tolerance = 1e-8;
  int max_terms = 50;  ///< and at most this many
};

/// A DEIM of a family of vectors. Keeps the local rows of its POD basis (n_local x N). A value
/// type; the communicator is not owned. Collective calls are marked.
class Deim {
 public:
  /// POD of `snapshots` (all with the same layout) by the method of snapshots in the Euclidean
  /// inner product (Gram matrix, its eigenvectors, then one re-orthogonalisation pass; singular
  /// values below about 1e-8 sigma_1 are as accurate as that allows), then the DEIM indices.
  /// Collective on the snapshots' communicator.
  /// @throws kolmo::Exception on no snapshots, differing layouts or non-finite entries.
  Deim(std::span<const Vec> snapshots, const DeimOptions& options);

  MPI_Comm comm() const noexcept { return interpolation_.comm(); }
  /// Number of modes and indices N.
  int size() const noexcept { return interpolation_.size(); }
  /// All singular values of the snapshot matrix, decreasing.
  const std::vector<double>& singular_values() const noexcept { return singular_values_; }
  /// The POD basis, local rows (n_local x N), orthonormal in the Euclidean inner product.
  const Eigen::MatrixXd& local_basis() const noexcept { return basis_; }
  /// The DEIM indices (PETSc global indices, in order of selection; replicated).
  const std::vector<PetscInt>& indices() const noexcept { return indices_; }
  /// The EIM data behind it (interpolation points = indices).
  const operators::EmpiricalInterpolation& interpolation() const noexcept { return interpolation_; }
  /// The DEIM constant ||(P^T U)^-1||_2. Not collective.
  double constant() const noexcept { return constant_; }

  /// The entries of f at indices() (replicated). Collective.
  Eigen::VectorXd gather(Vec f) const;
  /// Coefficients c in the POD basis from f's entries at the indices: f_DEIM = U c. Not collective.
  Eigen::VectorXd coefficients(std::span<const double> entries) const;
  /// out = U c. Collective (writes local rows only).
  void reconstruct(const Eigen::VectorXd& c, Vec out) const;
  /// out = the DEIM approximation of f. Collective.
  void approximate(Vec f, Vec out) const;
  /// ||(I - U U^T) f||_2, the POD projection error of f. Collective.
  double projection_error(Vec f) const;

  /// The entries of f(mu) at indices(), from the caller (e.g. a cheap evaluation of the few rows).
  using EntryFunction = std::function<Eigen::VectorXd(const Mu& mu)>;
  /// f(mu) ~ sum_n c_n(mu) u_n as an AffineVector: the terms are copies of the modes (with the
  /// layout of `like`), the coefficients c_n(mu) = [(P^T U)^-1 entries(mu)]_n, with the text
  /// "deim_<n> (<description>)". Collective.
  operators::AffineVector affine_vector(Vec like, EntryFunction entries,
                                        const std::string& description) const;

 private:
  operators::EmpiricalInterpolation interpolation_;
  Eigen::MatrixXd basis_;
  Eigen::MatrixXd point_matrix_;  // P^T U
  std::vector<double> singular_values_;
  std::vector<PetscInt> indices_;
  double constant_ = 0.0;
  PetscInt local_size_ = 0;
};

}  // namespace kolmo::rom

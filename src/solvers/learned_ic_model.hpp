#pragma once
/// @file
/// The built-in learned factorised preconditioner "learned_ic": an incomplete Cholesky factor
/// L L^T on the IC(0) pattern of A (the pattern of A's lower triangle), whose values come out of
/// a relaxed modified incomplete factorisation steered row by row by a small model:
///   omega_i = sigmoid(theta . f_i)   (fraction of the fill dropped in row i that is added back to
///                                     the pivot; 0 is IC(0), 1 is modified IC),
///   delta_i = exp(psi . f_i)         (relative diagonal shift a_ii (1 + delta_i) before factoring),
///   lambda_i = sigmoid(chi . f_i)    (fraction of the couplings to other processes' rows,
///                                     sum_{j outside} |a_ij|, taken off the diagonal: lumping
///                                     them makes the block act like A on smooth vectors; no effect
///                                     on one process),
/// with local features f_i of A: 1, the row sum over the diagonal, the log contrast of the
/// off-diagonal entries, the fraction of the row outside the process's diagonal block, and the
/// IC(0) pivot over the diagonal. Pivots are kept above 1e-3 a_ii, so L has a positive diagonal and
/// L L^T is symmetric positive definite by construction. The weights (theta, psi) are fitted
/// offline by L-BFGS to minimise the data-weighted loss
///   mean over training pairs of ||L L^T x - A x||^2 / ||A x||^2
/// over training solutions x, where M is the block-diagonal preconditioner (gradient by central
/// differences: 15 weights; the lambda head is fitted only when some process has such couplings). Starting weights give
/// omega ~ 0.0025, delta ~ 3e-4 and lambda ~ 3e-4, i.e. essentially IC(0).
///
/// Parallel: the factor is built on each process's diagonal block of A (block Jacobi with the
/// learned factor on each block, like PETSc's bjacobi + icc); the factorisation and the triangular
/// solves are serial within a block. As the sub-PC of additive Schwarz with overlap
/// (-pc_type asm -sub_pc_type kolmo_learned, models handed over with learned_pc_set_sub_models)
/// it factors each overlapped subdomain matrix, which is sequential, so the lumping head is idle
/// there; weights fitted on one process suit it (bench/learned/README.md compares).
#include <Eigen/Dense>

#include <string>
#include <vector>

#include "solvers/learned_model.hpp"

namespace kolmo::solvers {

/// Rows of a local sparse block in compressed form with sorted columns (local indices).
struct LocalCsr {
  std::vector<PetscInt> row_start;  ///< size n + 1
  std::vector<PetscInt> cols;
  std::vector<PetscReal> values;
  std::vector<PetscInt> diag;       ///< position of the diagonal entry of each row
  PetscInt rows() const { return static_cast<PetscInt>(row_start.size()) - 1; }
};

/// The learned IC model described in the file comment. Not thread-safe; one PC at a time.
class LearnedIcModel final : public LearnedModel {
 public:
  static constexpr const char* type_name = "learned_ic";
  static constexpr int feature_count = 5;
  static constexpr int weight_count = 3 * feature_count;

  LearnedIcModel();

  std::string name() const override { return type_name; }
  bool symmetric_positive() const override { return true; }
  void setup(Mat a) override;
  void apply(Vec r, Vec z) const override;
  FitReport fit(const TrainingData& data) override;
  double loss(const TrainingData& data) const override;
  void save(MPI_Comm comm, const std::string& path) const override;
  void load(MPI_Comm comm, const std::string& path) override;

  /// The weights (theta, psi, chi), identical on every rank.
  const Eigen::VectorXd& weights() const noexcept { return weights_; }
  /// Replace the weights (size weight_count).
  void set_weights(const Eigen::VectorXd& w);
  /// Optimiser iterations of fit() (default 40).
  void set_max_iterations(int n) { max_iterations_ = n; }
  /// The smallest pivot of the current factor divided by its a_ii (> 0), on this process.
  double min_relative_pivot() const noexcept { return min_relative_pivot_; }
  /// The mean omega_i of the current factor on this process (0: IC(0), 1: modified IC).
  double mean_omega() const noexcept { return mean_omega_; }

 private:
  /// A block with its features, ready to be factored with any weights.
  struct Prepared {
    LocalCsr block;
    Eigen::MatrixXd features;      // rows x feature_count
    std::vector<double> outside;   // sum of |a_ij| over columns of other processes, per row
  };
  /// One training pair on this process: the local rows of x and of b = A x.
  struct LocalPair {
    std::vector<PetscReal> x, b;
  };
  static std::vector<std::vector<LocalPair>> local_pairs(const TrainingData& data);
  static Prepared prepare(Mat a);
  /// The factor (unit L strictly below, U on and above the diagonal) of `p` with weights `w`.
  static LocalCsr factor(const Prepared& p, const Eigen::VectorXd& w, double* min_pivot,
                         double* mean_omega);
  static void solve(const LocalCsr& lu, const PetscScalar* r, PetscScalar* z);
  /// For every training pair, this process's ||M x - A x||^2 and ||A x||^2 (interleaved).
  static std::vector<double> local_loss(const std::vector<Prepared>& systems,
                           const std::vector<std::vector<LocalPair>>& pairs,
                           const Eigen::VectorXd& w);

  Eigen::VectorXd weights_;
  LocalCsr factor_;
  int max_iterations_ = 40;
  double min_relative_pivot_ = 0;
  double mean_omega_ = 0;
};

/// The local diagonal block of `a` (this process's rows and columns) in compressed form.
/// Collective on a's communicator.
LocalCsr local_diagonal_block(Mat a);

}  // namespace kolmo::solvers

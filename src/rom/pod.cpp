#include "rom/pod.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "rom/basis_vectors.hpp"

namespace kolmo::rom {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();

// A column whose X-norm drops by more than this factor under orthogonalisation is numerically
// dependent (what is left is round-off, or orthonormalize_column found it unstable). QR completes
// the orthonormal basis with a random direction there and keeps the tiny norm as the diagonal
// entry of R, so S = Q R holds up to that norm.
constexpr double qr_dependence = 1e-14;

// Columns orthogonalised together with matrix-matrix products by the QR method.
constexpr Eigen::Index qr_block = 32;

// Make the largest entry (in magnitude) of every column positive, so that the modes do not depend
// on the sign convention of the SVD (which may differ between runs whose data differ by round-off).
void normalise_signs(Eigen::MatrixXd& u) {
  for (Eigen::Index c = 0; c < u.cols(); ++c) {
    Eigen::Index at = 0;
    u.col(c).cwiseAbs().maxCoeff(&at);
    if (u(at, c) < 0) u.col(c) *= -1.0;
  }
}

VecHandle work_vector(Mat inner_product) {
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(inner_product, v.out(), nullptr));
  return v;
}

BVHandle load_snapshots(Mat inner_product, Vec work, std::int64_t count,
                        const SnapshotColumn& column) {
  BVHandle s = create_basis_vectors(work, static_cast<PetscInt>(count), inner_product);
  for (std::int64_t j = 0; j < count; ++j) {
    column(j, work);
    KOLMO_PETSC_CALL(BVInsertVec(s, static_cast<PetscInt>(j), work));
  }
  return s;
}

// modes = S * coefficients (m x r), as a new BV with r columns.
BVHandle combine(BV s, PetscInt m, Vec work, Mat inner_product, const Eigen::MatrixXd& coefficients) {
  BVHandle modes = create_basis_vectors(work, static_cast<PetscInt>(coefficients.cols()), inner_product);
  MatHandle q = to_seqdense(coefficients);
  KOLMO_PETSC_CALL(BVSetActiveColumns(s, 0, m));
  KOLMO_PETSC_CALL(BVMult(modes, 1.0, 0.0, s, q));
  return modes;
}

double energy(const std::vector<double>& sigma) {
  return std::accumulate(sigma.begin(), sigma.end(), 0.0, [](double a, double s) { return a + s * s; });
}

PodResult pod_qr(Mat inner_product, std::int64_t count, const SnapshotColumn& column,
                 const PodOptions& options) {
  VecHandle work = work_vector(inner_product);
  BVHandle s = load_snapshots(inner_product, work, count, column);
  const auto m = static_cast<Eigen::Index>(count);
  Eigen::MatrixXd r = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index start = 0; start < m; start += qr_block) {
    const Eigen::Index count = std::min<Eigen::Index>(qr_block, m - start);
    const auto block = orthonormalize_block(s, static_cast<PetscInt>(start),
                                            static_cast<PetscInt>(count), qr_dependence);
    for (Eigen::Index c = 0; c < count; ++c) {
      const auto& o = block[static_cast<std::size_t>(c)];
      const Eigen::Index j = start + c;
      for (Eigen::Index i = 0; i < j; ++i) r(i, j) = o.coefficients[static_cast<std::size_t>(i)];
      r(j, j) = o.norm;
    }
  }
  Eigen::BDCSVD<Eigen::MatrixXd> svd(r, Eigen::ComputeThinU);
  PodResult result;
  result.snapshot_count = count;
  const auto& sv = svd.singularValues();
  result.singular_values.assign(sv.data(), sv.data() + sv.size());
  result.total_energy = energy(result.singular_values);
  const double floor = result.singular_values.empty()
                           ? 0.0
                           : static_cast<double>(m) * eps * result.singular_values.front();
  result.size = truncation_size(result.singular_values, options.tolerance, options.max_size, floor);
  KOLMO_INPUT_CHECK(result.size > 0, "POD: every snapshot is zero; there is nothing to reduce");
  Eigen::MatrixXd u = svd.matrixU().leftCols(result.size);
  normalise_signs(u);
  result.modes = combine(s, static_cast<PetscInt>(m), work, inner_product, u);
  return result;
}

PodResult pod_snapshots(Mat inner_product, std::int64_t count, const SnapshotColumn& column,
                        const PodOptions& options) {
  VecHandle work = work_vector(inner_product);
  BVHandle s = load_snapshots(inner_product, work, count, column);
  const auto m = static_cast<PetscInt>(count);
  MatHandle c;
  KOLMO_PETSC_CALL(MatCreateSeqDense(PETSC_COMM_SELF, m, m, nullptr, c.out()));
  KOLMO_PETSC_CALL(BVSetActiveColumns(s, 0, m));
  KOLMO_PETSC_CALL(BVDot(s, s, c));  // C = S^T X S
  Eigen::MatrixXd correlation = from_seqdense(c, m, m);
  correlation = 0.5 * (correlation + correlation.transpose()).eval();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(correlation);
  KOLMO_CHECK(eigen.info() == Eigen::Success, "POD (method of snapshots): the eigensolver failed");
  PodResult result;
  result.snapshot_count = count;
  const Eigen::VectorXd& lambda = eigen.eigenvalues();  // ascending
  for (Eigen::Index i = lambda.size() - 1; i >= 0; --i)
    result.singular_values.push_back(std::sqrt(std::max(lambda(i), 0.0)));
  result.total_energy = energy(result.singular_values);
  // The eigenvalues carry an absolute error of about m eps lambda_1, so singular values below
  // sqrt(m eps) sigma_1 cannot be told from zero.
  const double floor = result.singular_values.empty()
                           ? 0.0
                           : std::sqrt(static_cast<double>(m) * eps) * result.singular_values.front();
  result.size = truncation_size(result.singular_values, options.tolerance, options.max_size, floor);
  KOLMO_INPUT_CHECK(result.size > 0, "POD: every snapshot is zero; there is nothing to reduce");
  Eigen::MatrixXd w(m, result.size);
  for (int k = 0; k < result.size; ++k)
    w.col(k) = eigen.eigenvectors().col(lambda.size() - 1 - k) / result.singular_values[k];
  normalise_signs(w);
  result.modes = combine(s, m, work, inner_product, w);
  return result;
}

PodResult pod_incremental(Mat inner_product, std::int64_t count, const SnapshotColumn& column,
                          const PodOptions& options) {
  KOLMO_INPUT_CHECK(options.batch >= 1, "POD (incremental): the batch size must be at least 1, got "
                                            << options.batch);
  VecHandle work = work_vector(inner_product);
  const PetscInt batch = options.batch;
  BVHandle q = create_basis_vectors(work, static_cast<PetscInt>(std::min<std::int64_t>(batch, count)),
                                    inner_product);
  PetscInt rank = 0;
  std::vector<double> sigma;
  double discarded = 0.0, seen = 0.0;
  const double in_flight_tolerance = 0.1 * options.tolerance;
  for (std::int64_t start = 0; start < count; start += batch) {
    const auto nb = static_cast<PetscInt>(std::min<std::int64_t>(batch, count - start));
    ensure_columns(q, rank + nb, true);  // at most rank + b vectors are ever held
    for (PetscInt i = 0; i < nb; ++i) {
      column(start + i, work);
      KOLMO_PETSC_CALL(BVInsertVec(q, rank + i, work));
    }
    // [Q Sigma, B] = [Q, Q_B] K with K = [[Sigma, Q^T X B], [0, R_B]].
    const Eigen::Index k = rank + nb;
    Eigen::MatrixXd kmat = Eigen::MatrixXd::Zero(k, k);
    for (PetscInt i = 0; i < rank; ++i) kmat(i, i) = sigma[static_cast<std::size_t>(i)];
    const auto block = orthonormalize_block(q, rank, nb, qr_dependence);
    for (PetscInt i = 0; i < nb; ++i) {
      const auto& o = block[static_cast<std::size_t>(i)];
      const PetscInt j = rank + i;
      for (PetscInt l = 0; l < j; ++l) kmat(l, j) = o.coefficients[static_cast<std::size_t>(l)];
      kmat(j, j) = o.norm;
      seen += o.original_norm * o.original_norm;
    }
    Eigen::BDCSVD<Eigen::MatrixXd> svd(kmat, Eigen::ComputeThinU);
    const auto& s = svd.singularValues();
    std::vector<double> values(s.data(), s.data() + s.size());
    const double floor = values.empty() ? 0.0 : static_cast<double>(count) * eps * values.front();
    // Keep what the final truncation could need: drop only a tail whose energy, with what was
    // dropped before, stays within a tenth of the tolerance (squared) of the energy seen so far.
    int keep = truncation_size(values, in_flight_tolerance, options.max_size, floor, discarded);
    keep = std::max(keep, 1);
    for (std::size_t i = static_cast<std::size_t>(keep); i < values.size(); ++i)
      discarded += values[i] * values[i];
    Eigen::MatrixXd u = svd.matrixU();
    normalise_signs(u);
    MatHandle umat = to_seqdense(u);
    KOLMO_PETSC_CALL(BVSetActiveColumns(q, 0, static_cast<PetscInt>(k)));
    KOLMO_PETSC_CALL(BVMultInPlace(q, umat, 0, keep));
    rank = keep;
    sigma.assign(values.begin(), values.begin() + keep);
  }
  PodResult result;
  result.snapshot_count = count;
  result.singular_values = sigma;
  result.discarded_energy = discarded;
  result.total_energy = seen;
  const double floor = sigma.empty() ? 0.0 : static_cast<double>(count) * eps * sigma.front();
  result.size = truncation_size(sigma, options.tolerance, options.max_size, floor, discarded);
  KOLMO_INPUT_CHECK(result.size > 0, "POD: every snapshot is zero; there is nothing to reduce");
  result.modes = create_basis_vectors(work, result.size, inner_product);
  KOLMO_PETSC_CALL(BVSetActiveColumns(q, 0, result.size));
  KOLMO_PETSC_CALL(BVCopy(q, result.modes));
  // Each update multiplies the modes by an orthogonal factor, so X-orthonormality drifts by a few
  // eps per update; one final Gram-Schmidt pass (R = I + O(drift)) restores it to round-off.
  KOLMO_PETSC_CALL(BVOrthogonalize(result.modes, nullptr));
  return result;
}

}  // namespace

int truncation_size(const std::vector<double>& sigma, double tolerance, int max_size, double floor,
                    double extra_energy) {
  const auto count = static_cast<int>(std::count_if(sigma.begin(), sigma.end(),
                                                    [floor](double s) { return s > floor; }));
  int size = count;
  if (tolerance > 0) {
    const double budget = tolerance * tolerance * (energy(sigma) + extra_energy);
    // tail[i] = extra + sum_{k >= i} sigma_k^2; the size is the smallest i with tail[i] <= budget.
    std::vector<double> tail(sigma.size() + 1, extra_energy);
    for (std::size_t i = sigma.size(); i-- > 0;) tail[i] = tail[i + 1] + sigma[i] * sigma[i];
    for (int i = 0; i <= count; ++i)
      if (tail[static_cast<std::size_t>(i)] <= budget) {
        size = i;
        break;
      }
  }
  if (max_size > 0) size = std::min(size, max_size);
  return size;
}

PodResult compute_pod(Mat inner_product, std::int64_t count, const SnapshotColumn& column,
                      const PodOptions& options) {
  KOLMO_INPUT_CHECK(count >= 1, "POD: no snapshots");
  KOLMO_INPUT_CHECK(options.tolerance >= 0, "POD: the tolerance must be >= 0, got " << options.tolerance);
  KOLMO_INPUT_CHECK(options.method == "qr" || options.method == "snapshots" || options.method == "incremental",
                    "POD: unknown method '" << options.method << "' (expected one of: qr, snapshots, incremental)");
  PetscInt unknowns = 0;
  KOLMO_PETSC_CALL(MatGetSize(inner_product, &unknowns, nullptr));
  if (count > unknowns && options.method != "snapshots") {
    // The QR methods keep an orthonormal column per snapshot, which more snapshots than unknowns
    // cannot have; the method of snapshots (a count x count Gramian) is exact for any count.
    PodOptions gramian = options;
    gramian.method = "snapshots";
    return pod_snapshots(inner_product, count, column, gramian);
  }
  if (options.method == "qr") return pod_qr(inner_product, count, column, options);
  if (options.method == "snapshots") return pod_snapshots(inner_product, count, column, options);
  return pod_incremental(inner_product, count, column, options);
}

PodResult compute_pod(const operators::ParametrizedProblem& problem, const SnapshotStore& store,
                      const PodOptions& options) {
  const auto indices = store.complete_indices();
  KOLMO_INPUT_CHECK(!indices.empty(), store.path() << ": no complete snapshot to build a POD from "
                                                   "(run 'kolmo snapshots' first)");
  KOLMO_INPUT_CHECK(store.header().vector_size == problem.global_size(),
                    store.path() << ": snapshots have " << store.header().vector_size
                                 << " entries, but the problem has " << problem.global_size()
                                 << " unknowns (another discretization?)");
  VecHandle natural = problem.create_natural_vector();
  return compute_pod(
      problem.inner_product(), static_cast<std::int64_t>(indices.size()),
      [&](std::int64_t j, Vec out) {
        store.read(indices[static_cast<std::size_t>(j)], natural);
        problem.from_natural(natural, out);
      },
      options);
}

}  // namespace kolmo::rom

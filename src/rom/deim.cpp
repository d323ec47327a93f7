#include "rom/deim.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "core/error.hpp"
#include "core/mpi.hpp"

namespace kolmo::rom {
namespace {

// The local rows of `vectors` as the columns of a dense matrix.
Eigen::MatrixXd local_columns(std::span<const Vec> vectors, PetscInt local_size) {
  Eigen::MatrixXd s(local_size, static_cast<Eigen::Index>(vectors.size()));
  for (std::size_t j = 0; j < vectors.size(); ++j) {
    const PetscScalar* a = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(vectors[j], &a));
    for (PetscInt i = 0; i < local_size; ++i) s(i, static_cast<Eigen::Index>(j)) = a[i];
    KOLMO_PETSC_CALL(VecRestoreArrayRead(vectors[j], &a));
  }
  return s;
}

Eigen::MatrixXd allreduce_sum(MPI_Comm comm, const Eigen::MatrixXd& local) {
  Eigen::MatrixXd global(local.rows(), local.cols());
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_SUM, comm);
  return global;
}

}  // namespace

Deim::Deim(std::span<const Vec> snapshots, const DeimOptions& options) {
  KOLMO_CHECK(!snapshots.empty(), "DEIM: no snapshots");
  KOLMO_CHECK(options.max_terms >= 1, "DEIM: max_terms must be at least 1, got " << options.max_terms);
  KOLMO_CHECK(options.tolerance >= 0, "DEIM: the tolerance must be non-negative");
  const MPI_Comm comm = object_comm(snapshots[0]);
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(snapshots[0], &lo, &hi));
  local_size_ = hi - lo;
  bool same = true;
  for (Vec v : snapshots) {
    PetscInt l = 0, h = 0;
    KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &l, &h));
    same = same && l == lo && h == hi;
  }
  KOLMO_CHECK(all_ranks(comm, same), "DEIM: the snapshots must share one parallel layout");
  const Eigen::MatrixXd s = local_columns(snapshots, local_size_);
  KOLMO_CHECK(all_ranks(comm, s.allFinite()), "DEIM: a snapshot has a non-finite entry");

  // Method of snapshots: S^T S = V diag(sigma^2) V^T, U = S V diag(1/sigma).
  const Eigen::MatrixXd gram = allreduce_sum(comm, Eigen::MatrixXd(s.transpose() * s));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(gram);
  const Eigen::Index n = gram.rows();
  Eigen::VectorXd lambda = eigen.eigenvalues().reverse();
  Eigen::MatrixXd vectors = eigen.eigenvectors().rowwise().reverse();
  singular_values_.resize(static_cast<std::size_t>(n));
  for (Eigen::Index k = 0; k < n; ++k)
    singular_values_[static_cast<std::size_t>(k)] = std::sqrt(std::max(lambda(k), 0.0));
  const double total = lambda.cwiseMax(0.0).sum();
  // Modes below the Gram matrix's round-off carry no information.
  const double floor = 1e-14 * std::max(lambda(0), 0.0);
  int size = 0;
  double tail = total;
  while (size < options.max_terms && size < n && lambda(size) > floor &&
         !(tail <= options.tolerance * options.tolerance * total)) {
    tail -= std::max(lambda(size), 0.0);
    ++size;
  }
  KOLMO_CHECK(size >= 1, "DEIM: the snapshots are all zero");
  Eigen::MatrixXd u = s * vectors.leftCols(size);
  for (int k = 0; k < size; ++k) u.col(k) /= singular_values_[static_cast<std::size_t>(k)];
  // One more pass against the loss of orthogonality of the method of snapshots:
  // U <- U R^-1 with U^T U = R^T R.
  const Eigen::MatrixXd overlap = allreduce_sum(comm, Eigen::MatrixXd(u.transpose() * u));
  const Eigen::LLT<Eigen::MatrixXd> cholesky(overlap);
  KOLMO_CHECK(cholesky.info() == Eigen::Success, "DEIM: the POD basis is numerically dependent");
  basis_ = cholesky.matrixU().solve<Eigen::OnTheRight>(u);

  std::vector<std::int64_t> ids(static_cast<std::size_t>(local_size_));
  for (PetscInt i = 0; i < local_size_; ++i) ids[static_cast<std::size_t>(i)] = lo + i;
  operators::EimOptions eim;
  eim.selection = operators::EimSelection::in_order;
  eim.max_terms = size;
  interpolation_ = operators::EmpiricalInterpolation::build(comm, basis_, ids, {}, eim);
  KOLMO_CHECK(interpolation_.size() == size,
              "DEIM: only " << interpolation_.size() << " of " << size
                            << " indices could be selected (dependent modes)");
  for (const auto& p : interpolation_.points()) indices_.push_back(static_cast<PetscInt>(p.id));
  point_matrix_ = interpolation_.point_values();
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(point_matrix_);
  constant_ = 1.0 / svd.singularValues().minCoeff();
}

Eigen::VectorXd Deim::gather(Vec f) const {
  const auto& points = interpolation_.points();
  Eigen::VectorXd local = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(points.size()));
  const PetscScalar* a = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(f, &a));
  for (std::size_t k = 0; k < points.size(); ++k)
    if (points[k].local >= 0) local(static_cast<Eigen::Index>(k)) = a[points[k].local];
  KOLMO_PETSC_CALL(VecRestoreArrayRead(f, &a));
  return allreduce_sum(comm(), local);
}

Eigen::VectorXd Deim::coefficients(std::span<const double> entries) const {
  KOLMO_CHECK(entries.size() == indices_.size(),
              "DEIM: expected " << indices_.size() << " entries, got " << entries.size());
  return point_matrix_.partialPivLu().solve(
      Eigen::Map<const Eigen::VectorXd>(entries.data(), static_cast<Eigen::Index>(entries.size())));
}

void Deim::reconstruct(const Eigen::VectorXd& c, Vec out) const {
  KOLMO_CHECK(c.size() == size(), "DEIM: " << c.size() << " coefficients for " << size() << " modes");
  PetscScalar* a = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(out, &a));
  Eigen::Map<Eigen::VectorXd>(a, local_size_).noalias() = basis_ * c;
  KOLMO_PETSC_CALL(VecRestoreArray(out, &a));
}

void Deim::approximate(Vec f, Vec out) const {
  const Eigen::VectorXd entries = gather(f);
  reconstruct(coefficients(std::span<const double>(entries.data(), static_cast<std::size_t>(entries.size()))),
              out);
}

double Deim::projection_error(Vec f) const {
  const PetscScalar* a = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(f, &a));
  const Eigen::Map<const Eigen::VectorXd> local(a, local_size_);
  const Eigen::MatrixXd c = allreduce_sum(comm(), Eigen::MatrixXd(basis_.transpose() * local));
  Eigen::MatrixXd squared(1, 1);
  squared(0, 0) = (local - basis_ * c).squaredNorm();
  KOLMO_PETSC_CALL(VecRestoreArrayRead(f, &a));
  return std::sqrt(allreduce_sum(comm(), squared)(0, 0));
}

operators::AffineVector Deim::affine_vector(Vec like, EntryFunction entries,
                                            const std::string& description) const {
  KOLMO_CHECK(entries, "DEIM: no entry function");
  operators::AffineVector vector(comm());
  // One shared solver for all coefficients: each term picks its component.
  const auto matrix = std::make_shared<const Eigen::MatrixXd>(point_matrix_);
  const auto function = std::make_shared<const EntryFunction>(std::move(entries));
  const std::size_t count = indices_.size();
  for (int n = 0; n < size(); ++n) {
    VecHandle mode;
    KOLMO_PETSC_CALL(VecDuplicate(like, mode.out()));
    reconstruct(Eigen::VectorXd::Unit(size(), n), mode);
    std::ostringstream text;
    text << "deim_" << n << " (" << description << ")";
    operators::Coefficient c(
        [matrix, function, count, n](const Mu& mu) {
          const Eigen::VectorXd e = (*function)(mu);
          KOLMO_CHECK(static_cast<std::size_t>(e.size()) == count,
                      "DEIM: the entry function returned " << e.size() << " entries, expected " << count);
          return matrix->partialPivLu().solve(e)(n);
        },
        text.str());
    std::ostringstream name;
    name << "deim_" << n;
    vector.add_term(std::move(mode), std::move(c), name.str());
  }
  return vector;
}

}  // namespace kolmo::rom

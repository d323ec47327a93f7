// Recycled (deflated) preconditioned CG as a PETSc KSP implementation, written the way PETSc's own
// KSP types are (ops table, data in ksp->data, PetscCall inside the ops).
//
// The next deflation space is built during the solve by a thick-restarted Rayleigh-Ritz procedure
// for P^-1 A, which is self-adjoint in the A inner product: on S = [Wc, p_i..p_{i+l-1}] (the
// current candidate space, initially W, and the latest block of search directions),
//   (S^T A P^-1 A S) y = theta (S^T A S) y,
// and Wc <- S Y (the k smallest Ritz pairs) each time the block is full and at the end of the
// solve. Everything in both matrices is known without inner products over the directions:
//   S^T A S is block diagonal: Wc^T A Wc (= I after a compression) and diag(p_j^T A p_j), since the
//     directions are A-orthogonal to W and to each other (so also to Wc, a combination of them);
//   P^-1 A p_j = (z_j - z_{j+1}) / alpha_j (the CG residual recurrence), so with
//     a_j = (A W)^T z_j (computed by the deflation anyway), (A W)^T P^-1 A p_j = (a_j - a_{j+1}) / alpha_j;
//   (A p_i)^T P^-1 (A p_j) is tridiagonal in rho_j = r_j^T z_j and alpha_j, because the residuals are
//     orthogonal in the P^-1 inner product; only p_{i-1} (kept inside Wc) couples to a new block;
// so Wc is tracked by its coefficients on W (Cw) and on the last direction it absorbed (cl). On the
// directions alone this is the Lanczos tridiagonal of CG. K = (A W)^T P^-1 (A W) is carried from
// one solve to the next (it is diag(theta) after an update) and recomputed when the operator
// changes.
#include "solvers/ksp_rcg.hpp"

#include <petsc/private/kspimpl.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "solvers/ksp_recycling_support.hpp"

namespace kolmo::solvers {
namespace {

using recycling::check_dot;
using recycling::check_norm;
using recycling::current_operator_key;
using recycling::destroy_vecs;
using recycling::diverged_on_nan;
using recycling::OperatorKey;

static_assert(std::is_same_v<PetscScalar, PetscReal>,
              "the rcg KSP is written for PETSc builds with real scalars");

using DenseMatrix = Eigen::Matrix<PetscReal, Eigen::Dynamic, Eigen::Dynamic>;
using DenseVector = Eigen::Matrix<PetscReal, Eigen::Dynamic, 1>;

constexpr PetscInt default_deflation_dimension = 10;
// Directions of W whose A-norm squared falls below this fraction of the largest are dependent on
// the others and are dropped when W is A-orthonormalised.
constexpr PetscReal dependence_tolerance = 1e-10;
// W^T A W is A-orthonormalised when its condition number exceeds this.
constexpr PetscReal max_condition = 1e8;

struct Rcg {
  PetscInt k = default_deflation_dimension;
  PetscInt l_option = PETSC_DECIDE;  // block of directions; PETSC_DECIDE means 2k
  bool recycle = true;
  PetscInt l() const { return l_option >= 0 ? l_option : 2 * k; }

  // Deflation space of the solve: W[0..kc), AW = A W, E = W^T A W, K = (A W)^T P^-1 (A W).
  Vec* W = nullptr;
  Vec* AW = nullptr;
  // Candidate for the next space, Wc[0..kcand) (W itself until the first compression), and a
  // spare array; both also serve as scratch when W is re-fitted.
  Vec* Wc = nullptr;
  Vec* Wc_next = nullptr;
  PetscInt allocated_k = 0;
  PetscInt kc = 0;
  DenseMatrix E, K;
  Eigen::LLT<DenseMatrix> E_factor;
  OperatorKey key;
  bool key_valid = false;
  PetscInt refits = 0;
  PetscInt updates = 0;

  bool candidate_is_w = true;
  PetscInt kcand = 0;
  DenseMatrix Hc, Gc;  // Wc^T A P^-1 A Wc, Wc^T A Wc
  DenseMatrix Cw;      // Wc = W Cw + (earlier directions); kc x kcand
  DenseVector cl;      // coefficients of Wc on the last direction absorbed
  PetscReal alpha_last = 0;  // alpha of that direction
  bool has_last = false;

  // The current block of search directions with the CG scalars: alpha_j, p_j^T A p_j for the np
  // directions, rho and a = (A W)^T z for the np + 1 residuals that bracket them.
  Vec* P = nullptr;
  PetscInt allocated_l = 0;
  PetscInt np = 0;
  std::vector<PetscReal> alpha, rho, delta;
  DenseMatrix a_hist;

  std::vector<Vec> targets;  // [R, Z, AW_0..AW_{kc-1}] for the fused reduction
  std::vector<Vec> span;     // [Wc, P] for a compression
  std::vector<PetscScalar> dots, mu;
};

Rcg* data_of(KSP ksp) { return static_cast<Rcg*>(ksp->data); }

PetscErrorCode free_space(Rcg* d) {
  PetscFunctionBegin;
  PetscCall(destroy_vecs(d->allocated_k, &d->W));
  PetscCall(destroy_vecs(d->allocated_k, &d->AW));
  PetscCall(destroy_vecs(d->allocated_k, &d->Wc));
  PetscCall(destroy_vecs(d->allocated_k, &d->Wc_next));
  d->allocated_k = 0;
  d->kc = 0;
  d->key_valid = false;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode free_directions(Rcg* d) {
  PetscFunctionBegin;
  PetscCall(destroy_vecs(d->allocated_l, &d->P));
  d->allocated_l = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSetUp_RCG(KSP ksp) {
  Rcg* d = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(ksp->pc_side == PC_LEFT, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)),
             PETSC_ERR_SUP, "rcg supports left preconditioning only (symmetric operator P^-1 A)");
  PetscCall(KSPSetWorkVecs(ksp, 4));
  if (d->allocated_k != d->k) {
    PetscCall(free_space(d));
    if (d->k > 0) {
      PetscCall(KSPCreateVecs(ksp, d->k, &d->W, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, d->k, &d->AW, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, d->k, &d->Wc, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, d->k, &d->Wc_next, 0, nullptr));
    }
    d->allocated_k = d->k;
  }
  const PetscInt l = d->k > 0 ? d->l() : 0;
  if (d->allocated_l != l) {
    PetscCall(free_directions(d));
    if (l > 0) {
      PetscCall(KSPCreateVecs(ksp, l, &d->P, 0, nullptr));
    }
    d->allocated_l = l;
  }
  PetscCall(kolmo::petsc_callback([&] {
    const Eigen::Index k = d->k;
    d->alpha.assign(l, 0.0);
    d->delta.assign(l, 0.0);
    d->rho.assign(l + 1, 0.0);
    d->a_hist = DenseMatrix::Zero(std::max<Eigen::Index>(k, 1), l + 1);
    d->targets.assign(k + 2, nullptr);
    d->span.assign(k + l, nullptr);
    d->dots.assign(k + 2, 0.0);
    d->mu.assign(std::max<Eigen::Index>(k, 1), 0.0);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// E = W^T A W from the stored A W (upper triangle, one reduction), symmetrised.
PetscErrorCode compute_gram(Rcg* d) {
  const PetscInt kc = d->kc;
  std::vector<PetscScalar> values;
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { values.assign(kc * kc, 0.0); }));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecMDotBegin(d->AW[i], i + 1, d->W, &values[i * kc]));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecMDotEnd(d->AW[i], i + 1, d->W, &values[i * kc]));
  PetscCall(kolmo::petsc_callback([&] {
    d->E = DenseMatrix::Zero(kc, kc);
    for (PetscInt i = 0; i < kc; ++i)
      for (PetscInt j = 0; j <= i; ++j) d->E(i, j) = d->E(j, i) = values[i * kc + j];
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Factor E; if it is ill-conditioned (or not positive definite in floating point), replace W by an
// A-orthonormal basis of its well-represented part: W <- W V L^-1/2, dropping tiny eigenvalues.
PetscErrorCode factor_gram(KSP ksp, Rcg* d) {
  const PetscInt kc = d->kc;
  bool transform = false;
  DenseMatrix T;
  PetscFunctionBegin;
  if (kc == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(kolmo::petsc_callback([&] {
    Eigen::SelfAdjointEigenSolver<DenseMatrix> eig(d->E);
    const DenseVector lambda = eig.eigenvalues();
    const PetscReal largest = lambda(kc - 1);
    if (!(largest > 0) || !std::isfinite(largest)) {
      T.resize(kc, 0);
      transform = true;
      return;
    }
    if (lambda(0) > largest / max_condition) {
      d->E_factor.compute(d->E);
      if (d->E_factor.info() == Eigen::Success) return;
    }
    std::vector<Eigen::Index> keep;
    for (Eigen::Index i = 0; i < kc; ++i)
      if (lambda(i) > dependence_tolerance * largest) keep.push_back(i);
    T.resize(kc, static_cast<Eigen::Index>(keep.size()));
    for (std::size_t c = 0; c < keep.size(); ++c)
      T.col(static_cast<Eigen::Index>(c)) = eig.eigenvectors().col(keep[c]) / std::sqrt(lambda(keep[c]));
    transform = true;
  }));
  if (!transform) PetscFunctionReturn(PETSC_SUCCESS);
  const PetscInt kept = static_cast<PetscInt>(T.cols());
  PetscCall(PetscInfo(ksp, "rcg: A-orthonormalising the deflation space, %" PetscInt_FMT " of %" PetscInt_FMT " vectors kept\n", kept, kc));
  // Wc and Wc_next are free whenever the space is factored (start and end of a solve).
  for (PetscInt i = 0; i < kept; ++i) {
    PetscCall(VecSet(d->Wc_next[i], 0.0));
    PetscCall(VecMAXPY(d->Wc_next[i], kc, T.col(i).data(), d->W));
    PetscCall(VecSet(d->Wc[i], 0.0));
    PetscCall(VecMAXPY(d->Wc[i], kc, T.col(i).data(), d->AW));
  }
  std::swap(d->W, d->Wc_next);
  std::swap(d->AW, d->Wc);
  d->kc = kept;
  PetscCall(kolmo::petsc_callback([&] {
    if (d->K.rows() == kc) d->K = T.transpose() * d->K * T;
    d->E = DenseMatrix::Identity(kept, kept);
    d->E_factor.compute(d->E);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// K = (A W)^T P^-1 (A W): kc preconditioner applications, one reduction.
PetscErrorCode compute_k(KSP ksp, Rcg* d) {
  const PetscInt kc = d->kc;
  std::vector<PetscScalar> values;
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { values.assign(kc * kc, 0.0); }));
  // P^-1 (A W_i) goes to Wc_next[i], free at this point.
  for (PetscInt i = 0; i < kc; ++i) PetscCall(KSP_PCApply(ksp, d->AW[i], d->Wc_next[i]));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecMDotBegin(d->Wc_next[i], kc, d->AW, &values[i * kc]));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecMDotEnd(d->Wc_next[i], kc, d->AW, &values[i * kc]));
  PetscCall(kolmo::petsc_callback([&] {
    d->K = DenseMatrix::Zero(kc, kc);
    for (PetscInt i = 0; i < kc; ++i)
      for (PetscInt j = 0; j < kc; ++j) d->K(j, i) = values[i * kc + j];
    d->K = 0.5 * (d->K + d->K.transpose()).eval();
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// The operator changed: keep W, recompute A W, W^T A W (A-orthonormalising if needed) and K.
PetscErrorCode refit_space(KSP ksp, Rcg* d) {
  Mat amat = nullptr;
  PetscFunctionBegin;
  PetscCall(PetscInfo(ksp, "rcg: operator changed, re-fitting %" PetscInt_FMT " deflation vectors\n", d->kc));
  PetscCall(PCGetOperators(ksp->pc, &amat, nullptr));
  for (PetscInt i = 0; i < d->kc; ++i) PetscCall(KSP_MatMult(ksp, amat, d->W[i], d->AW[i]));
  PetscCall(compute_gram(d));
  PetscCall(kolmo::petsc_callback([&] { d->K.resize(0, 0); }));
  PetscCall(factor_gram(ksp, d));
  PetscCall(compute_k(ksp, d));
  ++d->refits;
  PetscFunctionReturn(PETSC_SUCCESS);
}

// mu = E^-1 v for the first kc entries of `v`.
PetscErrorCode solve_gram(Rcg* d, const PetscScalar* v, PetscScalar* out) {
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] {
    const Eigen::Map<const DenseVector> rhs(v, d->kc);
    Eigen::Map<DenseVector>(out, d->kc) = d->E_factor.solve(rhs);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Start the candidate space of a solve: Wc = W.
void start_candidate(Rcg* d) {
  d->candidate_is_w = true;
  d->kcand = d->kc;
  d->Hc = d->kc > 0 ? d->K : DenseMatrix();
  d->Gc = d->kc > 0 ? d->E : DenseMatrix();
  d->Cw = DenseMatrix::Identity(d->kc, d->kc);
  d->cl = DenseVector::Zero(d->kc);
  d->has_last = false;
  d->np = 0;
}

// Compress [Wc, block] to the k Ritz vectors of smallest Ritz value (see the top of the file) and
// start an empty block whose first residual data are the last ones of this block.
PetscErrorCode compress(KSP ksp, Rcg* d) {
  const PetscInt kcand = d->kcand, np = d->np, n = kcand + np, kc = d->kc;
  DenseMatrix Y, H, G;
  bool ok = false;
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] {
    H = DenseMatrix::Zero(n, n);
    G = DenseMatrix::Zero(n, n);
    H.topLeftCorner(kcand, kcand) = d->Hc;
    G.topLeftCorner(kcand, kcand) = d->Gc;
    for (PetscInt j = 0; j < np; ++j) {
      G(kcand + j, kcand + j) = d->delta[j];
      DenseVector coupling = DenseVector::Zero(kcand);
      if (kc > 0) coupling = d->Cw.transpose() * ((d->a_hist.col(j) - d->a_hist.col(j + 1)).head(kc) / d->alpha[j]);
      if (j == 0 && d->has_last) coupling += d->cl * (-d->rho[0] / (d->alpha_last * d->alpha[0]));
      H.block(0, kcand + j, kcand, 1) = coupling;
      H.block(kcand + j, 0, 1, kcand) = coupling.transpose();
      H(kcand + j, kcand + j) = (d->rho[j] + d->rho[j + 1]) / (d->alpha[j] * d->alpha[j]);
      if (j + 1 < np) {
        const PetscReal v = -d->rho[j + 1] / (d->alpha[j] * d->alpha[j + 1]);
        H(kcand + j, kcand + j + 1) = H(kcand + j + 1, kcand + j) = v;
      }
    }
    Eigen::GeneralizedSelfAdjointEigenSolver<DenseMatrix> eig(H, G, Eigen::ComputeEigenvectors | Eigen::Ax_lBx);
    if (eig.info() != Eigen::Success) return;
    Y = eig.eigenvectors().leftCols(std::min<Eigen::Index>(d->k, n));
    ok = Y.allFinite();
  }));
  if (!ok) {
    // Keep the candidate and drop the block (and the coupling to it): the space stays valid, it
    // just learns less.
    PetscCall(PetscInfo(ksp, "rcg: Rayleigh-Ritz step failed; block of %" PetscInt_FMT " directions dropped\n", np));
    d->has_last = false;
  } else {
    const PetscInt r = static_cast<PetscInt>(Y.cols());
    Vec* source = d->candidate_is_w ? d->W : d->Wc;
    for (PetscInt i = 0; i < kcand; ++i) d->span[i] = source[i];
    for (PetscInt j = 0; j < np; ++j) d->span[kcand + j] = d->P[j];
    for (PetscInt i = 0; i < r; ++i) {
      PetscCall(VecSet(d->Wc_next[i], 0.0));
      PetscCall(VecMAXPY(d->Wc_next[i], n, Y.col(i).data(), d->span.data()));
    }
    std::swap(d->Wc, d->Wc_next);
    PetscCall(kolmo::petsc_callback([&] {
      d->Hc = Y.transpose() * H * Y;
      d->Hc = 0.5 * (d->Hc + d->Hc.transpose()).eval();
      d->Gc = Y.transpose() * G * Y;
      d->Gc = 0.5 * (d->Gc + d->Gc.transpose()).eval();
      d->Cw = (d->Cw * Y.topRows(kcand)).eval();
      d->cl = Y.row(n - 1).transpose();
    }));
    d->kcand = r;
    d->candidate_is_w = false;
    d->has_last = true;
    d->alpha_last = d->alpha[np - 1];
  }
  d->rho[0] = d->rho[np];
  d->a_hist.col(0) = d->a_hist.col(np);
  d->np = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

// End of a solve: the candidate becomes the deflation space of the next solve, with A W recomputed
// (kc matrix products) and W^T A W measured rather than trusted (conjugacy is lost slowly).
PetscErrorCode finish_candidate(KSP ksp, Rcg* d) {
  Mat amat = nullptr;
  PetscFunctionBegin;
  if (d->np > 0) PetscCall(compress(ksp, d));
  if (d->candidate_is_w) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PCGetOperators(ksp->pc, &amat, nullptr));
  std::swap(d->W, d->Wc);
  d->kc = d->kcand;
  for (PetscInt i = 0; i < d->kc; ++i) PetscCall(KSP_MatMult(ksp, amat, d->W[i], d->AW[i]));
  PetscCall(kolmo::petsc_callback([&] { d->K = d->Hc; }));
  PetscCall(compute_gram(d));
  PetscCall(factor_gram(ksp, d));
  ++d->updates;
  PetscCall(PetscInfo(ksp, "rcg: deflation space of %" PetscInt_FMT " Ritz vectors for the next solve\n", d->kc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// rho = r^T z, zz = z^T z and a = (A W)^T z in one reduction; also ||r|| when that is the norm.
PetscErrorCode fused_products(KSP ksp, Rcg* d, Vec R, Vec Z, PetscScalar* rho, PetscReal* norm) {
  const PetscInt nt = 2 + d->kc;
  PetscReal rnorm = 0;
  PetscFunctionBegin;
  d->targets[0] = R;
  d->targets[1] = Z;
  for (PetscInt i = 0; i < d->kc; ++i) d->targets[2 + i] = d->AW[i];
  PetscCall(VecMDotBegin(Z, nt, d->targets.data(), d->dots.data()));
  if (ksp->normtype == KSP_NORM_UNPRECONDITIONED) PetscCall(VecNormBegin(R, NORM_2, &rnorm));
  PetscCall(VecMDotEnd(Z, nt, d->targets.data(), d->dots.data()));
  if (ksp->normtype == KSP_NORM_UNPRECONDITIONED) PetscCall(VecNormEnd(R, NORM_2, &rnorm));
  *rho = d->dots[0];
  switch (ksp->normtype) {
    case KSP_NORM_PRECONDITIONED:
      *norm = std::sqrt(std::abs(d->dots[1]));
      break;
    case KSP_NORM_UNPRECONDITIONED:
      *norm = rnorm;
      break;
    case KSP_NORM_NATURAL:
      *norm = std::sqrt(std::abs(*rho));
      break;
    default:
      *norm = 0.0;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSolve_RCG(KSP ksp) {
  Rcg* d = data_of(ksp);
  Vec X = ksp->vec_sol, Bv = ksp->vec_rhs;
  Vec R = ksp->work[0], Z = ksp->work[1], Pd = ksp->work[2], Q = ksp->work[3];
  Mat amat = nullptr;
  OperatorKey now;
  PetscScalar rho = 0, rho_new = 0, pq = 0;
  PetscReal dp = 0;
  const PetscInt l = d->allocated_l;
  const bool learn = d->recycle && d->k > 0 && l > 0;
  PetscFunctionBegin;
  PetscCall(PCGetOperators(ksp->pc, &amat, nullptr));
  PetscCall(PetscObjectSAWsTakeAccess(reinterpret_cast<PetscObject>(ksp)));
  ksp->its = 0;
  ksp->rnorm = 0;
  PetscCall(PetscObjectSAWsGrantAccess(reinterpret_cast<PetscObject>(ksp)));
  ksp->reason = KSP_CONVERGED_ITERATING;

  PetscCall(current_operator_key(ksp, &now));
  if (!d->recycle) d->kc = 0;
  if (d->kc > 0 && (!d->key_valid || !(now == d->key))) PetscCall(refit_space(ksp, d));
  d->key = now;
  d->key_valid = true;
  if (learn) PetscCall(kolmo::petsc_callback([&] { start_candidate(d); }));

  if (!ksp->guess_zero) {
    PetscCall(KSP_MatMult(ksp, amat, X, R));
    PetscCall(VecAYPX(R, -1.0, Bv));
  } else {
    PetscCall(VecCopy(Bv, R));
  }
  if (d->kc > 0) {
    // Deflated initial guess: x += W E^-1 W^T r, r -= A W E^-1 W^T r.
    PetscCall(VecMDot(R, d->kc, d->W, d->dots.data()));
    for (PetscInt i = 0; i < d->kc; ++i) {
      if (PetscIsInfOrNanScalar(d->dots[i])) {
        PetscCall(check_dot(ksp, d->dots[i]));
        PetscFunctionReturn(PETSC_SUCCESS);
      }
    }
    PetscCall(solve_gram(d, d->dots.data(), d->mu.data()));
    PetscCall(VecMAXPY(X, d->kc, d->mu.data(), d->W));
    for (PetscInt i = 0; i < d->kc; ++i) d->mu[i] = -d->mu[i];
    PetscCall(VecMAXPY(R, d->kc, d->mu.data(), d->AW));
  }
  PetscCall(KSP_PCApply(ksp, R, Z));
  PetscCall(fused_products(ksp, d, R, Z, &rho, &dp));
  PetscCall(check_dot(ksp, rho));
  if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(check_norm(ksp, dp));
  if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);
  ksp->rnorm = dp;
  PetscCall(KSPLogResidualHistory(ksp, dp));
  PetscCall(KSPMonitor(ksp, 0, dp));
  PetscCall((*ksp->converged)(ksp, 0, dp, &ksp->reason, ksp->cnvP));
  if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);
  if (rho < 0) {
    ksp->reason = KSP_DIVERGED_INDEFINITE_PC;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (learn) {
    d->rho[0] = rho;
    for (PetscInt i = 0; i < d->kc; ++i) d->a_hist(i, 0) = d->dots[2 + i];
  }
  // p_0 = z_0 - W E^-1 (A W)^T z_0
  PetscCall(VecCopy(Z, Pd));
  if (d->kc > 0) {
    PetscCall(solve_gram(d, d->dots.data() + 2, d->mu.data()));
    for (PetscInt i = 0; i < d->kc; ++i) d->mu[i] = -d->mu[i];
    PetscCall(VecMAXPY(Pd, d->kc, d->mu.data(), d->W));
  }

  for (PetscInt i = 0;; ++i) {
    PetscCall(KSP_MatMult(ksp, amat, Pd, Q));
    PetscCall(VecDot(Q, Pd, &pq));
    PetscCall(check_dot(ksp, pq));
    if (ksp->reason) break;
    if (!(pq > 0)) {
      PetscCall(PetscInfo(ksp, "rcg: p^T A p = %g at iteration %" PetscInt_FMT "; the matrix is not positive definite\n", (double)pq, i));
      ksp->reason = KSP_DIVERGED_INDEFINITE_MAT;
      break;
    }
    const PetscScalar a = rho / pq;
    if (learn) {
      if (d->np == l) PetscCall(compress(ksp, d));
      PetscCall(VecCopy(Pd, d->P[d->np]));
      d->alpha[d->np] = a;
      d->delta[d->np] = pq;
    }
    PetscCall(VecAXPY(X, a, Pd));
    PetscCall(VecAXPY(R, -a, Q));
    PetscCall(KSP_PCApply(ksp, R, Z));
    PetscCall(fused_products(ksp, d, R, Z, &rho_new, &dp));
    PetscCall(check_dot(ksp, rho_new));
    if (ksp->reason) break;
    PetscCall(check_norm(ksp, dp));
    if (ksp->reason) break;
    if (learn) {
      d->rho[d->np + 1] = rho_new;
      for (PetscInt j = 0; j < d->kc; ++j) d->a_hist(j, d->np + 1) = d->dots[2 + j];
      ++d->np;
    }
    PetscCall(PetscObjectSAWsTakeAccess(reinterpret_cast<PetscObject>(ksp)));
    ksp->its = i + 1;
    ksp->rnorm = dp;
    PetscCall(PetscObjectSAWsGrantAccess(reinterpret_cast<PetscObject>(ksp)));
    PetscCall(KSPLogResidualHistory(ksp, dp));
    PetscCall(KSPMonitor(ksp, i + 1, dp));
    PetscCall((*ksp->converged)(ksp, i + 1, dp, &ksp->reason, ksp->cnvP));
    if (ksp->reason) break;
    if (i + 1 >= ksp->max_it) {
      ksp->reason = KSP_DIVERGED_ITS;
      break;
    }
    if (rho_new < 0) {
      ksp->reason = KSP_DIVERGED_INDEFINITE_PC;
      break;
    }
    const PetscScalar b = rho_new / rho;
    rho = rho_new;
    // p = z + b p - W E^-1 (A W)^T z
    PetscCall(VecAYPX(Pd, b, Z));
    if (d->kc > 0) {
      PetscCall(solve_gram(d, d->dots.data() + 2, d->mu.data()));
      for (PetscInt j = 0; j < d->kc; ++j) d->mu[j] = -d->mu[j];
      PetscCall(VecMAXPY(Pd, d->kc, d->mu.data(), d->W));
    }
  }

  const bool usable = !diverged_on_nan(ksp) && ksp->reason != KSP_DIVERGED_INDEFINITE_MAT &&
                      ksp->reason != KSP_DIVERGED_INDEFINITE_PC;
  if (learn && usable) PetscCall(finish_candidate(ksp, d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPReset_RCG(KSP ksp) {
  Rcg* d = data_of(ksp);
  PetscFunctionBegin;
  PetscCall(free_space(d));
  PetscCall(free_directions(d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDestroy_RCG(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(KSPReset_RCG(ksp));
  delete data_of(ksp);
  ksp->data = nullptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_deflation_dimension(KSP ksp, PetscInt k) {
  Rcg* d = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(k >= 0, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_ARG_OUTOFRANGE,
             "rcg: the deflation dimension k must not be negative, got %" PetscInt_FMT, k);
  if (k != d->k) {
    d->k = k;
    PetscCall(free_space(d));
    ksp->setupstage = KSP_SETUP_NEW;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_stored_directions(KSP ksp, PetscInt l) {
  Rcg* d = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(l >= 0 || l == PETSC_DECIDE || l == PETSC_DEFAULT, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)),
             PETSC_ERR_ARG_OUTOFRANGE, "rcg: the block length l must not be negative, got %" PetscInt_FMT, l);
  if (l < 0) l = PETSC_DECIDE;
  if (l != d->l_option) {
    d->l_option = l;
    ksp->setupstage = KSP_SETUP_NEW;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSetFromOptions_RCG(KSP ksp, PetscOptionItems* PetscOptionsObject) {
  Rcg* d = data_of(ksp);
  PetscInt k = d->k, l = d->l();
  PetscBool recycle = d->recycle ? PETSC_TRUE : PETSC_FALSE, set = PETSC_FALSE;
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "KSP recycled CG options");
  PetscCall(PetscOptionsBoundedInt("-ksp_rcg_k", "Deflation dimension (Ritz vectors kept)",
                                   "kolmo::solvers::rcg_set_deflation_dimension", k, &k, &set, 0));
  if (set) PetscCall(set_deflation_dimension(ksp, k));
  l = d->l();
  PetscCall(PetscOptionsBoundedInt("-ksp_rcg_l", "Block length: search directions kept between two compressions of the next deflation space",
                                   "kolmo::solvers::rcg_set_stored_directions", d->l(), &l, &set, 0));
  if (set) PetscCall(set_stored_directions(ksp, l));
  PetscCall(PetscOptionsBool("-ksp_rcg_recycle", "Keep the deflation space from one KSPSolve to the next",
                             "kolmo::solvers::rcg_set_recycle", recycle, &recycle, &set));
  if (set) d->recycle = recycle;
  PetscOptionsHeadEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPView_RCG(KSP ksp, PetscViewer viewer) {
  Rcg* d = data_of(ksp);
  PetscBool ascii = PETSC_FALSE;
  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  if (ascii) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  recycled CG: deflation dimension k=%" PetscInt_FMT ", block length l=%" PetscInt_FMT "\n", d->k, d->l()));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  deflation space: %" PetscInt_FMT " vectors, %s; %" PetscInt_FMT " updates, %" PetscInt_FMT " re-fits to a changed operator\n",
                                     d->kc, d->recycle ? "kept across solves" : "discarded at each solve", d->updates, d->refits));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

bool is_rcg(KSP ksp) { return recycling::is_type(ksp, ksp_type_rcg); }

Rcg* checked_data(KSP ksp) {
  recycling::require_type(ksp, ksp_type_rcg);
  return data_of(ksp);
}

}  // namespace

PetscErrorCode ksp_create_rcg(KSP ksp) {
  Rcg* d = nullptr;
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { d = new Rcg(); }));
  ksp->data = d;
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_PRECONDITIONED, PC_LEFT, 3));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_UNPRECONDITIONED, PC_LEFT, 2));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NATURAL, PC_LEFT, 2));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NONE, PC_LEFT, 1));
  ksp->ops->setup = KSPSetUp_RCG;
  ksp->ops->solve = KSPSolve_RCG;
  ksp->ops->reset = KSPReset_RCG;
  ksp->ops->destroy = KSPDestroy_RCG;
  ksp->ops->view = KSPView_RCG;
  ksp->ops->setfromoptions = KSPSetFromOptions_RCG;
  ksp->ops->buildsolution = KSPBuildSolutionDefault;
  ksp->ops->buildresidual = KSPBuildResidualDefault;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void rcg_set_deflation_dimension(KSP ksp, PetscInt k) {
  if (is_rcg(ksp)) KOLMO_PETSC_CALL(set_deflation_dimension(ksp, k));
}

PetscInt rcg_deflation_dimension(KSP ksp) { return checked_data(ksp)->k; }

void rcg_set_stored_directions(KSP ksp, PetscInt l) {
  if (is_rcg(ksp)) KOLMO_PETSC_CALL(set_stored_directions(ksp, l));
}

PetscInt rcg_stored_directions(KSP ksp) { return checked_data(ksp)->l(); }

void rcg_set_recycle(KSP ksp, bool keep) {
  if (is_rcg(ksp)) data_of(ksp)->recycle = keep;
}

bool rcg_recycle(KSP ksp) { return checked_data(ksp)->recycle; }

PetscInt rcg_deflation_space_size(KSP ksp) { return checked_data(ksp)->kc; }

RcgStats rcg_stats(KSP ksp) {
  const Rcg* d = checked_data(ksp);
  RcgStats stats;
  stats.deflation_space_size = d->kc;
  stats.refits = d->refits;
  stats.updates = d->updates;
  return stats;
}

void rcg_clear_deflation_space(KSP ksp) {
  if (!is_rcg(ksp)) return;
  Rcg* d = data_of(ksp);
  d->kc = 0;
  d->key_valid = false;
}

}  // namespace kolmo::solvers

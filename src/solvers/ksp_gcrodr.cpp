// GCRO-DR as a PETSc KSP implementation, written the way PETSc's own KSP types are (ops table, data
// in ksp->data, PetscCall inside the ops). Vector work goes through PETSc Vecs, so the method runs
// on any communicator; the small dense problems (Hessenberg least squares, harmonic Ritz pairs, QR)
// are replicated on every rank with Eigen and, given identical reduced data, decide identically.
//
// Notation (Parks et al. 2006): M is the preconditioned operator, U the recycle space with
// C = M U, C^T C = I. A cycle with kc recycle vectors runs j <= m - kc Arnoldi steps on
// (I - C C^T) M, giving (I - C C^T) M V_j = V_{j+1} Hbar and B = C^T M V_j, so that
//   M [U D, V_j] = [C, V_{j+1}] Gbar,   Gbar = [D B; 0 Hbar],   D = diag(1/||u_i||).
// The residual is orthogonal to C at the start of each cycle, so the cycle's least-squares problem
// reduces to GMRES on Hbar (tracked with Givens rotations) plus y_U = -B y.
#include "solvers/ksp_gcrodr.hpp"

#include <petsc/private/kspimpl.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "solvers/ksp_recycling_support.hpp"

namespace kolmo::solvers {
namespace {

using recycling::check_norm;
using recycling::current_operator_key;
using recycling::destroy_vecs;
using recycling::diverged_on_nan;
using recycling::OperatorKey;

static_assert(std::is_same_v<PetscScalar, PetscReal>,
              "the gcrodr KSP is written for PETSc builds with real scalars");

using DenseMatrix = Eigen::Matrix<PetscReal, Eigen::Dynamic, Eigen::Dynamic>;
using DenseVector = Eigen::Matrix<PetscReal, Eigen::Dynamic, 1>;

constexpr PetscInt default_cycle_length = 30;
constexpr PetscInt default_recycle_dimension = 10;
// A recycle vector whose image under M keeps less than this fraction of its norm after
// orthogonalisation against the others is linearly dependent on them and is dropped; the same
// relative threshold decides the rank of the QR that builds the new space.
constexpr PetscReal dependence_tolerance = 1e-10;
// PETSc's GMRES default happy-breakdown tolerance.
constexpr PetscReal happy_breakdown_tolerance = 1e-30;

struct Gcrodr {
  PetscInt m = default_cycle_length;
  PetscInt k = default_recycle_dimension;
  bool recycle = true;

  // Recycle space: U[0..kc), C[0..kc). U_next/C_next receive the next space (then the arrays are
  // swapped). Each array holds allocated_k vectors.
  Vec* U = nullptr;
  Vec* C = nullptr;
  Vec* U_next = nullptr;
  Vec* C_next = nullptr;
  PetscInt allocated_k = 0;
  PetscInt kc = 0;
  OperatorKey key;
  bool key_valid = false;
  PetscInt refits = 0;
  PetscInt cycles = 0;

  // Arnoldi vectors V[0..m] and single work vectors: the cycle's correction (in the preconditioned
  // variable for right preconditioning), two temporaries for operator applications, three for
  // KSPBuildSolution while a cycle is in progress.
  Vec* V = nullptr;
  PetscInt allocated_m = 0;
  Vec* work = nullptr;
  static constexpr PetscInt work_count = 6;
  Vec correction() const { return work[0]; }
  Vec temp1() const { return work[1]; }
  Vec temp2() const { return work[2]; }
  Vec build_solution() const { return work[3]; }
  Vec build_temp() const { return work[4]; }
  Vec build_work() const { return work[5]; }

  std::vector<Vec> basis;  // [C_0..C_{kc-1}, V_0..V_j]: W in the notation above
  std::vector<Vec> span;   // [U_0..U_{kc-1}, V_0..V_{j-1}]: What (before the D scaling)
  DenseMatrix H;           // Hessenberg of the current cycle, (m+1) x m
  DenseMatrix Hr;          // the same after the Givens rotations (upper triangular part)
  DenseMatrix B;           // C^T M V, k x m
  DenseVector grs, cs, sn;
  std::vector<PetscScalar> dots, coeffs, unorm, udots;
  PetscInt it = -1;  // Arnoldi steps done in the cycle in progress; -1 outside a cycle
};

Gcrodr* data_of(KSP ksp) { return static_cast<Gcrodr*>(ksp->data); }

PetscErrorCode free_work(Gcrodr* g) {
  PetscFunctionBegin;
  PetscCall(destroy_vecs(g->allocated_m + 1, &g->V));
  PetscCall(destroy_vecs(Gcrodr::work_count, &g->work));
  g->allocated_m = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode free_space(Gcrodr* g) {
  PetscFunctionBegin;
  PetscCall(destroy_vecs(g->allocated_k, &g->U));
  PetscCall(destroy_vecs(g->allocated_k, &g->C));
  PetscCall(destroy_vecs(g->allocated_k, &g->U_next));
  PetscCall(destroy_vecs(g->allocated_k, &g->C_next));
  g->allocated_k = 0;
  g->kc = 0;
  g->key_valid = false;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void set_rnorm(KSP ksp, PetscReal res) {
  ksp->rnorm = ksp->normtype == KSP_NORM_NONE ? 0.0 : res;
}

// M x for the chosen side (A P^-1 x or P^-1 A x).
PetscErrorCode apply_operator(KSP ksp, Gcrodr* g, Vec x, Vec y) {
  PetscFunctionBegin;
  PetscCall(KSP_PCApplyBAorAB(ksp, x, y, g->temp2()));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSetUp_GCRODR(KSP ksp) {
  Gcrodr* g = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(g->k < g->m, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)),
             PETSC_ERR_ARG_OUTOFRANGE,
             "gcrodr: the recycle dimension k=%" PetscInt_FMT
             " must be smaller than the cycle length m=%" PetscInt_FMT
             " (set -ksp_gcrodr_k or -ksp_gcrodr_m)",
             g->k, g->m);
  if (g->allocated_m != g->m || !g->work) {
    PetscCall(free_work(g));
    PetscCall(KSPCreateVecs(ksp, g->m + 1, &g->V, 0, nullptr));
    PetscCall(KSPCreateVecs(ksp, Gcrodr::work_count, &g->work, 0, nullptr));
    g->allocated_m = g->m;
  }
  if (g->allocated_k != g->k) {
    PetscCall(free_space(g));
    if (g->k > 0) {
      PetscCall(KSPCreateVecs(ksp, g->k, &g->U, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, g->k, &g->C, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, g->k, &g->U_next, 0, nullptr));
      PetscCall(KSPCreateVecs(ksp, g->k, &g->C_next, 0, nullptr));
    }
    g->allocated_k = g->k;
  }
  PetscCall(kolmo::petsc_callback([&] {
    const Eigen::Index m = g->m, k = g->k;
    g->basis.assign(k + m + 1, nullptr);
    g->span.assign(k + m, nullptr);
    g->H = DenseMatrix::Zero(m + 1, m);
    g->Hr = DenseMatrix::Zero(m + 1, m);
    g->B = DenseMatrix::Zero(std::max<Eigen::Index>(k, 1), m);
    g->grs = DenseVector::Zero(m + 1);
    g->cs = DenseVector::Zero(m);
    g->sn = DenseVector::Zero(m);
    g->dots.assign(k + m + 1, 0.0);
    g->coeffs.assign(k + m + 1, 0.0);
    g->unorm.assign(std::max<Eigen::Index>(k, 1), 0.0);
    g->udots.assign(std::max<Eigen::Index>(k, 1) * (m + 1), 0.0);
  }));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// Re-fit the recycle space to the current operator: C = M U, C = Q R (modified Gram-Schmidt with
// one re-orthogonalisation, dropping dependent columns), C <- Q, U <- U R^-1.
PetscErrorCode refit_space(KSP ksp, Gcrodr* g) {
  const PetscInt kc = g->kc;
  PetscInt kept = 0;
  PetscFunctionBegin;
  PetscCall(PetscInfo(ksp, "gcrodr: operator changed, re-fitting %" PetscInt_FMT " recycle vectors\n", kc));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(apply_operator(ksp, g, g->U[i], g->C[i]));
  DenseMatrix R;
  PetscCall(kolmo::petsc_callback([&] { R = DenseMatrix::Zero(kc, kc); }));
  for (PetscInt j = 0; j < kc; ++j) {
    PetscReal original = 0, remaining = 0;
    PetscCall(VecNorm(g->C[j], NORM_2, &original));
    PetscCall(check_norm(ksp, original));
    if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);
    std::fill(g->coeffs.begin(), g->coeffs.begin() + kc, 0.0);
    for (int pass = 0; pass < 2 && kept > 0; ++pass) {
      PetscCall(VecMDot(g->C[j], kept, g->C, g->dots.data()));
      for (PetscInt i = 0; i < kept; ++i) {
        g->coeffs[i] += g->dots[i];
        g->dots[i] = -g->dots[i];
      }
      PetscCall(VecMAXPY(g->C[j], kept, g->dots.data(), g->C));
    }
    PetscCall(VecNorm(g->C[j], NORM_2, &remaining));
    if (!(remaining > dependence_tolerance * original)) continue;
    PetscCall(VecScale(g->C[j], 1.0 / remaining));
    g->coeffs[kept] = remaining;
    std::swap(g->C[kept], g->C[j]);
    std::swap(g->U[kept], g->U[j]);
    for (PetscInt i = 0; i <= kept; ++i) R(i, kept) = g->coeffs[i];
    ++kept;
  }
  if (kept < kc)
    PetscCall(PetscInfo(ksp, "gcrodr: dropped %" PetscInt_FMT " dependent recycle vectors\n", kc - kept));
  DenseMatrix rinv;
  PetscCall(kolmo::petsc_callback([&] {
    rinv = R.topLeftCorner(kept, kept)
               .triangularView<Eigen::Upper>()
               .solve(DenseMatrix::Identity(kept, kept));
  }));
  for (PetscInt i = 0; i < kept; ++i) {
    PetscCall(VecSet(g->U_next[i], 0.0));
    PetscCall(VecMAXPY(g->U_next[i], i + 1, rinv.col(i).data(), g->U));
  }
  std::swap(g->U, g->U_next);
  g->kc = kept;
  ++g->refits;
  PetscFunctionReturn(PETSC_SUCCESS);
}

// out = correction + V y - U (B y), with y solving the rotated triangular system of the first
// `steps` columns of the cycle; then the preconditioner is unwound (right preconditioning).
PetscErrorCode form_cycle_update(KSP ksp, Gcrodr* g, PetscInt steps, Vec out, Vec work) {
  PetscFunctionBegin;
  PetscCall(VecCopy(g->correction(), out));
  if (steps > 0) {
    DenseVector y, yu;
    PetscCall(kolmo::petsc_callback([&] {
      y = g->Hr.topLeftCorner(steps, steps).triangularView<Eigen::Upper>().solve(g->grs.head(steps));
      if (g->kc > 0) yu = -(g->B.topLeftCorner(g->kc, steps) * y);
    }));
    PetscCall(VecMAXPY(out, steps, y.data(), g->V));
    if (g->kc > 0) PetscCall(VecMAXPY(out, g->kc, yu.data(), g->U));
  }
  PetscCall(KSPUnwindPreconditioner(ksp, out, work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

// One cycle: Arnoldi on (I - C C^T) M from V[0] (the residual, orthogonal to C), with the PETSc
// convergence test after each step, then the solution update. Returns the number of steps.
PetscErrorCode gcrodr_cycle(KSP ksp, Gcrodr* g, PetscInt* steps) {
  const PetscInt kc = g->kc;
  const PetscInt max_steps = g->m - kc;
  const PetscReal eps = std::numeric_limits<PetscReal>::epsilon();
  PetscReal beta = 0, res = 0;
  PetscInt it = 0;
  bool happy = false;

  PetscFunctionBegin;
  *steps = 0;
  PetscCall(VecNormalize(g->V[0], &beta));
  PetscCall(check_norm(ksp, beta));
  if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);
  res = beta;
  g->grs.setZero();
  g->grs(0) = beta;
  g->it = 0;
  set_rnorm(ksp, res);
  PetscCall(KSPLogResidualHistory(ksp, ksp->rnorm));
  PetscCall(KSPMonitor(ksp, ksp->its, ksp->rnorm));
  if (beta == 0.0) {
    ksp->reason = KSP_CONVERGED_ATOL;
    PetscCall(PetscInfo(ksp, "gcrodr: converged due to zero residual norm at the start of a cycle\n"));
  } else {
    PetscCall((*ksp->converged)(ksp, ksp->its, ksp->rnorm, &ksp->reason, ksp->cnvP));
  }

  for (PetscInt i = 0; i < kc; ++i) g->basis[i] = g->C[i];
  for (PetscInt i = 0; i <= max_steps; ++i) g->basis[kc + i] = g->V[i];

  while (!ksp->reason && it < max_steps && ksp->its < ksp->max_it) {
    if (it) {
      PetscCall(KSPLogResidualHistory(ksp, ksp->rnorm));
      PetscCall(KSPMonitor(ksp, ksp->its, ksp->rnorm));
    }
    Vec w = g->V[it + 1];
    PetscCall(apply_operator(ksp, g, g->V[it], w));

    // Classical Gram-Schmidt against [C, V_0..V_it], done twice (CGS2) for orthogonality.
    const PetscInt nb = kc + it + 1;
    std::fill(g->coeffs.begin(), g->coeffs.begin() + nb, 0.0);
    for (int pass = 0; pass < 2; ++pass) {
      PetscCall(VecMDot(w, nb, g->basis.data(), g->dots.data()));
      for (PetscInt i = 0; i < nb; ++i) {
        g->coeffs[i] += g->dots[i];
        g->dots[i] = -g->dots[i];
      }
      PetscCall(VecMAXPY(w, nb, g->dots.data(), g->basis.data()));
    }
    PetscReal hn = 0;
    PetscCall(VecNormalize(w, &hn));
    PetscCall(check_norm(ksp, hn));
    if (ksp->reason) break;

    PetscReal column_norm2 = hn * hn;
    for (PetscInt i = 0; i < nb; ++i) column_norm2 += g->coeffs[i] * g->coeffs[i];
    for (PetscInt i = 0; i < kc; ++i) g->B(i, it) = g->coeffs[i];
    for (PetscInt i = 0; i <= it; ++i) g->H(i, it) = g->coeffs[kc + i];
    g->H(it + 1, it) = hn;

    const PetscReal hapbnd = std::min(std::abs(hn / g->grs(it)), happy_breakdown_tolerance);
    if (hn < hapbnd) {
      PetscCall(PetscInfo(ksp, "gcrodr: happy breakdown, hapbnd = %g hn = %g\n", (double)hapbnd, (double)hn));
      happy = true;
    }

    // Apply the previous rotations to the new column, then the new rotation.
    for (PetscInt i = 0; i <= it + 1; ++i) g->Hr(i, it) = g->H(i, it);
    for (PetscInt i = 0; i < it; ++i) {
      const PetscReal top = g->Hr(i, it), bottom = g->Hr(i + 1, it);
      g->Hr(i, it) = g->cs(i) * top + g->sn(i) * bottom;
      g->Hr(i + 1, it) = -g->sn(i) * top + g->cs(i) * bottom;
    }
    const PetscReal diag = g->Hr(it, it);
    const PetscReal tt = std::hypot(diag, hn);
    if (!(tt > 10 * eps * std::sqrt(column_norm2))) {
      // M maps the new Krylov direction into the span of the previous ones and the projected
      // operator is singular there: the residual cannot decrease any further.
      PetscCall(PetscInfo(ksp, "gcrodr: singular projected operator at step %" PetscInt_FMT
                               " (the matrix or preconditioner is likely singular)\n", ksp->its));
      ksp->reason = KSP_DIVERGED_BREAKDOWN;
      break;
    }
    g->cs(it) = diag / tt;
    g->sn(it) = hn / tt;
    g->Hr(it, it) = tt;
    g->Hr(it + 1, it) = 0.0;
    g->grs(it + 1) = -g->sn(it) * g->grs(it);
    g->grs(it) = g->cs(it) * g->grs(it);
    res = std::abs(g->grs(it + 1));

    ++it;
    g->it = it;
    ++ksp->its;
    set_rnorm(ksp, res);
    PetscCall((*ksp->converged)(ksp, ksp->its, ksp->rnorm, &ksp->reason, ksp->cnvP));
    if (happy) {
      if (ksp->normtype == KSP_NORM_NONE) {
        ksp->reason = KSP_CONVERGED_HAPPY_BREAKDOWN;
      } else if (!ksp->reason) {
        PetscCall(PetscInfo(ksp, "gcrodr: happy breakdown without convergence, residual norm %g\n", (double)res));
        ksp->reason = KSP_DIVERGED_BREAKDOWN;
      }
      break;
    }
  }

  if (it && (ksp->reason || ksp->its >= ksp->max_it)) {
    PetscCall(KSPLogResidualHistory(ksp, ksp->rnorm));
    PetscCall(KSPMonitor(ksp, ksp->its, ksp->rnorm));
  }
  *steps = it;
  if (!diverged_on_nan(ksp)) {
    PetscCall(form_cycle_update(ksp, g, it, g->temp1(), g->temp2()));
    PetscCall(VecAXPY(ksp->vec_sol, 1.0, g->temp1()));
  }
  g->it = -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

struct SpaceUpdate {
  DenseMatrix c_coeffs;  // new C = W c_coeffs
  DenseMatrix u_coeffs;  // new U = [U D, V] u_coeffs
  PetscReal smallest = 0, largest = 0;  // magnitudes of the harmonic Ritz values kept
  bool ok = false;
};

// The dense part of the end-of-cycle update: harmonic Ritz vectors P_k of smallest magnitude from
// Gbar^T Gbar z = theta Gbar^T (W^T What) z, then Gbar P_k = Q R (rank-revealing), C = W Q,
// U = What P_k R^-1. Complex conjugate pairs enter as their real and imaginary parts; a pair that
// does not fit into k is left out.
SpaceUpdate harmonic_ritz_update(const DenseMatrix& gbar, const DenseMatrix& wtw, PetscInt k) {
  SpaceUpdate out;
  const Eigen::Index n = gbar.cols();
  DenseMatrix pk;
  if (n <= k) {
    pk = DenseMatrix::Identity(n, n);
  } else {
    const DenseMatrix lhs = gbar.transpose() * gbar;
    const DenseMatrix rhs = gbar.transpose() * wtw;
    Eigen::GeneralizedEigenSolver<DenseMatrix> solver(lhs, rhs, true);
    if (solver.info() != Eigen::Success) return out;
    const auto alphas = solver.alphas();
    const auto betas = solver.betas();
    const auto vectors = solver.eigenvectors();
    std::vector<PetscReal> magnitude(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const PetscReal b = std::abs(betas(i));
      magnitude[i] = b > 0 ? std::abs(alphas(i)) / b : std::numeric_limits<PetscReal>::infinity();
      if (!std::isfinite(magnitude[i])) magnitude[i] = std::numeric_limits<PetscReal>::infinity();
    }
    std::vector<Eigen::Index> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return magnitude[a] < magnitude[b]; });
    std::vector<bool> taken(n, false);
    std::vector<DenseVector> columns;
    out.smallest = magnitude[order[0]];
    for (Eigen::Index idx : order) {
      if (taken[idx]) continue;
      if (!std::isfinite(magnitude[idx]) || !vectors.col(idx).allFinite()) break;
      if (alphas(idx).imag() == 0) {
        if (static_cast<PetscInt>(columns.size()) + 1 > k) break;
        columns.push_back(vectors.col(idx).real());
        taken[idx] = true;
      } else {
        Eigen::Index partner = -1;
        if (idx + 1 < n && alphas(idx + 1) == std::conj(alphas(idx))) partner = idx + 1;
        if (idx > 0 && alphas(idx - 1) == std::conj(alphas(idx))) partner = idx - 1;
        if (static_cast<PetscInt>(columns.size()) + 2 > k) break;
        columns.push_back(vectors.col(idx).real());
        columns.push_back(vectors.col(idx).imag());
        taken[idx] = true;
        if (partner >= 0) taken[partner] = true;
      }
      out.largest = magnitude[idx];
    }
    pk.resize(n, static_cast<Eigen::Index>(columns.size()));
    for (std::size_t i = 0; i < columns.size(); ++i) pk.col(static_cast<Eigen::Index>(i)) = columns[i];
  }
  if (pk.cols() == 0) return out;
  const DenseMatrix gp = gbar * pk;
  Eigen::ColPivHouseholderQR<DenseMatrix> qr(gp.rows(), gp.cols());
  qr.setThreshold(dependence_tolerance);
  qr.compute(gp);
  const Eigen::Index rank = qr.rank();
  if (rank == 0) return out;
  out.c_coeffs = qr.householderQ() * DenseMatrix::Identity(gp.rows(), rank);
  const DenseMatrix r11 = qr.matrixR().topLeftCorner(rank, rank).triangularView<Eigen::Upper>();
  const DenseMatrix rinv =
      r11.triangularView<Eigen::Upper>().solve(DenseMatrix::Identity(rank, rank));
  const DenseMatrix permuted = pk * qr.colsPermutation();
  out.u_coeffs = permuted.leftCols(rank) * rinv;
  out.ok = true;
  return out;
}

// After a cycle of j steps: replace (U, C) by the harmonic Ritz space of span{U, V_j}.
PetscErrorCode update_space(KSP ksp, Gcrodr* g, PetscInt j) {
  const PetscInt kc = g->kc;
  const PetscInt n = kc + j;
  const PetscInt rows = kc + j + 1;
  const PetscInt stride = g->m + 1;
  SpaceUpdate update;
  PetscFunctionBegin;
  for (PetscInt i = 0; i < kc; ++i) g->span[i] = g->U[i];
  for (PetscInt i = 0; i < j; ++i) g->span[kc + i] = g->V[i];
  // ||u_i|| and W^T u_i in one reduction (split-phase).
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecNormBegin(g->U[i], NORM_2, &g->unorm[i]));
  for (PetscInt i = 0; i < kc; ++i)
    PetscCall(VecMDotBegin(g->U[i], rows, g->basis.data(), &g->udots[i * stride]));
  for (PetscInt i = 0; i < kc; ++i) PetscCall(VecNormEnd(g->U[i], NORM_2, &g->unorm[i]));
  for (PetscInt i = 0; i < kc; ++i)
    PetscCall(VecMDotEnd(g->U[i], rows, g->basis.data(), &g->udots[i * stride]));
  for (PetscInt i = 0; i < kc; ++i) {
    if (!(g->unorm[i] > 0) || !std::isfinite(g->unorm[i])) {
      PetscCall(PetscInfo(ksp, "gcrodr: recycle vector %" PetscInt_FMT " has norm %g; space not updated\n", i, (double)g->unorm[i]));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }

  PetscCall(kolmo::petsc_callback([&] {
    DenseMatrix gbar = DenseMatrix::Zero(rows, n);
    DenseMatrix wtw = DenseMatrix::Zero(rows, n);
    for (PetscInt i = 0; i < kc; ++i) {
      const PetscReal d = 1.0 / g->unorm[i];
      gbar(i, i) = d;
      for (PetscInt r = 0; r < rows; ++r) wtw(r, i) = d * g->udots[i * stride + r];
    }
    if (kc > 0) gbar.block(0, kc, kc, j) = g->B.topLeftCorner(kc, j);
    gbar.block(kc, kc, j + 1, j) = g->H.topLeftCorner(j + 1, j);
    for (PetscInt l = 0; l < j; ++l) wtw(kc + l, kc + l) = 1.0;
    update = harmonic_ritz_update(gbar, wtw, g->k);
    if (update.ok) {
      for (PetscInt l = 0; l < kc; ++l) update.u_coeffs.row(l) /= g->unorm[l];
    }
  }));
  if (!update.ok) {
    PetscCall(PetscInfo(ksp, "gcrodr: harmonic Ritz update failed; keeping the previous space\n"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  const PetscInt new_size = static_cast<PetscInt>(update.c_coeffs.cols());
  PetscCall(PetscInfo(ksp, "gcrodr: recycle space of %" PetscInt_FMT " vectors from %" PetscInt_FMT ", harmonic Ritz values %g .. %g\n",
                      new_size, n, (double)update.smallest, (double)update.largest));
  for (PetscInt i = 0; i < new_size; ++i) {
    PetscCall(VecSet(g->C_next[i], 0.0));
    PetscCall(VecMAXPY(g->C_next[i], rows, update.c_coeffs.col(i).data(), g->basis.data()));
    PetscCall(VecSet(g->U_next[i], 0.0));
    PetscCall(VecMAXPY(g->U_next[i], n, update.u_coeffs.col(i).data(), g->span.data()));
  }
  std::swap(g->U, g->U_next);
  std::swap(g->C, g->C_next);
  g->kc = new_size;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSolve_GCRODR(KSP ksp) {
  Gcrodr* g = data_of(ksp);
  const PetscBool guess_zero = ksp->guess_zero;
  OperatorKey now;
  PetscFunctionBegin;
  PetscCall(PetscObjectSAWsTakeAccess(reinterpret_cast<PetscObject>(ksp)));
  ksp->its = 0;
  ksp->rnorm = 0;
  PetscCall(PetscObjectSAWsGrantAccess(reinterpret_cast<PetscObject>(ksp)));
  ksp->reason = KSP_CONVERGED_ITERATING;
  g->cycles = 0;
  g->it = -1;

  PetscCall(current_operator_key(ksp, &now));
  if (!g->recycle) g->kc = 0;
  if (g->kc > 0 && (!g->key_valid || !(now == g->key))) {
    PetscCall(refit_space(ksp, g));
    if (ksp->reason) {
      g->kc = 0;  // a NaN or Inf in M U: the space is useless
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  g->key = now;
  g->key_valid = true;

  bool residual_ready = false;
  int failed_checks = 0;
  while (!ksp->reason) {
    if (!residual_ready)
      PetscCall(KSPInitialResidual(ksp, ksp->vec_sol, g->temp1(), g->temp2(), g->V[0], ksp->vec_rhs));
    residual_ready = false;
    PetscCall(VecSet(g->correction(), 0.0));
    if (g->kc > 0) {
      // Deflate: x += U C^T r, r -= C C^T r (the correction is applied with the cycle's).
      PetscCall(VecMDot(g->V[0], g->kc, g->C, g->dots.data()));
      PetscCall(VecMAXPY(g->correction(), g->kc, g->dots.data(), g->U));
      for (PetscInt i = 0; i < g->kc; ++i) g->dots[i] = -g->dots[i];
      PetscCall(VecMAXPY(g->V[0], g->kc, g->dots.data(), g->C));
    }
    PetscInt steps = 0;
    PetscCall(gcrodr_cycle(ksp, g, &steps));
    ++g->cycles;
    // The space is carried past a converged cycle only when it will be recycled.
    const bool wanted = g->recycle || !ksp->reason;
    if (steps > 0 && g->k > 0 && wanted && !diverged_on_nan(ksp)) PetscCall(update_space(ksp, g, steps));
    ksp->guess_zero = PETSC_FALSE;
    if (ksp->reason > 0 && steps > 0 && ksp->normtype != KSP_NORM_NONE) {
      // Convergence was decided on the least-squares estimate; confirm it on the residual
      // recomputed from the iterate, which is what users expect -ksp_converged_reason to mean.
      // They differ only when the iteration lost accuracy (a singular or numerically singular
      // operator, or a tolerance below what the arithmetic can reach).
      const PetscReal estimate = ksp->rnorm;
      PetscReal actual = 0;
      KSPConvergedReason check = KSP_CONVERGED_ITERATING;
      PetscCall(KSPInitialResidual(ksp, ksp->vec_sol, g->temp1(), g->temp2(), g->V[0], ksp->vec_rhs));
      PetscCall(VecNorm(g->V[0], NORM_2, &actual));
      PetscCall((*ksp->converged)(ksp, ksp->its, actual, &check, ksp->cnvP));
      ksp->rnorm = actual;
      if (check == KSP_CONVERGED_ITERATING) {
        ++failed_checks;
        PetscCall(PetscInfo(ksp, "gcrodr: estimated residual norm %g but actual %g; %s\n", (double)estimate,
                            (double)actual, failed_checks > 1 || actual > 1e3 * estimate ? "giving up" : "continuing"));
        if (failed_checks > 1 || actual > 1e3 * estimate) {
          check = KSP_DIVERGED_BREAKDOWN;
        } else {
          residual_ready = true;
        }
      }
      ksp->reason = check;
    }
    if (ksp->reason) break;
    if (ksp->its >= ksp->max_it) {
      ksp->reason = KSP_DIVERGED_ITS;
      break;
    }
  }
  ksp->guess_zero = guess_zero;
  PetscFunctionReturn(PETSC_SUCCESS);
}

// The current iterate, also in the middle of a cycle (for -ksp_monitor_true_residual and
// KSPBuildResidual).
PetscErrorCode KSPBuildSolution_GCRODR(KSP ksp, Vec ptr, Vec* result) {
  Gcrodr* g = data_of(ksp);
  PetscFunctionBegin;
  if (!ptr) ptr = g->work ? g->build_solution() : ksp->vec_sol;
  if (g->it < 0 || !g->work) {
    if (ptr != ksp->vec_sol) PetscCall(VecCopy(ksp->vec_sol, ptr));
  } else {
    PetscCall(form_cycle_update(ksp, g, g->it, g->build_temp(), g->build_work()));
    if (ptr == ksp->vec_sol) {
      PetscCall(VecAXPY(ptr, 1.0, g->build_temp()));
    } else {
      PetscCall(VecWAXPY(ptr, 1.0, ksp->vec_sol, g->build_temp()));
    }
  }
  if (result) *result = ptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPReset_GCRODR(KSP ksp) {
  Gcrodr* g = data_of(ksp);
  PetscFunctionBegin;
  PetscCall(free_work(g));
  PetscCall(free_space(g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDestroy_GCRODR(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(KSPReset_GCRODR(ksp));
  delete data_of(ksp);
  ksp->data = nullptr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_cycle_length(KSP ksp, PetscInt m) {
  Gcrodr* g = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(m >= 2, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_ARG_OUTOFRANGE,
             "gcrodr: the cycle length m must be at least 2, got %" PetscInt_FMT, m);
  if (m != g->m) {
    g->m = m;
    if (ksp->setupstage != KSP_SETUP_NEW) {
      PetscCall(free_work(g));
      ksp->setupstage = KSP_SETUP_NEW;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode set_recycle_dimension(KSP ksp, PetscInt k) {
  Gcrodr* g = data_of(ksp);
  PetscFunctionBegin;
  PetscCheck(k >= 0, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_ARG_OUTOFRANGE,
             "gcrodr: the recycle dimension k must not be negative, got %" PetscInt_FMT, k);
  if (k != g->k) {
    g->k = k;
    PetscCall(free_space(g));
    ksp->setupstage = KSP_SETUP_NEW;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSetFromOptions_GCRODR(KSP ksp, PetscOptionItems* PetscOptionsObject) {
  Gcrodr* g = data_of(ksp);
  PetscInt m = g->m, k = g->k;
  PetscBool recycle = g->recycle ? PETSC_TRUE : PETSC_FALSE, set = PETSC_FALSE;
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "KSP GCRO-DR options");
  PetscCall(PetscOptionsBoundedInt("-ksp_gcrodr_m", "Cycle length: search space dimension per cycle, recycle vectors included",
                                   "kolmo::solvers::gcrodr_set_cycle_length", m, &m, &set, 2));
  if (set) PetscCall(set_cycle_length(ksp, m));
  PetscCall(PetscOptionsBoundedInt("-ksp_gcrodr_k", "Recycle dimension (harmonic Ritz vectors kept)",
                                   "kolmo::solvers::gcrodr_set_recycle_dimension", k, &k, &set, 0));
  if (set) PetscCall(set_recycle_dimension(ksp, k));
  PetscCall(PetscOptionsBool("-ksp_gcrodr_recycle", "Keep the recycle space from one KSPSolve to the next",
                             "kolmo::solvers::gcrodr_set_recycle", recycle, &recycle, &set));
  if (set) g->recycle = recycle;
  PetscOptionsHeadEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPView_GCRODR(KSP ksp, PetscViewer viewer) {
  Gcrodr* g = data_of(ksp);
  PetscBool ascii = PETSC_FALSE;
  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  if (ascii) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  GCRO-DR: cycle length m=%" PetscInt_FMT ", recycle dimension k=%" PetscInt_FMT "\n", g->m, g->k));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  recycle space: %" PetscInt_FMT " vectors, %s; %" PetscInt_FMT " re-fits to a changed operator\n",
                                     g->kc, g->recycle ? "kept across solves" : "discarded at each solve", g->refits));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

bool is_gcrodr(KSP ksp) { return recycling::is_type(ksp, ksp_type_gcrodr); }

Gcrodr* checked_data(KSP ksp) {
  recycling::require_type(ksp, ksp_type_gcrodr);
  return data_of(ksp);
}

}  // namespace

PetscErrorCode ksp_create_gcrodr(KSP ksp) {
  Gcrodr* g = nullptr;
  PetscFunctionBegin;
  PetscCall(kolmo::petsc_callback([&] { g = new Gcrodr(); }));
  ksp->data = g;
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_UNPRECONDITIONED, PC_RIGHT, 3));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_PRECONDITIONED, PC_LEFT, 2));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NONE, PC_RIGHT, 1));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NONE, PC_LEFT, 1));
  ksp->ops->setup = KSPSetUp_GCRODR;
  ksp->ops->solve = KSPSolve_GCRODR;
  ksp->ops->reset = KSPReset_GCRODR;
  ksp->ops->destroy = KSPDestroy_GCRODR;
  ksp->ops->view = KSPView_GCRODR;
  ksp->ops->setfromoptions = KSPSetFromOptions_GCRODR;
  ksp->ops->buildsolution = KSPBuildSolution_GCRODR;
  ksp->ops->buildresidual = KSPBuildResidualDefault;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void gcrodr_set_cycle_length(KSP ksp, PetscInt m) {
  if (is_gcrodr(ksp)) KOLMO_PETSC_CALL(set_cycle_length(ksp, m));
}

PetscInt gcrodr_cycle_length(KSP ksp) { return checked_data(ksp)->m; }

void gcrodr_set_recycle_dimension(KSP ksp, PetscInt k) {
  if (is_gcrodr(ksp)) KOLMO_PETSC_CALL(set_recycle_dimension(ksp, k));
}

PetscInt gcrodr_recycle_dimension(KSP ksp) { return checked_data(ksp)->k; }

void gcrodr_set_recycle(KSP ksp, bool keep) {
  if (is_gcrodr(ksp)) data_of(ksp)->recycle = keep;
}

bool gcrodr_recycle(KSP ksp) { return checked_data(ksp)->recycle; }

PetscInt gcrodr_recycle_space_size(KSP ksp) { return checked_data(ksp)->kc; }

GcrodrStats gcrodr_stats(KSP ksp) {
  const Gcrodr* g = checked_data(ksp);
  GcrodrStats stats;
  stats.recycle_space_size = g->kc;
  stats.refits = g->refits;
  stats.cycles = g->cycles;
  return stats;
}

void gcrodr_clear_recycle_space(KSP ksp) {
  if (!is_gcrodr(ksp)) return;
  Gcrodr* g = data_of(ksp);
  g->kc = 0;
  g->key_valid = false;
}

}  // namespace kolmo::solvers

#pragma once
/// @file
/// GCRO-DR (GCRO with deflated restarting; Parks, de Sturler, Mackey, Johnson, Maiti, SIAM J. Sci.
/// Comput. 28(5), 2006) as a PETSc KSP type "gcrodr", for sequences of related nonsymmetric systems.
///
/// Each cycle of length m runs m - k steps of Arnoldi on (I - C C^T) M, where M is the
/// preconditioned operator (A P^-1 for right, P^-1 A for left preconditioning) and the recycle
/// space U (k vectors, C = M U with orthonormal columns) deflates the slowest part of the spectrum.
/// At the end of every cycle U is replaced by the k harmonic Ritz vectors of smallest magnitude
/// taken from span{U, V}. U and C stay in the KSP from one KSPSolve to the next; when the operator
/// changed in between (KSPSetOperators with another Mat, the same Mat whose PETSc state changed,
/// another PC side), the space is re-fitted to the new operator by the QR step: C = M U,
/// C = Q R, C <- Q, U <- U R^-1 (k operator applications). The first solve (no space yet) starts
/// with one plain GMRES(m) cycle.
///
/// Usage: call kolmo::register_solvers() once, then KSPSetType(ksp, "gcrodr") or -ksp_type gcrodr.
///
/// Options database keys (with the KSP's prefix):
///   -ksp_gcrodr_m <30>       cycle length m: the dimension of the search space per cycle,
///                            recycle vectors included (m - k Arnoldi steps per cycle, m >= 2).
///   -ksp_gcrodr_k <10>       recycle dimension k (0 <= k < m; 0 gives GMRES(m)).
///   -ksp_gcrodr_recycle <true>  keep the recycle space from one KSPSolve to the next; false forgets
///                            it at the start of each KSPSolve (deflation then acts only between
///                            the cycles of one solve).
///
/// Preconditioning: right (default; the residual norm monitored and tested is then the true,
/// unpreconditioned ||b - A x||) or left (-ksp_pc_side left; the preconditioned norm), with any PC.
/// Norm type none is accepted (the solver then runs max_it iterations). Real scalars only.
/// Convergence decided on the least-squares residual estimate (what -ksp_monitor prints) is
/// confirmed on the residual recomputed from the iterate before the solve returns, and
/// KSPGetResidualNorm then gives that recomputed norm; -ksp_monitor_true_residual works in the
/// middle of a cycle. Breakdowns end the solve with PETSc's reason: KSP_DIVERGED_NANORINF for a
/// NaN or Inf (e.g. in the right-hand side), KSP_DIVERGED_BREAKDOWN when the Krylov space became
/// invariant without convergence or the estimate and the recomputed residual disagree (a singular
/// operator, or a tolerance below what the arithmetic reaches), KSP_DIVERGED_ITS at max_it.
///
/// Cost per cycle beyond GMRES(m): k inner products and vector updates per Arnoldi step, and for
/// the new space about k (m + 1) inner products and 2 k combinations of up to m + 1 vectors.
/// Memory: m + 4k + 7 vectors.
#include <petscksp.h>

namespace kolmo::solvers {

/// The PETSc type name of GCRO-DR, valid after kolmo::register_solvers().
inline constexpr const char* ksp_type_gcrodr = "gcrodr";

/// The KSPCreate_ routine that KSPRegister needs (kolmo::register_solvers() registers it). Called
/// by PETSc through KSPSetType (collective on ksp); returns a PETSc error code, never throws.
PetscErrorCode ksp_create_gcrodr(KSP ksp);

/// Set the cycle length m (>= 2). No effect if `ksp` is not of type gcrodr (PETSc's convention for
/// type-specific setters). Takes effect at the next KSPSetUp/KSPSolve. Logically collective on ksp.
void gcrodr_set_cycle_length(KSP ksp, PetscInt m);
/// The cycle length m. @throws kolmo::Exception if `ksp` is not of type gcrodr. Not collective.
PetscInt gcrodr_cycle_length(KSP ksp);

/// Set the recycle dimension k (0 <= k; must be smaller than m at set-up). Changing k discards the
/// current recycle space. No effect if `ksp` is not of type gcrodr. Logically collective on ksp.
void gcrodr_set_recycle_dimension(KSP ksp, PetscInt k);
/// The recycle dimension k. @throws kolmo::Exception if `ksp` is not of type gcrodr. Not collective.
PetscInt gcrodr_recycle_dimension(KSP ksp);

/// Keep (true, the default) or forget (false) the recycle space between KSPSolve calls. No effect
/// if `ksp` is not of type gcrodr. Logically collective on ksp.
void gcrodr_set_recycle(KSP ksp, bool keep);
/// Whether the recycle space is kept between solves. @throws kolmo::Exception if not gcrodr.
bool gcrodr_recycle(KSP ksp);

/// The number of vectors in the current recycle space (0 before the first solve or after a clear;
/// at most k, fewer when a solve was short or dependent vectors were dropped).
/// @throws kolmo::Exception if `ksp` is not of type gcrodr. Not collective.
PetscInt gcrodr_recycle_space_size(KSP ksp);

/// Counters of the recycling work done by a gcrodr KSP since it was created.
struct GcrodrStats {
  PetscInt recycle_space_size = 0;  ///< vectors in the recycle space now
  PetscInt refits = 0;              ///< QR re-fits of the space to a changed operator
  PetscInt cycles = 0;              ///< Arnoldi cycles run in the last KSPSolve
};
/// The counters of `ksp`. @throws kolmo::Exception if `ksp` is not of type gcrodr. Not collective.
GcrodrStats gcrodr_stats(KSP ksp);

/// Forget the recycle space now (the next solve starts like GMRES(m)). No effect if `ksp` is not of
/// type gcrodr. Collective on ksp.
void gcrodr_clear_recycle_space(KSP ksp);

}  // namespace kolmo::solvers

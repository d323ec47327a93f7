#pragma once
/// @file
/// Recycled (deflated) preconditioned conjugate gradients as a PETSc KSP type "rcg", for sequences
/// of symmetric positive definite systems.
///
/// The method is the deflated CG of Saad, Yeung, Erhel and Guyomarc'h (SIAM J. Sci. Comput. 21(5),
/// 2000) with a deflation space W (k vectors) carried from one KSPSolve to the next, as in the
/// recycling CG of Parks et al. (2006):
///   x0 = x_-1 + W (W^T A W)^-1 W^T r_-1,
///   p_j = z_j + beta_j p_{j-1} - W (W^T A W)^-1 (A W)^T z_j,   z_j = P^-1 r_j,
/// so every search direction is A-orthogonal to W and the residuals are orthogonal to W. The A-norm
/// of the error decreases monotonically, as in CG. During the solve a candidate space is refined by
/// a thick-restarted Rayleigh-Ritz procedure for P^-1 A in the A inner product: each block of l
/// search directions is merged with the candidate (initially W) and compressed back to the k Ritz
/// vectors of smallest Ritz value; at the end of the solve the candidate becomes W. The Ritz
/// problems are assembled from the CG coefficients (alpha_j, r_j^T z_j: on the directions alone
/// this is the Lanczos tridiagonal of CG) and the products (A W)^T z_j that the deflation computes
/// anyway, so they cost no inner products over the search directions; a compression costs k
/// vector combinations of k + l vectors, and the new space k matrix products. When the operator
/// changed between solves (another Mat, or a Mat whose PETSc state changed), W is kept and A W,
/// W^T A W and (A W)^T P^-1 (A W) are recomputed (k matrix products, k preconditioner applications).
///
/// Per iteration, deflation adds k inner products (fused into CG's reduction) and a combination of
/// k vectors; it pays off when the operator or the preconditioner is expensive or the sequence
/// long. Memory: 4k + l + 4 vectors.
///
/// Usage: call kolmo::register_solvers() once, then KSPSetType(ksp, "rcg") or -ksp_type rcg.
///
/// Options database keys (with the KSP's prefix):
///   -ksp_rcg_k <10>          deflation dimension k (0 gives plain preconditioned CG).
///   -ksp_rcg_l <2k>          block length: search directions kept in memory between two
///                            compressions of the candidate space (0: W is never updated).
///   -ksp_rcg_recycle <true>  keep W from one KSPSolve to the next; false forgets it at the start
///                            of each solve (the method is then preconditioned CG).
///
/// Preconditioning: left, with any symmetric positive definite PC. Norm types as PETSc's CG:
/// preconditioned (default), unpreconditioned, natural, none. Real scalars only. A matrix that is
/// not positive definite on the search directions ends with KSP_DIVERGED_INDEFINITE_MAT, an
/// indefinite preconditioner with KSP_DIVERGED_INDEFINITE_PC, a NaN or Inf with
/// KSP_DIVERGED_NANORINF.
#include <petscksp.h>

namespace kolmo::solvers {

/// The PETSc type name of recycled CG, valid after kolmo::register_solvers().
inline constexpr const char* ksp_type_rcg = "rcg";

/// The KSPCreate_ routine that KSPRegister needs (kolmo::register_solvers() registers it). Called
/// by PETSc through KSPSetType (collective on ksp); returns a PETSc error code, never throws.
PetscErrorCode ksp_create_rcg(KSP ksp);

/// Set the deflation dimension k (>= 0); changing it discards the current space. No effect if
/// `ksp` is not of type rcg (PETSc's convention for type-specific setters). Logically collective.
void rcg_set_deflation_dimension(KSP ksp, PetscInt k);
/// The deflation dimension k. @throws kolmo::Exception if `ksp` is not of type rcg. Not collective.
PetscInt rcg_deflation_dimension(KSP ksp);

/// Set the block length l: search directions kept in memory between two Rayleigh-Ritz compressions
/// (>= 0, or PETSC_DECIDE for 2k; 0 stops updating the space). No effect if `ksp` is not of type
/// rcg. Logically collective.
void rcg_set_stored_directions(KSP ksp, PetscInt l);
/// The block length l in effect (2k unless set).
/// @throws kolmo::Exception if `ksp` is not of type rcg. Not collective.
PetscInt rcg_stored_directions(KSP ksp);

/// Keep (true, the default) or forget (false) the deflation space between KSPSolve calls. No effect
/// if `ksp` is not of type rcg. Logically collective.
void rcg_set_recycle(KSP ksp, bool keep);
/// Whether the deflation space is kept between solves. @throws kolmo::Exception if not rcg.
bool rcg_recycle(KSP ksp);

/// The number of vectors in the current deflation space (0 before the first solve).
/// @throws kolmo::Exception if `ksp` is not of type rcg. Not collective.
PetscInt rcg_deflation_space_size(KSP ksp);

/// Counters of the recycling work done by an rcg KSP since it was created.
struct RcgStats {
  PetscInt deflation_space_size = 0;  ///< vectors in the deflation space now
  PetscInt refits = 0;                ///< recomputations of A W after an operator change
  PetscInt updates = 0;               ///< solves that ended with a new space
};
/// The counters of `ksp`. @throws kolmo::Exception if `ksp` is not of type rcg. Not collective.
RcgStats rcg_stats(KSP ksp);

/// Forget the deflation space now (the next solve is plain preconditioned CG and builds a new one).
/// No effect if `ksp` is not of type rcg. Collective on ksp.
void rcg_clear_deflation_space(KSP ksp);

}  // namespace kolmo::solvers

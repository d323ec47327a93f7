#pragma once
/// @file
/// Helpers around SLEPc's BV (a distributed set of column vectors, each rank holding its rows) as
/// the offline stage uses it: creation with the inner product X and with the orthogonalisation
/// Kolmo relies on (classical Gram-Schmidt with a second pass always, "CGS2", which leaves the
/// columns X-orthonormal to machine precision whatever their conditioning), column-by-column
/// X-orthonormalisation that returns its coefficients, growth, and small dense conversions.
#include <Eigen/Dense>

#include <vector>

#include "core/petsc_handle.hpp"

namespace kolmo::rom {

/// A new BV of `columns` columns (all active) with the layout of the vector `layout`, on its
/// communicator. With `inner_product` non-null, BVDot, BVNormColumn and the orthogonalisation
/// work in that inner product (BVSetMatrix); BVMatProject always uses the Euclidean one.
/// Orthogonalisation: BV_ORTHOG_CGS with BV_ORTHOG_REFINE_ALWAYS. The caller owns the BV; the
/// matrix is referenced, not copied. Collective on the communicator of `layout`.
BVHandle create_basis_vectors(Vec layout, PetscInt columns, Mat inner_product);

/// What orthonormalize_column did to one column.
struct ColumnOrthonormalization {
  /// (v_i, x)_X for the columns i < j the column was orthogonalised against, both passes summed:
  /// x = sum_i coefficients[i] v_i + norm * (the new unit column).
  std::vector<double> coefficients;
  double norm = 0.0;           ///< X-norm of the column after orthogonalisation, computed exactly
  double original_norm = 0.0;  ///< X-norm of the column before
  bool dependent = false;      ///< norm <= relative_tolerance * original_norm (or zero)
};

/// X-orthogonalise column j of `bv` against its columns 0..j-1 (assumed X-orthonormal) with two
/// passes of classical Gram-Schmidt, then scale it to unit X-norm, unless it is numerically
/// dependent (its norm after orthogonalisation is at most `relative_tolerance` times its norm
/// before, or zero), in which case it is left as it is (not scaled) and `dependent` is set. The
/// norm after orthogonalisation is recomputed, not estimated, because callers store it as an exact
/// coefficient. Active columns are left at (0, j+1). Collective.
ColumnOrthonormalization orthonormalize_column(BV bv, PetscInt j, double relative_tolerance);

/// X-orthonormalise the columns [first, first + count) of `bv` against its columns [0, first)
/// (assumed X-orthonormal) and among themselves, as a QR factorisation would: two block
/// Gram-Schmidt passes against the previous columns (matrix-matrix products, so the previous
/// columns are read 4 times per block rather than 4 times per column), then two passes within
/// the block column by column; a column that loses more than 8 digits gets two more passes
/// against every previous column, and is dependent if they still remove half of it. A dependent
/// column (norm after orthogonalisation <= relative_tolerance * norm before, or unstable) is
/// replaced by a random unit vector orthogonal to all previous ones, so the result is always an
/// orthonormal set; its entry says so. Entry i describes column first + i, with coefficients on
/// columns 0 .. first + i - 1. Collective.
std::vector<ColumnOrthonormalization> orthonormalize_block(BV bv, PetscInt first, PetscInt count,
                                                           double relative_tolerance);

/// Replace column j of `bv` by a random unit vector X-orthogonal to columns 0..j-1, for a column
/// found dependent where an orthonormal basis must still be completed (QR of rank-deficient
/// snapshot sets). Collective.
void replace_with_random_column(BV bv, PetscInt j);

/// The number of columns of `bv`. Not collective.
PetscInt column_count(BV bv);

/// Make `bv` hold at least `columns` columns, keeping the content of the existing ones. The
/// capacity at least doubles (repeated growth costs amortised O(1) copies per column), or grows to
/// exactly `columns` with `exact` (to bound memory). A grown BV is a new object (same type and
/// inner product) replacing the one in `bv`: BVResize is avoided because BVGetSplit keeps split
/// views of the old storage. Active columns are (0, old count) afterwards. Collective.
void ensure_columns(BVHandle& bv, PetscInt columns, bool exact = false);

/// A new sequential dense PETSc matrix (MATSEQDENSE on PETSC_COMM_SELF) holding `m`, e.g. for
/// BVMult / BVMultInPlace, whose coefficient matrices must be identical on every rank. Not
/// collective.
MatHandle to_seqdense(const Eigen::MatrixXd& m);

/// The top-left rows x cols block of a sequential dense matrix, as Eigen. Not collective.
Eigen::MatrixXd from_seqdense(Mat dense, PetscInt rows, PetscInt cols);

}  // namespace kolmo::rom

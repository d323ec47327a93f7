#pragma once
/// @file
/// Polynomial preconditioners as the PETSc PC type "kolmo_poly": z = p(D^-1 A) D^-1 r with D the
/// diagonal of A (or D = I), a polynomial p of degree `degree - 1` (so `degree - 1` products with A
/// per application) chosen from spectral information gathered at setup:
///   chebyshev  the Chebyshev iteration polynomial on [a, b]: 1 - lambda p(lambda) is the scaled
///              Chebyshev polynomial T_degree of [a, b], optimal in the max norm there. b is 1.1
///              times the largest Ritz value of `lanczos_steps` Lanczos steps on D^-1/2 A D^-1/2
///              (capped by Gershgorin's bound), a the smallest Ritz value (>= lambda_min, as Ritz
///              values are inside the spectrum), or lower_fraction * b when that is set (the usual
///              choice for a smoother, which should damp only [a, b]).
///   lsq        the least-squares polynomial: minimises the integral of (1 - lambda p(lambda))^2
///              against the Chebyshev weight of [0, b] (discretised at 4 * degree Chebyshev points),
///              so it needs only the upper bound b, no lower bound of the spectrum.
/// For an SPD A with b >= lambda_max, the Chebyshev choice is SPD; the lsq one is symmetric and
/// is checked at setup to be positive on (0, b] (a warning is printed otherwise). Both suit CG.
///
/// Usage: call kolmo::register_solvers(), then -pc_type kolmo_poly, alone or as a smoother
/// (-mg_levels_pc_type kolmo_poly -mg_levels_ksp_type richardson). Options (with the PC prefix):
///   -pc_kolmo_poly_type <chebyshev|lsq>   (chebyshev)
///   -pc_kolmo_poly_degree <8>             products with A per application + 1
///   -pc_kolmo_poly_lanczos_steps <20>     Lanczos steps for the spectral bounds
///   -pc_kolmo_poly_lower_fraction <0>     a = fraction * b instead of the smallest Ritz value
///   -pc_kolmo_poly_jacobi <true>          scale by the diagonal of A
#include <petscksp.h>

#include <string>

namespace kolmo::solvers {

/// The PETSc type name, valid after kolmo::register_solvers().
inline constexpr const char* pc_type_polynomial = "kolmo_poly";

/// The PCCreate_ routine for PCRegister. Returns a PETSc error code, never throws.
PetscErrorCode pc_create_polynomial(PC pc);

/// Smallest and largest Ritz values of `steps` Lanczos steps on D^-1/2 A D^-1/2 (D = diag(A) if
/// `jacobi`, else I) from a fixed start vector that does not depend on the number of ranks.
struct RitzBounds {
  double smallest = 0;
  double largest = 0;
  int steps = 0;  ///< steps done (fewer on an early breakdown, which means the values are exact)
};
/// Collective on a's communicator. A must be symmetric.
RitzBounds lanczos_ritz_bounds(Mat a, int steps, bool jacobi);

/// What a set-up kolmo_poly PC uses.
struct PolynomialInfo {
  std::string type;      ///< "chebyshev" or "lsq"
  int degree = 0;
  double lower = 0;      ///< a (0 for lsq)
  double upper = 0;      ///< b
  RitzBounds ritz;
};
/// The polynomial of a set-up kolmo_poly `pc`.
/// @throws kolmo::Exception if `pc` is not kolmo_poly or not set up. Not collective.
PolynomialInfo polynomial_pc_info(PC pc);

}  // namespace kolmo::solvers

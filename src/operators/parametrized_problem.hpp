#pragma once
/// @file
/// The truth problem as every higher layer sees it: A(mu) u = f(mu), outputs s(mu) = l(mu).u, the
/// inner product X of the energy norm, and how stability (coercivity / inf-sup) is bounded.
#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

#include "core/field_layout.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/affine_operator.hpp"
#include "operators/nonaffine_rhs_error.hpp"

namespace kolmo::operators {

/// How the stability constant of A(mu) can be bounded from below.
enum class Stability {
  parametrically_coercive,  ///< every A_q is SPSD and theta_q(mu) > 0: min-theta bound applies
  coercive,                 ///< coercive, but needs e.g. the successive constraint method
  inf_sup,                  ///< not coercive (indefinite or nonsymmetric): inf-sup constant
};

const char* to_string(Stability stability);

/// An output functional s(mu) = l(mu) . u.
struct OutputFunctional {
  std::string name;
  AffineVector functional;
};

/// A parametrized linear problem in affine form, distributed over `comm`.
///
/// Vectors are in PETSc's global ordering, which may depend on the number of ranks;
/// to_natural()/from_natural() map to and from the rank-independent ordering used in files.
/// Subclasses fill the protected members in their constructors. Collective on comm wherever a
/// PETSc object is touched.
class ParametrizedProblem {
 public:
  virtual ~ParametrizedProblem() = default;
  ParametrizedProblem(const ParametrizedProblem&) = delete;
  ParametrizedProblem& operator=(const ParametrizedProblem&) = delete;

  MPI_Comm comm() const noexcept { return comm_; }
  /// The problem type as in case files ("thermal_block", ...).
  virtual std::string type() const = 0;
  const ParameterSpace& parameter_space() const noexcept { return space_; }

  const AffineOperator& lhs() const noexcept { return lhs_; }
  const AffineVector& rhs() const noexcept { return rhs_; }
  const std::vector<OutputFunctional>& outputs() const noexcept { return outputs_; }
  /// The SPD inner-product matrix X of the energy norm (owned by the problem).
  Mat inner_product() const noexcept { return inner_product_; }
  Stability stability() const noexcept { return stability_; }
  /// A(mu) is symmetric for every mu.
  bool symmetric() const noexcept { return symmetric_; }
  /// The first output equals the right-hand side (s = f.u) and A is symmetric.
  bool compliant() const noexcept { return compliant_; }
  /// The coefficients theta_bar with X = sum_q theta_bar_q A_q, when X is built that way (the
  /// min-theta coercivity bound alpha(mu) >= min_q theta_q(mu) / theta_bar_q needs them); empty
  /// otherwise.
  const std::vector<double>& reference_coefficients() const noexcept { return reference_theta_; }

  PetscInt global_size() const;
  PetscInt local_size() const;
  /// A new vector with the layout of the unknowns (zeroed). Collective.
  virtual VecHandle create_vector() const;

  /// out = A(mu). Default: the affine sum lhs().assemble(). Problems known only at sample points
  /// (external matrices without an affine form) override it. Collective.
  virtual void assemble_operator(const Mu& mu, MatHandle& out) const { lhs_.assemble(mu, out); }
  /// out = f(mu); `out` has the layout of create_vector(). Collective.
  virtual void assemble_rhs(const Mu& mu, Vec out) const { rhs_.assemble(mu, out); }

  /// When rhs() is an EIM approximation f_M of the true load assemble_rhs(), the data the online
  /// stage needs to add ||f - f_M||_X' to its error bound; none (the default) when rhs() is the
  /// load itself. Not collective (replicated data).
  virtual std::optional<NonaffineRhsError> rhs_eim_error() const { return std::nullopt; }

  /// Evaluate every output functional at (mu, u). Collective.
  std::vector<double> evaluate_outputs(const Mu& mu, Vec u) const;
  /// Output names, in order.
  std::vector<std::string> output_names() const;

  /// Geometry of the unknowns for field files; has_mesh() is false when unknown.
  virtual FieldLayout field_layout() const { return {}; }
  /// A vector in the rank-independent (natural) ordering, laid out in contiguous blocks.
  virtual VecHandle create_natural_vector() const;
  /// Copy `global` (PETSc ordering) into `natural`. Default: the orderings coincide. Collective.
  virtual void to_natural(Vec global, Vec natural) const;
  /// Inverse of to_natural. Collective.
  virtual void from_natural(Vec natural, Vec global) const;

  /// Check that mu lies in the parameter space. @throws InputError naming the parameter.
  void check_parameter(const Mu& mu, const std::string& where) const { space_.check(mu, where); }

 protected:
  ParametrizedProblem(MPI_Comm comm, ParameterSpace space)
      : comm_(comm), space_(std::move(space)), lhs_(comm), rhs_(comm) {}

  MPI_Comm comm_;
  ParameterSpace space_;
  AffineOperator lhs_;
  AffineVector rhs_;
  std::vector<OutputFunctional> outputs_;
  MatHandle inner_product_;
  Stability stability_ = Stability::coercive;
  bool symmetric_ = false;
  bool compliant_ = false;
  std::vector<double> reference_theta_;
};

}  // namespace kolmo::operators

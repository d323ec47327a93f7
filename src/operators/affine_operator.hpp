#pragma once
/// @file
/// Affine decompositions A(mu) = sum_q theta_q(mu) A_q and f(mu) = sum_q theta_q(mu) f_q.
#include <mpi.h>

#include <string>
#include <vector>

#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/coefficient.hpp"

namespace kolmo::operators {

/// A parametrized matrix A(mu) = sum_q theta_q(mu) A_q. Owns its terms. All A_q have the same
/// row and column layout. Collective on comm wherever a Mat is touched.
class AffineOperator {
 public:
  explicit AffineOperator(MPI_Comm comm) : comm_(comm) {}
  MPI_Comm comm() const noexcept { return comm_; }

  /// Append the term theta * matrix; takes ownership of `matrix`. `name` labels it in files.
  void add_term(MatHandle matrix, Coefficient theta, std::string name = "");
  std::size_t num_terms() const noexcept { return terms_.size(); }
  Mat matrix(std::size_t q) const { return terms_.at(q).matrix; }
  const Coefficient& coefficient(std::size_t q) const { return terms_.at(q).theta; }
  const std::string& name(std::size_t q) const { return terms_.at(q).name; }

  /// theta_q(mu) for every q. Not collective.
  std::vector<double> coefficients(const Mu& mu) const;
  /// out = A(mu). `out` is created on first use (a copy of A_0's structure widened to the union
  /// of all patterns) and reused afterwards, so a sequence of assemblies allocates once; for AIJ
  /// matrices the values are then summed straight into out's arrays. Collective on comm.
  void assemble(const Mu& mu, MatHandle& out) const;

 private:
  struct Term {
    MatHandle matrix;
    Coefficient theta;
    std::string name;
  };
  /// Where each term's stored entries sit in the value arrays of one assembled AIJ matrix
  /// (its diagonal and off-diagonal blocks), so that assembly is a scaled scatter-add per term.
  /// PETSc's MatAXPY with SUBSET_NONZERO_PATTERN goes row by row through MatSetValues, which
  /// took about 30 % of a thermal-block solve with AMG. Valid for the matrix with `id` while its
  /// nonzero state is `nonzero_state`.
  struct ScatterPlan {
    PetscObjectId id = 0;
    PetscObjectState nonzero_state = -1;
    bool usable = false;  // all ranks could map every term into the matrix
    std::vector<std::vector<PetscInt>> diagonal, off_diagonal;  // [term][stored entry]
  };
  void update_plan(Mat out) const;
  MPI_Comm comm_;
  std::vector<Term> terms_;
  mutable ScatterPlan plan_;
};

/// A parametrized vector f(mu) = sum_q theta_q(mu) f_q. Collective on comm wherever a Vec is touched.
class AffineVector {
 public:
  explicit AffineVector(MPI_Comm comm) : comm_(comm) {}
  MPI_Comm comm() const noexcept { return comm_; }

  /// Append the term theta * vector; takes ownership of `vector`.
  void add_term(VecHandle vector, Coefficient theta, std::string name = "");
  std::size_t num_terms() const noexcept { return terms_.size(); }
  Vec vector(std::size_t q) const { return terms_.at(q).vector; }
  const Coefficient& coefficient(std::size_t q) const { return terms_.at(q).theta; }
  const std::string& name(std::size_t q) const { return terms_.at(q).name; }

  std::vector<double> coefficients(const Mu& mu) const;
  /// out = f(mu); `out` must have the layout of the terms. Collective on comm.
  void assemble(const Mu& mu, Vec out) const;
  /// sum_q theta_q(mu) (f_q . u), the value of the functional on u. Collective on comm.
  double apply(const Mu& mu, Vec u) const;

 private:
  struct Term {
    VecHandle vector;
    Coefficient theta;
    std::string name;
  };
  MPI_Comm comm_;
  std::vector<Term> terms_;
};

}  // namespace kolmo::operators

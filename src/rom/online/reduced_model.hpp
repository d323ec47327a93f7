#pragma once
/// @file
/// A reduced model as the online stage sees it: the Galerkin-projected affine terms, the outputs,
/// and the data of the a posteriori error bound. Depends on Eigen and the standard library only
/// (no PETSc, no MPI), so a model can be evaluated anywhere; it is written and read as one HDF5
/// file (reduced_model_io.hpp) whose content does not depend on the ranks used offline.
#include <Eigen/Dense>

#include <string>
#include <vector>

namespace kolmo::rom {

/// A parametrized quantity sum_q theta_q(mu) X_q in reduced form: the coefficient expressions
/// (muparser syntax over the parameter names) and one reduced term per q.
template <class Term>
struct ReducedAffine {
  std::vector<std::string> theta;  ///< theta_q(mu) as expressions of the parameter names
  std::vector<Term> terms;         ///< the projected terms, at the maximal basis size
};

/// How the stability constant alpha(mu) (coercivity) or beta(mu) (inf-sup) is bounded below,
/// in the norm of the inner product X.
struct StabilityBound {
  /// "min_theta": alpha_LB(mu) = min_q theta_q(mu) / theta_bar_q (parametrically coercive
  /// problems with X = sum_q theta_bar_q A_q);
  /// "constant": alpha_LB(mu) = constant (a lower bound valid over the whole parameter box);
  /// "eigen_interval": beta_LB(mu) = min_i |sigma_i - t(mu)| / (sigma_i + 1) over stored
  /// generalized eigenvalues, for two-term problems A = K - t(mu) M with X = K + M (exact
  /// inf-sup constant of Helmholtz-type operators).
  std::string kind = "min_theta";
  std::vector<double> theta_bar;   ///< min_theta
  double constant = 0.0;           ///< constant
  std::vector<double> sigma;       ///< eigen_interval: all eigenvalues below sigma_tail
  double sigma_tail = 0.0;         ///< eigen_interval: every other eigenvalue is >= sigma_tail
  std::string t_expression;        ///< eigen_interval: t(mu)
};

/// Data to evaluate the dual norm of the residual r(mu) = f(mu) - A(mu) V u_N in X'.
///
/// Representers: the X-Riesz representers of f_q (q < Qf) and of A_q v_n (q < Qa, n < N_max),
/// ordered f first, then q-major / n-minor: index Qf + q * N_max + n. With c(mu, u_N) = [theta_f;
/// -(theta_a_q * u_N(n))], ||r||_{X'}^2 = c^T G c (classical), or ||r||_{X'} = ||R c||_2 (stable),
/// where R holds the coefficients of the representers in an X-orthonormal basis of their span
/// (computed offline by Gram-Schmidt with reorthogonalisation on the vectors themselves, so no
/// squared quantity is ever formed). Columns for n >= N are simply dropped for smaller N.
struct ResidualNormData {
  Eigen::MatrixXd gram;            ///< G (classical); empty when not computed
  Eigen::MatrixXd orthonormal;     ///< R (stable), rows = dimension of the span; empty if absent
};

/// One output functional s(mu) = l(mu) . u.
struct ReducedOutput {
  std::string name;
  ReducedAffine<Eigen::VectorXd> functional;  ///< V^T l_q
  /// Dual-norm data of l(mu) (representers of l_q only), for the bound |s - s_N| <= ||l||_X' Delta.
  ResidualNormData dual_norm;
  bool compliant = false;          ///< s = f . u with A symmetric: |s - s_N| <= ||r||^2 / alpha_LB
};

/// A reduced model. A value type, PETSc- and MPI-free. Basis size N <= max_size() can be chosen
/// per query (the basis is hierarchical: the first N vectors are the size-N basis).
struct ReducedModel {
  std::string problem_type;
  std::vector<std::string> parameter_names;
  std::vector<double> parameter_min, parameter_max;
  std::vector<std::string> parameter_scale;   ///< "linear" | "log"
  std::string case_text;
  std::string method;                         ///< "pod" | "greedy"
  std::string estimator = "stable";           ///< default evaluation: "classical" | "stable"

  ReducedAffine<Eigen::MatrixXd> lhs;         ///< V^T A_q V
  ReducedAffine<Eigen::VectorXd> rhs;         ///< V^T f_q
  std::vector<ReducedOutput> outputs;
  StabilityBound stability;
  ResidualNormData residual;                  ///< with the ordering documented above
  std::vector<double> singular_values;        ///< POD singular values, or greedy bounds per size

  int max_size() const { return lhs.terms.empty() ? 0 : static_cast<int>(lhs.terms[0].rows()); }
};

}  // namespace kolmo::rom

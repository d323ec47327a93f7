#pragma once
// A small dense affine truth problem and its reduced model built by hand, with Eigen only, for the
// tests of the online stage: A(mu) = sum_q theta_q(mu) A_q (SPD terms), f(mu) = sum_q theta_q f_q,
// X = sum_q A_q, a compliant output f(mu).u and a non-compliant one l(mu).u. Everything the offline
// stage would compute (projections, Riesz representers, their Gram matrix and an X-orthonormal
// basis of their span) is computed here densely, so the tests compare the online stage with
// direct truth computations. No PETSc, no MPI: tests/rom/online_standalone.cpp uses it too.
#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/QR>

#include <random>
#include <string>
#include <vector>

#include "rom/online/reduced_model.hpp"

namespace kolmo::rom::testing {

struct DenseAffineProblem {
  int n = 0;
  std::vector<Eigen::MatrixXd> a;      // A_q
  std::vector<std::string> a_theta;    // theta_q of A
  std::vector<Eigen::VectorXd> f;      // f_q
  std::vector<std::string> f_theta;
  std::vector<Eigen::VectorXd> l;      // l_q of the non-compliant output
  std::vector<std::string> l_theta;
  Eigen::MatrixXd x;                   // inner product
  std::vector<std::string> names{"mu1", "mu2", "mu3"};
  double min = 0.1, max = 1.0;

  // theta values at mu for the expressions used here ("1", "mu1", "mu2", "mu3").
  static double theta(const std::string& expression, const std::vector<double>& mu) {
    if (expression == "1") return 1.0;
    return mu.at(static_cast<std::size_t>(expression.back() - '1'));
  }
  Eigen::MatrixXd operator_at(const std::vector<double>& mu) const {
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
    for (std::size_t q = 0; q < a.size(); ++q) m += theta(a_theta[q], mu) * a[q];
    return m;
  }
  Eigen::VectorXd rhs_at(const std::vector<double>& mu) const {
    Eigen::VectorXd v = Eigen::VectorXd::Zero(n);
    for (std::size_t q = 0; q < f.size(); ++q) v += theta(f_theta[q], mu) * f[q];
    return v;
  }
  Eigen::VectorXd output_at(const std::vector<double>& mu) const {
    Eigen::VectorXd v = Eigen::VectorXd::Zero(n);
    for (std::size_t q = 0; q < l.size(); ++q) v += theta(l_theta[q], mu) * l[q];
    return v;
  }
  Eigen::VectorXd solve(const std::vector<double>& mu) const {
    return operator_at(mu).ldlt().solve(rhs_at(mu));
  }
};

/// A random SPD problem of size n with three operator terms (theta = mu1, mu2, mu3), two
/// right-hand side terms (1, mu2) and two output terms (1, mu3); parameters in [0.1, 1].
inline DenseAffineProblem make_dense_problem(int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  auto random_matrix = [&](int rows, int cols) {
    Eigen::MatrixXd m(rows, cols);
    for (int j = 0; j < cols; ++j)
      for (int i = 0; i < rows; ++i) m(i, j) = uniform(rng);
    return m;
  };
  DenseAffineProblem p;
  p.n = n;
  for (int q = 0; q < 3; ++q) {
    const Eigen::MatrixXd b = random_matrix(n, n);
    p.a.push_back(b * b.transpose() / n + (0.2 + 0.3 * q) * Eigen::MatrixXd::Identity(n, n));
    p.a_theta.push_back("mu" + std::to_string(q + 1));
  }
  p.f = {random_matrix(n, 1), random_matrix(n, 1)};
  p.f_theta = {"1", "mu2"};
  p.l = {random_matrix(n, 1), random_matrix(n, 1)};
  p.l_theta = {"1", "mu3"};
  p.x = p.a[0] + p.a[1] + p.a[2];
  return p;
}

/// Gram matrix and X-orthonormal coefficients of the Riesz representers X^-1 g_j of the columns
/// g_j of `functionals` (ResidualNormData's two forms).
inline ResidualNormData dual_norm_data(const Eigen::MatrixXd& x, const Eigen::MatrixXd& functionals) {
  const Eigen::LLT<Eigen::MatrixXd> llt(x);
  // With X = L L^T, ||g||_X' = ||L^-1 g||_2: the representers in an X-orthonormal frame.
  const Eigen::MatrixXd w = llt.matrixL().solve(functionals);
  ResidualNormData data;
  data.gram = w.transpose() * w;
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(w);
  const auto rank = std::min(w.rows(), w.cols());
  data.orthonormal = qr.matrixQR().topRows(rank).triangularView<Eigen::Upper>();
  return data;
}

/// The reduced model of `p` on the basis `v` (columns), as the offline stage would build it.
inline ReducedModel make_reduced_model(const DenseAffineProblem& p, const Eigen::MatrixXd& v) {
  ReducedModel m;
  m.problem_type = "dense_test";
  m.parameter_names = p.names;
  m.parameter_min.assign(p.names.size(), p.min);
  m.parameter_max.assign(p.names.size(), p.max);
  m.parameter_scale.assign(p.names.size(), "linear");
  m.case_text = "# built by tests/rom/dense_affine_problem.hpp\n";
  m.method = "pod";
  m.estimator = "stable";
  m.lhs.theta = p.a_theta;
  for (const auto& a : p.a) m.lhs.terms.push_back(v.transpose() * a * v);
  m.rhs.theta = p.f_theta;
  for (const auto& f : p.f) m.rhs.terms.push_back(v.transpose() * f);

  ReducedOutput compliance;
  compliance.name = "compliance";
  compliance.compliant = true;
  compliance.functional = m.rhs;
  ReducedOutput mean;
  mean.name = "mean";
  mean.functional.theta = p.l_theta;
  Eigen::MatrixXd l(p.n, static_cast<Eigen::Index>(p.l.size()));
  for (std::size_t q = 0; q < p.l.size(); ++q) {
    mean.functional.terms.push_back(v.transpose() * p.l[q]);
    l.col(static_cast<Eigen::Index>(q)) = p.l[q];
  }
  mean.dual_norm = dual_norm_data(p.x, l);
  m.outputs = {compliance, mean};

  m.stability.kind = "min_theta";
  m.stability.theta_bar.assign(p.a.size(), 1.0);

  // Representers: f_q first, then A_q v_n, q-major / n-minor.
  const auto qf = static_cast<Eigen::Index>(p.f.size());
  const auto qa = static_cast<Eigen::Index>(p.a.size());
  const Eigen::Index size = v.cols();
  Eigen::MatrixXd g(p.n, qf + qa * size);
  for (Eigen::Index q = 0; q < qf; ++q) g.col(q) = p.f[static_cast<std::size_t>(q)];
  for (Eigen::Index q = 0; q < qa; ++q)
    g.middleCols(qf + q * size, size) = p.a[static_cast<std::size_t>(q)] * v;
  m.residual = dual_norm_data(p.x, g);
  for (Eigen::Index k = 0; k < size; ++k) m.singular_values.push_back(1.0 / (1.0 + k));
  return m;
}

/// An orthonormal (Euclidean) basis of the truth solutions at `points`.
inline Eigen::MatrixXd solution_basis(const DenseAffineProblem& p,
                                      const std::vector<std::vector<double>>& points) {
  Eigen::MatrixXd s(p.n, static_cast<Eigen::Index>(points.size()));
  for (std::size_t i = 0; i < points.size(); ++i) s.col(static_cast<Eigen::Index>(i)) = p.solve(points[i]);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(s);
  return qr.householderQ() * Eigen::MatrixXd::Identity(p.n, s.cols());
}

/// `count` random points of [min, max]^3.
inline std::vector<std::vector<double>> random_points(const DenseAffineProblem& p, int count,
                                                      unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(p.min, p.max);
  std::vector<std::vector<double>> points;
  for (int i = 0; i < count; ++i) points.push_back({uniform(rng), uniform(rng), uniform(rng)});
  return points;
}

}  // namespace kolmo::rom::testing

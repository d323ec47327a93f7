#include "rom/stability.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/progress.hpp"

namespace kolmo::rom {
namespace {

// The corners of the parameter box (at most 2^16 of them) followed by the sample.
std::vector<Mu> check_points(const ParameterSpace& space, const std::vector<Mu>& sample) {
  std::vector<Mu> points;
  const std::size_t d = space.dimension();
  if (d <= 16) {
    for (std::size_t corner = 0; corner < (std::size_t{1} << d); ++corner) {
      Mu mu(d);
      for (std::size_t i = 0; i < d; ++i)
        mu[i] = (corner >> i) & 1U ? space.parameter(i).max : space.parameter(i).min;
      points.push_back(std::move(mu));
    }
  }
  points.insert(points.end(), sample.begin(), sample.end());
  return points;
}

void set_default_option(const std::string& name, const char* value) {
  PetscBool given = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscOptionsHasName(nullptr, nullptr, name.c_str(), &given));
  if (!given) KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, name.c_str(), value));
}

// Spectral transformation `type` for `eps` under `prefix`, its linear solves by a MUMPS Cholesky
// factorisation (of B for STSHIFT, of A - sigma B for STSINVERT).
void use_cholesky_st(EPS eps, const std::string& prefix, STType type) {
  KOLMO_PETSC_CALL(EPSSetOptionsPrefix(eps, prefix.c_str()));
  ST st = nullptr;
  KOLMO_PETSC_CALL(EPSGetST(eps, &st));
  KOLMO_PETSC_CALL(STSetType(st, type));
  KSP ksp = nullptr;
  KOLMO_PETSC_CALL(STGetKSP(st, &ksp));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPPREONLY));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, PCCHOLESKY));
  KOLMO_PETSC_CALL(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
}

// A factorisation-based shift-and-invert for `eps` (MUMPS Cholesky; inertia in parallel needs
// ICNTL(13) = 1, null pivots are detected with ICNTL(24)).
void use_cholesky_sinvert(EPS eps, const std::string& prefix) {
  use_cholesky_st(eps, prefix, STSINVERT);
  set_default_option("-" + prefix + "st_mat_mumps_icntl_13", "1");
  set_default_option("-" + prefix + "st_mat_mumps_icntl_24", "1");
}

bool is_helmholtz_like(const operators::ParametrizedProblem& problem, const std::vector<Mu>& points,
                       std::string& why_not) {
  const auto& lhs = problem.lhs();
  const auto& theta_bar = problem.reference_coefficients();
  if (lhs.num_terms() != 2) {
    why_not = "it has " + std::to_string(lhs.num_terms()) + " operator terms, not 2";
    return false;
  }
  if (!problem.symmetric()) {
    why_not = "it is not symmetric";
    return false;
  }
  if (theta_bar.size() != 2 || theta_bar[0] != 1.0 || theta_bar[1] != 1.0) {
    why_not = "its inner product is not X = A_0 + A_1 (reference coefficients (1, 1))";
    return false;
  }
  for (const auto& mu : points)
    if (lhs.coefficient(0)(mu) != 1.0) {
      why_not = "the coefficient of its first term is not the constant 1";
      return false;
    }
  return true;
}

// "-(e)" for an expression e, simplified to e' when e is itself "-(e')" (Helmholtz writes its
// coefficient as "-(k^2)").
std::string negated(const std::string& text) {
  if (text.size() > 3 && text.compare(0, 2, "-(") == 0 && text.back() == ')') {
    int depth = 0;
    std::size_t close = 0;
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (text[i] == '(') ++depth;
      if (text[i] == ')' && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close == text.size() - 1) return text.substr(2, text.size() - 3);
  }
  return "-(" + text + ")";
}

StabilityBound min_theta(const operators::ParametrizedProblem& problem, const std::vector<Mu>& points) {
  const auto& theta_bar = problem.reference_coefficients();
  KOLMO_INPUT_CHECK(theta_bar.size() == problem.lhs().num_terms(),
                    "problem '" << problem.type()
                                << "' is declared parametrically coercive, but its inner product is "
                                   "not given as X = sum_q theta_bar_q A_q (" << theta_bar.size()
                                << " reference coefficients for " << problem.lhs().num_terms()
                                << " terms), so the min-theta coercivity bound is not available");
  for (std::size_t q = 0; q < theta_bar.size(); ++q)
    KOLMO_INPUT_CHECK(theta_bar[q] > 0, "problem '" << problem.type() << "': reference coefficient "
                                                    << q << " is " << theta_bar[q]
                                                    << "; the min-theta bound needs them positive");
  for (const auto& mu : points) {
    const auto theta = problem.lhs().coefficients(mu);
    for (std::size_t q = 0; q < theta.size(); ++q)
      KOLMO_INPUT_CHECK(theta[q] > 0, "problem '" << problem.type() << "': coefficient of term '"
                                                  << problem.lhs().name(q) << "' is " << theta[q]
                                                  << " at " << format_mu(problem.parameter_space(), mu)
                                                  << "; the min-theta coercivity bound needs every "
                                                     "coefficient positive over the parameter box");
  }
  StabilityBound bound;
  bound.kind = "min_theta";
  bound.theta_bar = theta_bar;
  return bound;
}

StabilityBound eigen_interval(const operators::ParametrizedProblem& problem,
                              const std::vector<Mu>& points) {
  const auto& lhs = problem.lhs();
  // Check that X really is K + M (the formula is exact only then).
  MatHandle difference;
  KOLMO_PETSC_CALL(MatDuplicate(problem.inner_product(), MAT_COPY_VALUES, difference.out()));
  KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, lhs.matrix(0), DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatAXPY(difference, -1.0, lhs.matrix(1), DIFFERENT_NONZERO_PATTERN));
  PetscReal diff_norm = 0, x_norm = 0;
  KOLMO_PETSC_CALL(MatNorm(difference, NORM_FROBENIUS, &diff_norm));
  KOLMO_PETSC_CALL(MatNorm(problem.inner_product(), NORM_FROBENIUS, &x_norm));
  KOLMO_INPUT_CHECK(diff_norm <= 1e-12 * x_norm,
                    "problem '" << problem.type() << "': the inf-sup bound needs X = A_0 + A_1, but "
                                << "||X - A_0 - A_1||_F / ||X||_F = " << diff_norm / x_norm);
  double t_max = 0.0;
  for (const auto& mu : points) t_max = std::max(t_max, -lhs.coefficient(1)(mu));
  const double lower = -0.5;  // K SPSD and M SPD: every sigma >= 0
  const double upper = 1.5 * t_max + 1.0;
  StabilityBound bound;
  bound.kind = "eigen_interval";
  bound.sigma = generalized_eigenvalues(lhs.matrix(0), lhs.matrix(1), lower, upper);
  bound.sigma_tail = upper;
  bound.t_expression = negated(lhs.coefficient(1).text());
  return bound;
}

StabilityBound sampled(const operators::ParametrizedProblem& problem, const StabilityOptions& options) {
  KOLMO_INPUT_CHECK(!options.sample.empty(), "sampled stability bound: the sample is empty");
  Progress progress(problem.comm(), "coercivity", options.sample.size());
  double minimum = std::numeric_limits<double>::infinity();
  for (const auto& mu : options.sample) {
    const double alpha = coercivity_constant(problem, mu);
    KOLMO_INPUT_CHECK(alpha > 0, "problem '" << problem.type() << "' is not coercive at "
                                             << format_mu(problem.parameter_space(), mu)
                                             << ": alpha(mu) = " << alpha);
    minimum = std::min(minimum, alpha);
    progress.advance(1);
  }
  progress.finish();
  StabilityBound bound;
  bound.kind = "constant";
  bound.constant = options.sampled_factor * minimum;
  return bound;
}

// The symmetric part (a + a^T) / 2, marked symmetric (a copy when `symmetric`).
MatHandle symmetric_part(Mat a, bool symmetric) {
  MatHandle s;
  if (symmetric) {
    KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, s.out()));
  } else {
    KOLMO_PETSC_CALL(MatTranspose(a, MAT_INITIAL_MATRIX, s.out()));
    KOLMO_PETSC_CALL(MatAXPY(s, 1.0, a, DIFFERENT_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatScale(s, 0.5));
  }
  KOLMO_PETSC_CALL(MatSetOption(s, MAT_SYMMETRIC, PETSC_TRUE));
  return s;
}

// The smallest generalized eigenvalue of (a_sym, x) (shift-and-invert at 0, so the eigenvalue
// closest to 0: the smallest when a_sym is positive definite) and, when `vector` is given, its
// eigenvector.
double smallest_eigenpair(MPI_Comm comm, Mat a_sym, Mat x, Vec vector, const std::string& where) {
  EPSHandle eps;
  KOLMO_PETSC_CALL(EPSCreate(comm, eps.out()));
  KOLMO_PETSC_CALL(EPSSetOperators(eps, a_sym, x));
  KOLMO_PETSC_CALL(EPSSetProblemType(eps, EPS_GHEP));
  KOLMO_PETSC_CALL(EPSSetType(eps, EPSKRYLOVSCHUR));
  KOLMO_PETSC_CALL(EPSSetWhichEigenpairs(eps, EPS_TARGET_MAGNITUDE));
  KOLMO_PETSC_CALL(EPSSetTarget(eps, 0.0));
  // The generalized eigenvalues of (A^s, X) cluster (at 1 for a compact perturbation of X), so
  // the default subspace of 16 vectors may stall; 40 converges in tens of iterations.
  PetscInt n = 0;
  KOLMO_PETSC_CALL(MatGetSize(a_sym, &n, nullptr));
  KOLMO_PETSC_CALL(EPSSetDimensions(eps, 1, std::min<PetscInt>(n, 40), PETSC_DEFAULT));
  KOLMO_PETSC_CALL(EPSSetTolerances(eps, 1e-10, 1000));
  use_cholesky_sinvert(eps, "kolmo_coercivity_");
  KOLMO_PETSC_CALL(EPSSetFromOptions(eps));
  KOLMO_PETSC_CALL(EPSSolve(eps));
  PetscInt converged = 0;
  KOLMO_PETSC_CALL(EPSGetConverged(eps, &converged));
  KOLMO_CHECK(converged >= 1, "coercivity constant at " << where << ": the eigensolver did not converge");
  double alpha = std::numeric_limits<double>::infinity();
  PetscInt best = 0;
  for (PetscInt i = 0; i < converged; ++i) {
    PetscScalar re = 0, im = 0;
    KOLMO_PETSC_CALL(EPSGetEigenvalue(eps, i, &re, &im));
    if (static_cast<double>(re) < alpha) {
      alpha = static_cast<double>(re);
      best = i;
    }
  }
  if (vector) KOLMO_PETSC_CALL(EPSGetEigenvector(eps, best, vector, nullptr));
  return alpha;
}

// An estimate of the largest (largest = true) or smallest generalized eigenvalue of (a, x), or
// `fallback` when the eigensolver does not converge (the estimate is only a starting point: the
// caller certifies it by inertia).
double extreme_eigenvalue_estimate(Mat a, Mat x, bool largest, double fallback) {
  EPSHandle eps;
  KOLMO_PETSC_CALL(EPSCreate(object_comm(a), eps.out()));
  KOLMO_PETSC_CALL(EPSSetOperators(eps, a, x));
  KOLMO_PETSC_CALL(EPSSetProblemType(eps, EPS_GHEP));
  KOLMO_PETSC_CALL(EPSSetType(eps, EPSKRYLOVSCHUR));
  KOLMO_PETSC_CALL(EPSSetWhichEigenpairs(eps, largest ? EPS_LARGEST_REAL : EPS_SMALLEST_REAL));
  KOLMO_PETSC_CALL(EPSSetDimensions(eps, 1, PETSC_DEFAULT, PETSC_DEFAULT));
  KOLMO_PETSC_CALL(EPSSetTolerances(eps, 1e-6, 300));
  use_cholesky_st(eps, "kolmo_scm_box_", STSHIFT);
  KOLMO_PETSC_CALL(EPSSetFromOptions(eps));
  KOLMO_PETSC_CALL(EPSSolve(eps));
  PetscInt converged = 0;
  KOLMO_PETSC_CALL(EPSGetConverged(eps, &converged));
  if (converged < 1) return fallback;
  PetscScalar re = 0, im = 0;
  KOLMO_PETSC_CALL(EPSGetEigenvalue(eps, 0, &re, &im));
  return static_cast<double>(re);
}

// y_q = v^T A_q v / v^T X v for every term.
std::vector<double> y_vector(const operators::ParametrizedProblem& problem, Vec v) {
  VecHandle w;
  KOLMO_PETSC_CALL(VecDuplicate(v, w.out()));
  KOLMO_PETSC_CALL(MatMult(problem.inner_product(), v, w));
  PetscScalar norm2 = 0;
  KOLMO_PETSC_CALL(VecDot(w, v, &norm2));
  std::vector<double> y(problem.lhs().num_terms());
  for (std::size_t q = 0; q < y.size(); ++q) {
    KOLMO_PETSC_CALL(MatMult(problem.lhs().matrix(q), v, w));
    PetscScalar value = 0;
    KOLMO_PETSC_CALL(VecDot(w, v, &value));
    y[q] = static_cast<double>(value) / static_cast<double>(norm2);
  }
  return y;
}

// The Ritz value of the eigensolver is a Rayleigh quotient, hence >= the exact alpha(mu) of the
// discrete problem by at most a multiple of its tolerance (1e-10, relative); the SCM constraints
// use alpha(mu_k) reduced by this relative margin so that they hold for the exact eigenvector.
constexpr double kScmAlphaMargin = 1e-8;

}  // namespace

namespace {

// The inertia of a - s x for a sequence of shifts s: one matrix with the union pattern and one
// symbolic factorisation, a numeric MUMPS LDL^T factorisation per shift.
class ShiftedInertia {
 public:
  ShiftedInertia(Mat a, Mat x) : a_(a), x_(x) {
    KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, shifted_.out()));
    // A factor 1, not 0: MatAXPY returns at once for 0 and would not widen the pattern.
    KOLMO_PETSC_CALL(MatAXPY(shifted_, 1.0, x, DIFFERENT_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatSetOption(shifted_, MAT_SYMMETRIC, PETSC_TRUE));
    KOLMO_PETSC_CALL(MatGetFactor(shifted_, MATSOLVERMUMPS, MAT_FACTOR_CHOLESKY, factor_.out()));
    // Inertia in parallel needs ICNTL(13) = 1 (no ScaLAPACK root); ICNTL(24) detects null pivots.
    KOLMO_PETSC_CALL(MatMumpsSetIcntl(factor_, 13, 1));
    KOLMO_PETSC_CALL(MatMumpsSetIcntl(factor_, 24, 1));
    IS row = nullptr, column = nullptr;
    KOLMO_PETSC_CALL(MatGetOrdering(shifted_, MATORDERINGNATURAL, &row, &column));
    ISHandle row_handle(row), column_handle(column);
    KOLMO_PETSC_CALL(MatFactorInfoInitialize(&info_));
    KOLMO_PETSC_CALL(MatCholeskyFactorSymbolic(factor_, shifted_, row, &info_));
  }

  // (negative, positive) eigenvalue counts of a - s x.
  std::pair<PetscInt, PetscInt> operator()(double s) {
    KOLMO_PETSC_CALL(MatZeroEntries(shifted_));
    KOLMO_PETSC_CALL(MatAXPY(shifted_, 1.0, a_, SUBSET_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatAXPY(shifted_, -s, x_, SUBSET_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatCholeskyFactorNumeric(factor_, shifted_, &info_));
    PetscInt negative = 0, zero = 0, positive = 0;
    KOLMO_PETSC_CALL(MatGetInertia(factor_, &negative, &zero, &positive));
    return {negative, positive};
  }

 private:
  Mat a_, x_;
  MatHandle shifted_, factor_;
  MatFactorInfo info_;
};

}  // namespace

std::pair<PetscInt, PetscInt> shifted_inertia(Mat a, Mat x, double s) {
  ShiftedInertia inertia(a, x);
  return inertia(s);
}

std::pair<double, double> certified_eigenvalue_range(Mat a, Mat x, double relative) {
  PetscReal a_norm = 0, x_norm = 0;
  KOLMO_PETSC_CALL(MatNorm(a, NORM_FROBENIUS, &a_norm));
  KOLMO_PETSC_CALL(MatNorm(x, NORM_FROBENIUS, &x_norm));
  // A (numerically) zero matrix, e.g. the symmetric part of a skew-symmetric convection term:
  // the eigensolver would break down; start the certification at 0 and skip the bisection (the
  // margin found is at round-off level anyway).
  const bool negligible = a_norm <= 1e-13 * x_norm;
  double lower = negligible ? 0.0 : extreme_eigenvalue_estimate(a, x, false, 0.0);
  double upper = negligible ? 0.0 : extreme_eigenvalue_estimate(a, x, true, 0.0);
  if (lower > upper) std::swap(lower, upper);
  const double scale =
      negligible ? std::max(1e-14, a_norm / x_norm) : std::max({std::abs(lower), std::abs(upper), 1e-12});
  ShiftedInertia inertia(a, x);
  // Widen each end by a margin growing tenfold until the inertia certifies it, then bisect
  // between the last failed and the certified shift.
  auto certify = [&](double estimate, bool is_upper) {
    auto holds = [&](double s) {
      const auto [negative, positive] = inertia(s);
      return is_upper ? positive == 0 : negative == 0;
    };
    double margin = (negligible ? 1.0 : 1e-6) * scale;
    double failed = estimate;
    double shift = is_upper ? estimate + margin : estimate - margin;
    for (int attempt = 0; !holds(shift); ++attempt) {
      KOLMO_CHECK(attempt < 60, "certified eigenvalue range: no shift certified near " << estimate);
      failed = shift;
      margin *= 10;
      shift = is_upper ? estimate + margin : estimate - margin;
    }
    if (negligible) return shift;
    const double width = std::max(upper - lower, scale);
    for (int step = 0; step < 20 && std::abs(shift - failed) > relative * width; ++step) {
      const double middle = 0.5 * (shift + failed);
      if (holds(middle)) {
        shift = middle;
      } else {
        failed = middle;
      }
    }
    // The bisection may end next to an eigenvalue, where the computed inertia is that of a
    // matrix perturbed by round-off; moving away from the spectrum keeps the certificate and
    // puts it out of reach of that perturbation.
    return is_upper ? shift + relative * width : shift - relative * width;
  };
  const double certified_lower = certify(lower, false);
  const double certified_upper = certify(upper, true);
  return {certified_lower, certified_upper};
}

StabilityBound scm_stability_bound(const operators::ParametrizedProblem& problem,
                                   const StabilityOptions& options, ScmDiagnostics* diagnostics) {
  const auto start = std::chrono::steady_clock::now();
  const auto& lhs = problem.lhs();
  const auto& space = problem.parameter_space();
  const std::size_t q_terms = lhs.num_terms();
  KOLMO_INPUT_CHECK(q_terms > 0, "SCM: problem '" << problem.type()
                                     << "' has no affine operator terms A(mu) = sum_q theta_q(mu) "
                                        "A_q (an operator known only at sample points), so the "
                                        "successive constraint method does not apply");
  KOLMO_INPUT_CHECK(options.scm_max_points >= 1 && options.scm_m_alpha >= 1 && options.scm_m_plus >= 0,
                    "SCM: max points " << options.scm_max_points << ", M_alpha " << options.scm_m_alpha
                                       << ", M_plus " << options.scm_m_plus
                                       << " (need >= 1, >= 1, >= 0)");
  // The box corners too, where there are few of them (each training point costs an LP per greedy
  // iteration and is stored as a positivity point).
  const auto points = space.dimension() <= 8 ? check_points(space, options.sample) : options.sample;
  KOLMO_INPUT_CHECK(!points.empty(), "SCM: the training sample is empty");
  const auto n_points = static_cast<Eigen::Index>(points.size());
  const auto q = static_cast<Eigen::Index>(q_terms);
  Eigen::MatrixXd theta(n_points, q);
  for (Eigen::Index i = 0; i < n_points; ++i) {
    const auto t = lhs.coefficients(points[static_cast<std::size_t>(i)]);
    for (Eigen::Index j = 0; j < q; ++j) theta(i, j) = t[static_cast<std::size_t>(j)];
  }

  ScmData data;
  data.m_alpha = options.scm_m_alpha;
  data.m_plus = options.scm_m_plus;
  data.y_min.resize(q);
  data.y_max.resize(q);
  data.theta_scale.resize(q);
  {
    Progress progress(problem.comm(), "SCM box", q_terms);
    for (Eigen::Index j = 0; j < q; ++j) {
      const auto a_sym = symmetric_part(lhs.matrix(static_cast<std::size_t>(j)), problem.symmetric());
      const auto [lower, upper] = certified_eigenvalue_range(a_sym, problem.inner_product());
      data.y_min[j] = lower;
      data.y_max[j] = upper;
      progress.advance(1);
    }
    progress.finish();
  }
  for (Eigen::Index j = 0; j < q; ++j) {
    const double range = theta.col(j).maxCoeff() - theta.col(j).minCoeff();
    data.theta_scale[j] = range > 1e-12 * theta.col(j).cwiseAbs().maxCoeff() && range > 0 ? range : 1.0;
  }
  data.positivity_theta = theta;
  data.point_theta.resize(0, q);
  data.point_alpha.resize(0);

  Eigen::MatrixXd y_vectors(0, q);
  std::vector<bool> chosen(points.size(), false);
  std::vector<double> gaps;
  std::vector<Mu> chosen_points;
  std::vector<double> packed;
  Eigen::Index next = 0;
  double max_gap = std::numeric_limits<double>::infinity();
  VecHandle v;
  KOLMO_PETSC_CALL(MatCreateVecs(problem.inner_product(), v.out(), nullptr));
  MatHandle a;
  Progress progress(problem.comm(), "SCM greedy", static_cast<std::size_t>(options.scm_max_points));
  while (true) {
    const Mu& mu = points[static_cast<std::size_t>(next)];
    lhs.assemble(mu, a);
    const auto a_sym = symmetric_part(a, problem.symmetric());
    const double alpha = smallest_eigenpair(problem.comm(), a_sym, problem.inner_product(), v,
                                            format_mu(space, mu));
    KOLMO_INPUT_CHECK(alpha > 0, "SCM: problem '" << problem.type() << "' is not coercive at "
                                                  << format_mu(space, mu) << ": alpha(mu) = " << alpha);
    const auto y = y_vector(problem, v);
    const Eigen::Index k = data.point_theta.rows();
    data.point_theta.conservativeResize(k + 1, q);
    data.point_theta.row(k) = theta.row(next);
    data.point_alpha.conservativeResize(k + 1);
    data.point_alpha[k] = alpha * (1.0 - kScmAlphaMargin);
    y_vectors.conservativeResize(k + 1, q);
    for (Eigen::Index j = 0; j < q; ++j) y_vectors(k, j) = y[static_cast<std::size_t>(j)];
    chosen[static_cast<std::size_t>(next)] = true;
    chosen_points.push_back(mu);
    packed = data.pack();

    // The next point: the largest relative gap between the upper and the lower bound.
    max_gap = 0.0;
    next = -1;
    std::vector<double> t(q_terms);
    for (Eigen::Index i = 0; i < n_points; ++i) {
      if (chosen[static_cast<std::size_t>(i)]) continue;
      for (Eigen::Index j = 0; j < q; ++j) t[static_cast<std::size_t>(j)] = theta(i, j);
      const double upper = scm_upper_bound(y_vectors, t);
      const double lower = scm_lower_bound(packed, t);
      const double gap = upper > 0 ? (upper - lower) / upper : std::numeric_limits<double>::infinity();
      if (next < 0 || gap > max_gap) {
        max_gap = gap;
        next = i;
      }
    }
    gaps.push_back(max_gap);
    progress.advance(1, "gap " + std::to_string(max_gap));
    if (next < 0 || max_gap <= options.scm_tolerance ||
        static_cast<int>(k + 1) >= options.scm_max_points)
      break;
  }
  progress.finish();

  StabilityBound bound;
  bound.kind = "scm";
  bound.sigma = std::move(packed);
  if (diagnostics) {
    diagnostics->points = static_cast<int>(data.point_theta.rows());
    diagnostics->max_gap = max_gap;
    diagnostics->gaps = gaps;
    diagnostics->chosen = chosen_points;
    diagnostics->y_min.assign(data.y_min.data(), data.y_min.data() + q);
    diagnostics->y_max.assign(data.y_max.data(), data.y_max.data() + q);
    diagnostics->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return bound;
}

double min_theta_bound(const std::vector<double>& theta, const std::vector<double>& theta_bar) {
  double bound = std::numeric_limits<double>::infinity();
  for (std::size_t q = 0; q < theta.size(); ++q) bound = std::min(bound, theta[q] / theta_bar[q]);
  return bound;
}

StabilityOptions stability_options(const StabilitySection& section) {
  StabilityOptions options;
  options.allow_sampled = section.method == "sampled";
  options.force_scm = section.method == "scm";
  options.sampled_factor = section.sampled_factor;
  options.scm_tolerance = section.scm_tolerance;
  options.scm_max_points = section.scm_max_points;
  options.scm_m_alpha = section.scm_alpha_neighbours;
  options.scm_m_plus = section.scm_positivity_neighbours;
  return options;
}

StabilityBound compute_stability_bound(const operators::ParametrizedProblem& problem,
                                       const StabilityOptions& options) {
  const auto points = check_points(problem.parameter_space(), options.sample);
  switch (problem.stability()) {
    case operators::Stability::parametrically_coercive:
      if (options.force_scm) return scm_stability_bound(problem, options);
      return min_theta(problem, points);
    case operators::Stability::inf_sup: {
      std::string why_not;
      KOLMO_INPUT_CHECK(is_helmholtz_like(problem, points, why_not),
                        "no inf-sup lower bound is available for problem '"
                            << problem.type() << "': the exact eigenvalue bound needs A(mu) = K - "
                               "t(mu) M with X = K + M, but " << why_not
                            << "; the successive constraint method (SCM) is implemented for "
                               "coercive problems only");
      KOLMO_INPUT_CHECK(!options.force_scm, "rom.stability.method: scm: problem '"
                                                << problem.type() << "' is not coercive (inf-sup "
                                                   "stable); the SCM is implemented for coercive "
                                                   "problems only");
      return eigen_interval(problem, points);
    }
    case operators::Stability::coercive:
      // The successive constraint method is rigorous; the sampled bound only when asked for.
      if (options.allow_sampled) return sampled(problem, options);
      return scm_stability_bound(problem, options);
  }
  throw InputError("unknown stability kind of problem '" + problem.type() + "'");
}

double coercivity_constant(const operators::ParametrizedProblem& problem, const Mu& mu) {
  MatHandle a;
  problem.assemble_operator(mu, a);
  const auto a_sym = symmetric_part(a, problem.symmetric());
  return smallest_eigenpair(problem.comm(), a_sym, problem.inner_product(), nullptr,
                            format_mu(problem.parameter_space(), mu));
}

std::vector<double> generalized_eigenvalues(Mat k, Mat m, double lower, double upper) {
  KOLMO_CHECK(lower < upper, "generalized_eigenvalues: empty interval [" << lower << ", " << upper << "]");
  EPSHandle eps;
  KOLMO_PETSC_CALL(EPSCreate(object_comm(k), eps.out()));
  KOLMO_PETSC_CALL(EPSSetOperators(eps, k, m));
  KOLMO_PETSC_CALL(EPSSetProblemType(eps, EPS_GHEP));
  KOLMO_PETSC_CALL(EPSSetType(eps, EPSKRYLOVSCHUR));
  KOLMO_PETSC_CALL(EPSSetWhichEigenpairs(eps, EPS_ALL));
  KOLMO_PETSC_CALL(EPSSetInterval(eps, lower, upper));
  KOLMO_PETSC_CALL(EPSSetTolerances(eps, 1e-12, 1000));
  use_cholesky_sinvert(eps, "kolmo_slice_");
  KOLMO_PETSC_CALL(EPSSetFromOptions(eps));
  KOLMO_PETSC_CALL(EPSSolve(eps));
  PetscInt converged = 0;
  KOLMO_PETSC_CALL(EPSGetConverged(eps, &converged));
  std::vector<double> sigma;
  for (PetscInt i = 0; i < converged; ++i) {
    PetscScalar re = 0, im = 0;
    KOLMO_PETSC_CALL(EPSGetEigenvalue(eps, i, &re, &im));
    sigma.push_back(re);
  }
  std::sort(sigma.begin(), sigma.end());
  // Spectrum slicing counts the eigenvalues in the interval from the inertia at its ends; check
  // that every one of them was found, since a missing one would make the bound wrong.
  PetscInt shifts = 0;
  PetscReal* at = nullptr;
  PetscInt* inertia = nullptr;
  KOLMO_PETSC_CALL(EPSKrylovSchurGetInertias(eps, &shifts, &at, &inertia));
  PetscInt expected = -1;
  if (shifts >= 2) expected = inertia[shifts - 1] - inertia[0];
  KOLMO_PETSC_CALL(PetscFree(at));
  KOLMO_PETSC_CALL(PetscFree(inertia));
  KOLMO_CHECK(expected == static_cast<PetscInt>(sigma.size()),
              "generalized eigenvalues in [" << lower << ", " << upper << "]: the inertia counts "
                                             << expected << ", the eigensolver found " << sigma.size());
  return sigma;
}

}  // namespace kolmo::rom

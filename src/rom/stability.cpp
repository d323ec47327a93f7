#include "rom/stability.hpp"

#include <algorithm>
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

// A factorisation-based shift-and-invert for `eps` (MUMPS Cholesky; inertia in parallel needs
// ICNTL(13) = 1, null pivots are detected with ICNTL(24)).
void use_cholesky_sinvert(EPS eps, const std::string& prefix) {
  KOLMO_PETSC_CALL(EPSSetOptionsPrefix(eps, prefix.c_str()));
  ST st = nullptr;
  KOLMO_PETSC_CALL(EPSGetST(eps, &st));
  KOLMO_PETSC_CALL(STSetType(st, STSINVERT));
  KSP ksp = nullptr;
  KOLMO_PETSC_CALL(STGetKSP(st, &ksp));
  KOLMO_PETSC_CALL(KSPSetType(ksp, KSPPREONLY));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCSetType(pc, PCCHOLESKY));
  KOLMO_PETSC_CALL(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
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

}  // namespace

double min_theta_bound(const std::vector<double>& theta, const std::vector<double>& theta_bar) {
  double bound = std::numeric_limits<double>::infinity();
  for (std::size_t q = 0; q < theta.size(); ++q) bound = std::min(bound, theta[q] / theta_bar[q]);
  return bound;
}

StabilityBound compute_stability_bound(const operators::ParametrizedProblem& problem,
                                       const StabilityOptions& options) {
  const auto points = check_points(problem.parameter_space(), options.sample);
  switch (problem.stability()) {
    case operators::Stability::parametrically_coercive:
      return min_theta(problem, points);
    case operators::Stability::inf_sup: {
      std::string why_not;
      KOLMO_INPUT_CHECK(is_helmholtz_like(problem, points, why_not),
                        "no inf-sup lower bound is available for problem '"
                            << problem.type() << "': the exact eigenvalue bound needs A(mu) = K - "
                               "t(mu) M with X = K + M, but " << why_not
                            << "; the successive constraint method (SCM) for general problems is "
                               "not implemented yet");
      return eigen_interval(problem, points);
    }
    case operators::Stability::coercive:
      KOLMO_INPUT_CHECK(options.allow_sampled,
                        "no rigorous coercivity lower bound is available for problem '"
                            << problem.type()
                            << "' (coercive, not parametrically coercive): it needs the successive "
                               "constraint method (SCM), which is not implemented yet. To build a "
                               "model anyway, with a NON-RIGOROUS bound (0.9 x the minimum of "
                               "alpha(mu) over the training sample), ask for it with "
                               "'--stability sampled'");
      return sampled(problem, options);
  }
  throw InputError("unknown stability kind of problem '" + problem.type() + "'");
}

double coercivity_constant(const operators::ParametrizedProblem& problem, const Mu& mu) {
  MatHandle a;
  problem.assemble_operator(mu, a);
  MatHandle symmetric_part;
  if (problem.symmetric()) {
    KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, symmetric_part.out()));
  } else {
    KOLMO_PETSC_CALL(MatTranspose(a, MAT_INITIAL_MATRIX, symmetric_part.out()));
    KOLMO_PETSC_CALL(MatAXPY(symmetric_part, 1.0, a, DIFFERENT_NONZERO_PATTERN));
    KOLMO_PETSC_CALL(MatScale(symmetric_part, 0.5));
  }
  KOLMO_PETSC_CALL(MatSetOption(symmetric_part, MAT_SYMMETRIC, PETSC_TRUE));
  EPSHandle eps;
  KOLMO_PETSC_CALL(EPSCreate(problem.comm(), eps.out()));
  KOLMO_PETSC_CALL(EPSSetOperators(eps, symmetric_part, problem.inner_product()));
  KOLMO_PETSC_CALL(EPSSetProblemType(eps, EPS_GHEP));
  KOLMO_PETSC_CALL(EPSSetType(eps, EPSKRYLOVSCHUR));
  KOLMO_PETSC_CALL(EPSSetWhichEigenpairs(eps, EPS_TARGET_MAGNITUDE));
  KOLMO_PETSC_CALL(EPSSetTarget(eps, 0.0));
  KOLMO_PETSC_CALL(EPSSetDimensions(eps, 1, PETSC_DEFAULT, PETSC_DEFAULT));
  KOLMO_PETSC_CALL(EPSSetTolerances(eps, 1e-10, 1000));
  use_cholesky_sinvert(eps, "kolmo_coercivity_");
  KOLMO_PETSC_CALL(EPSSetFromOptions(eps));
  KOLMO_PETSC_CALL(EPSSolve(eps));
  PetscInt converged = 0;
  KOLMO_PETSC_CALL(EPSGetConverged(eps, &converged));
  KOLMO_CHECK(converged >= 1, "coercivity constant at " << format_mu(problem.parameter_space(), mu)
                                                       << ": the eigensolver did not converge");
  double alpha = std::numeric_limits<double>::infinity();
  for (PetscInt i = 0; i < converged; ++i) {
    PetscScalar re = 0, im = 0;
    KOLMO_PETSC_CALL(EPSGetEigenvalue(eps, i, &re, &im));
    alpha = std::min(alpha, static_cast<double>(re));
  }
  return alpha;
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

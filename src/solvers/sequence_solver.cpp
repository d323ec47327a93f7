#include "solvers/sequence_solver.hpp"

// PetscObjectStateIncrease: marks the unchanged matrix as new after a mid-solve rebuild; the
// KSPGuess struct: a guess driven by hand needs its parent KSP set without being attached to it.
#include <petsc/private/kspimpl.h>
#include <petsc/private/petscimpl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

#include "core/error.hpp"
#include "core/log_event.hpp"
#include "core/parameter_space.hpp"
#include "core/text.hpp"
#include "solvers/ksp_gcrodr.hpp"
#include "solvers/ksp_rcg.hpp"
#include "solvers/register_solvers.hpp"

namespace kolmo::solvers {
namespace {

// A(mu) counts as the affine sum when they agree to this relative tolerance on a test vector.
constexpr PetscReal affine_tolerance = 1e-12;

// A value in [-1, 1) determined by the global index only (the same on any number of ranks).
double probe_value(PetscInt index) {
  std::uint64_t x = static_cast<std::uint64_t>(index) * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) / static_cast<double>(1ULL << 52) - 1.0;
}

const std::vector<std::string>& guess_names() {
  static const std::vector<std::string> names = {"zero", "previous", "projection", "fischer", "pod", "auto"};
  return names;
}

const std::vector<std::string>& reuse_names() {
  static const std::vector<std::string> names = {"never", "always", "auto", "refresh"};
  return names;
}

std::size_t parse_name(const std::string& what, const std::string& name,
                       const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  std::ostringstream message;
  message << "unknown " << what << " '" << name << "'";
  const std::string near = nearest_word(name, names);
  if (!near.empty()) message << " (did you mean '" << near << "'?)";
  message << "; allowed:";
  for (const auto& n : names) message << ' ' << n;
  throw InputError(message.str());
}

}  // namespace

const char* to_string(InitialGuess guess) { return guess_names()[static_cast<std::size_t>(guess)].c_str(); }
const char* to_string(PcReuse reuse) { return reuse_names()[static_cast<std::size_t>(reuse)].c_str(); }

bool SequencePolicy::is_default() const {
  const SequencePolicy d;
  return order == d.order && guess == d.guess && reuse_pc == d.reuse_pc && recycle == d.recycle;
}

SequencePolicy sequence_policy(const SequenceSection& section) {
  SequencePolicy policy;
  policy.order = parse_system_order(section.order);
  policy.guess = static_cast<InitialGuess>(parse_name("initial guess", section.guess, guess_names()));
  policy.reuse_pc = static_cast<PcReuse>(parse_name("reuse_pc policy", section.reuse_pc, reuse_names()));
  policy.recycle = section.recycle;
  policy.rebuild_factor = section.rebuild_factor;
  policy.guess_size = section.guess_size;
  policy.projection_accuracy = section.projection_accuracy;
  return policy;
}

std::string describe(const SequencePolicy& policy) {
  std::ostringstream out;
  out << "order " << to_string(policy.order) << ", guess " << to_string(policy.guess);
  const bool projection = policy.guess == InitialGuess::projection || policy.guess == InitialGuess::automatic;
  if (projection || policy.guess == InitialGuess::fischer || policy.guess == InitialGuess::pod)
    out << " (" << policy.guess_size
        << (projection
                ? ", solved to rtol x " + format_number(policy.projection_accuracy)
                : std::string())
        << ")";
  out << ", reuse_pc " << to_string(policy.reuse_pc);
  if (policy.reuse_pc == PcReuse::automatic || policy.reuse_pc == PcReuse::refresh)
    out << " (x" << format_number(policy.rebuild_factor) << ")";
  out << ", recycle " << (policy.recycle ? "on" : "off");
  return out.str();
}

SequenceSolver::SequenceSolver(const operators::ParametrizedProblem& problem,
                               const SolverSection& settings, const SequencePolicy& policy,
                               std::string prefix)
    : problem_(problem), policy_(policy), prefix_(std::move(prefix)) {
  KOLMO_CHECK(policy.rebuild_factor > 1, "rebuild_factor must exceed 1, got " << policy.rebuild_factor);
  KOLMO_CHECK(policy.guess_size >= 1, "guess_size must be at least 1, got " << policy.guess_size);
  KOLMO_CHECK(policy.projection_accuracy > 0 && policy.projection_accuracy <= 1,
              "projection_accuracy must be in (0, 1], got " << policy.projection_accuracy);
  register_solvers();
  events_ = {log_event("KolmoSeqSolve", KSP_CLASSID), log_event("KolmoSeqAssemble", KSP_CLASSID),
             log_event("KolmoSeqGuess", KSP_CLASSID), log_event("KolmoSeqRemember", KSP_CLASSID),
             log_event("KolmoSeqOrder", KSP_CLASSID)};
  apply_petsc_options(settings, prefix_);
  galerkin_ = problem.symmetric() && problem.stability() != operators::Stability::inf_sup;

  KOLMO_PETSC_CALL(KSPCreate(problem.comm(), ksp_.out()));
  if (!prefix_.empty()) KOLMO_PETSC_CALL(KSPSetOptionsPrefix(ksp_, prefix_.c_str()));
  std::string type = settings.ksp_type;
  if (policy.recycle && type != ksp_type_rcg && type != ksp_type_gcrodr)
    type = galerkin_ ? ksp_type_rcg : ksp_type_gcrodr;
  set_solver_types(ksp_, type, settings.pc_type);
  // Both setters do nothing for other KSP types; the options database may still override them.
  gcrodr_set_recycle(ksp_, policy.recycle);
  rcg_set_recycle(ksp_, policy.recycle);
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, settings.rtol, settings.atol, PETSC_DEFAULT, settings.max_it));
  configure_petsc_guess();
  set_from_options(ksp_, settings);
  // The preconditioner must use the assembled matrix only. While it is kept, the operator is the
  // matrix-free sum with the new coefficients, and PCMG/GAMG (which default to smoothing the finest
  // level with the operator) would mix it with coarse levels of the last build: an indefinite
  // preconditioner (measured: CG + GAMG stopped with DIVERGED_INDEFINITE_PC).
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp_, &pc));
  KOLMO_PETSC_CALL(PCSetUseAmat(pc, PETSC_FALSE));
  KOLMO_PETSC_CALL(KSPGetTolerances(ksp_, &rtol_, &atol_, &dtol_, &max_it_));
  solve_rtol_ = rtol_;  // set per system in solve()
  // Wrap whatever convergence test the options chose (the caller's test keeps deciding).
  KOLMO_PETSC_CALL(KSPGetAndClearConvergenceTest(ksp_, &watch_.test, &watch_.context, &watch_.destroy));
  KOLMO_PETSC_CALL(KSPSetConvergenceTest(ksp_, stale_test, &watch_, nullptr));
  rhs_ = problem.create_vector();
  residual_ = problem.create_vector();
}

SequenceSolver::~SequenceSolver() {
  // The KSP goes first: the wrapped test's context must outlive every use of it.
  guess_.reset();
  ksp_.reset();
  if (watch_.destroy) watch_.destroy(watch_.context);
}

PetscErrorCode SequenceSolver::stale_test(KSP ksp, PetscInt it, PetscReal rnorm, KSPConvergedReason* reason,
                                          void* context) {
  auto* watch = static_cast<StaleWatch*>(context);
  PetscCall(watch->test(ksp, it, rnorm, reason, watch->context));
  if (it == 0) {
    watch->first = rnorm;
    watch->reached = -1;
    watch->cap = -1;
    watch->stopped = false;
    // ttol is what the (default) test compares with, set by it at iteration 0.
    if (watch->limit > 0 && ksp->ttol > 0 && rnorm > ksp->ttol)
      watch->cap = static_cast<PetscInt>(std::ceil(watch->limit * std::log10(rnorm / ksp->ttol))) + 1;
  }
  watch->last = rnorm;
  watch->iterations = it;
  if (watch->reached < 0 && (rnorm <= ksp->ttol * watch->reach_factor || *reason > 0)) watch->reached = it;
  if (*reason != KSP_CONVERGED_ITERATING || watch->limit <= 0) return 0;
  // Stop at the cap, or earlier once the rate so far is clearly too slow (two iterations of slack
  // for the irregular start of Krylov methods).
  const double gained = rnorm > 0 && rnorm < watch->first ? std::log10(watch->first / rnorm) : 0.0;
  const bool slow = watch->early && it >= 3 && static_cast<double>(it) > watch->limit * gained + 2.0;
  if ((watch->cap >= 0 && it >= watch->cap) || slow) {
    *reason = KSP_DIVERGED_ITS;
    watch->stopped = true;
  }
  return 0;
}

double SequenceSolver::last_rate() const {
  if (!(watch_.first > 0 && watch_.last > 0 && watch_.last < watch_.first) || watch_.iterations <= 0) return 0;
  const double decades = std::log10(watch_.first / watch_.last);
  return decades > 0.1 ? static_cast<double>(watch_.iterations) / decades : 0;
}

std::string SequenceSolver::ksp_type() const {
  KSPType type = nullptr;
  KOLMO_PETSC_CALL(KSPGetType(ksp_, &type));
  return type ? type : "";
}

void SequenceSolver::configure_petsc_guess() {
  if (policy_.guess != InitialGuess::fischer && policy_.guess != InitialGuess::pod) return;
  // Not attached with KSPSetGuess: KSPSolve would then form the guess itself, with no chance to
  // reject a bad one. KSPGuessSetUp reads the operators and the reuse flag through guess->ksp.
  KSPGuessHandle guess;
  KOLMO_PETSC_CALL(KSPGuessCreate(problem_.comm(), guess.out()));
  static_cast<KSPGuess>(guess)->ksp = ksp_;
  if (!prefix_.empty())
    KOLMO_PETSC_CALL(PetscObjectSetOptionsPrefix(reinterpret_cast<PetscObject>(static_cast<KSPGuess>(guess)),
                                                 prefix_.c_str()));
  if (policy_.guess == InitialGuess::fischer) {
    KOLMO_PETSC_CALL(KSPGuessSetType(guess, KSPGUESSFISCHER));
    KOLMO_PETSC_CALL(KSPGuessFischerSetModel(guess, 1, policy_.guess_size));
  } else {
    KOLMO_PETSC_CALL(KSPGuessSetType(guess, KSPGUESSPOD));
    // POD's size has no setter, only an option; a value given on the command line wins.
    const std::string option = std::string("-") + prefix_ + "ksp_guess_pod_size";
    PetscBool given = PETSC_FALSE;
    KOLMO_PETSC_CALL(PetscOptionsHasName(nullptr, nullptr, option.c_str(), &given));
    if (!given)
      KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, option.c_str(), std::to_string(policy_.guess_size).c_str()));
    KOLMO_PETSC_CALL(KSPGuessSetFromOptions(guess));
    if (!given) KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, option.c_str()));
  }
  guess_ = std::move(guess);
}

bool SequenceSolver::form_petsc_guess(Vec u) {
  const ScopedLogEvent event(events_.guess);  // forming the guess and checking it
  KOLMO_PETSC_CALL(VecSet(u, 0.0));
  KOLMO_PETSC_CALL(KSPGuessSetUp(guess_));
  KOLMO_PETSC_CALL(KSPGuessFormGuess(guess_, rhs_, u));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNorm(u, NORM_2, &norm));
  if (norm == 0) return false;
  const PetscReal residual = relative_residual(u);
  if (residual < 1 && std::isfinite(residual)) return true;
  KOLMO_PETSC_CALL(VecSet(u, 0.0));
  return false;
}

std::vector<std::size_t> SequenceSolver::order(const std::vector<Mu>& points) const {
  const ScopedLogEvent event(events_.order);
  std::vector<std::size_t> result;
  if (policy_.order == SystemOrder::signature) {
    PointSet signatures;
    signatures.reserve(points.size());
    MatHandle scratch;
    for (const auto& mu : points) {
      problem_.assemble_operator(mu, scratch);
      signatures.push_back(matrix_signature(scratch));
    }
    result = signature_order(signatures);
  } else {
    result = order_parameters(problem_.parameter_space(), points, policy_.order);
  }
  broadcast_order(problem_.comm(), result);
  return result;
}

void SequenceSolver::assemble_matrix(const Mu& mu) {
  const ScopedLogEvent event(events_.assemble);
  const bool first = !matrix_;
  const double start = MPI_Wtime();
  problem_.assemble_operator(mu, matrix_);
  // The first assembly allocates; the later ones are what a kept system would save.
  if (!first) assemble_seconds_ = MPI_Wtime() - start;
  if (first && affine_ < 0) affine_ = check_affine(mu) ? 1 : 0;
}

void SequenceSolver::count_kept_products(double products) {
  // Weight 1/4 on the newest, as the other running estimates.
  kept_products_ = kept_products_ > 0 ? 0.75 * kept_products_ + 0.25 * products : products;
}

bool SequenceSolver::matrix_free_pays() {
  if (!policy_.matrix_free || affine_ != 1) return false;
  if (composite_extra_seconds_ < 0) {
    // Measured once: what a product with the sum of the terms costs more than one with the
    // assembled matrix (the best of three, against timer noise). The values do not matter.
    set_matrix_free_operator();
    VecHandle x, y;
    KOLMO_PETSC_CALL(MatCreateVecs(matrix_, x.out(), y.out()));
    KOLMO_PETSC_CALL(VecSet(x, 1.0));
    double with_composite = 1e300, with_matrix = 1e300;
    for (int round = 0; round < 3; ++round) {
      double start = MPI_Wtime();
      KOLMO_PETSC_CALL(MatMult(composite_, x, y));
      with_composite = std::min(with_composite, MPI_Wtime() - start);
      start = MPI_Wtime();
      KOLMO_PETSC_CALL(MatMult(matrix_, x, y));
      with_matrix = std::min(with_matrix, MPI_Wtime() - start);
    }
    composite_extra_seconds_ = std::max(0.0, with_composite - with_matrix);
  }
  // A kept system applies the operator once per iteration, once for the initial residual and once
  // to check the guess; once in all when the guess meets the tolerance. Measured on ordered
  // advection-diffusion samples (three terms over the same stencil, 10 iterations per kept
  // system): the sum cost 5% more end to end than assembling.
  double figures[2] = {assemble_seconds_, kept_products_ * composite_extra_seconds_};
  MPI_Allreduce(MPI_IN_PLACE, figures, 2, MPI_DOUBLE, MPI_MAX, problem_.comm());
  return figures[0] > figures[1];
}

bool SequenceSolver::check_affine(const Mu& mu) {
  const auto& lhs = problem_.lhs();
  if (lhs.num_terms() == 0) return false;
  PetscInt rows = 0, cols = 0, term_rows = 0, term_cols = 0;
  KOLMO_PETSC_CALL(MatGetSize(matrix_, &rows, &cols));
  for (std::size_t q = 0; q < lhs.num_terms(); ++q) {
    KOLMO_PETSC_CALL(MatGetSize(lhs.matrix(q), &term_rows, &term_cols));
    if (term_rows != rows || term_cols != cols) return false;
  }
  VecHandle x, ax, sum, term;
  KOLMO_PETSC_CALL(MatCreateVecs(matrix_, x.out(), ax.out()));
  KOLMO_PETSC_CALL(VecDuplicate(ax, sum.out()));
  KOLMO_PETSC_CALL(VecDuplicate(ax, term.out()));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(x, &low, &high));
  PetscScalar* values = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(x, &values));
  for (PetscInt i = low; i < high; ++i) values[i - low] = probe_value(i);
  KOLMO_PETSC_CALL(VecRestoreArray(x, &values));
  KOLMO_PETSC_CALL(MatMult(matrix_, x, ax));
  const auto theta = lhs.coefficients(mu);
  KOLMO_PETSC_CALL(VecSet(sum, 0.0));
  for (std::size_t q = 0; q < lhs.num_terms(); ++q) {
    KOLMO_PETSC_CALL(MatMult(lhs.matrix(q), x, term));
    KOLMO_PETSC_CALL(VecAXPY(sum, theta[q], term));
  }
  PetscReal norm = 0, difference = 0;
  KOLMO_PETSC_CALL(VecNorm(ax, NORM_2, &norm));
  KOLMO_PETSC_CALL(VecAXPY(sum, -1.0, ax));
  KOLMO_PETSC_CALL(VecNorm(sum, NORM_2, &difference));
  return difference <= affine_tolerance * norm;
}

bool SequenceSolver::pc_refreshable() const {
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp_, &pc));
  PetscBool match = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompareAny(reinterpret_cast<PetscObject>(pc), &match, PCGAMG, PCHMG, ""));
  return match == PETSC_TRUE;
}

void SequenceSolver::set_reuse_interpolation(bool reuse) {
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp_, &pc));
  PetscBool gamg = PETSC_FALSE, hmg = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), PCGAMG, &gamg));
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), PCHMG, &hmg));
  if (gamg) KOLMO_PETSC_CALL(PCGAMGSetReuseInterpolation(pc, reuse ? PETSC_TRUE : PETSC_FALSE));
  if (hmg) KOLMO_PETSC_CALL(PCHMGSetReuseInterpolation(pc, reuse ? PETSC_TRUE : PETSC_FALSE));
}

void SequenceSolver::build_preconditioner() {
  // Under refresh the flag is left on between systems; a full build must not keep the old
  // prolongators (GAMG rebuilds everything when the flag is off, even for the same pattern).
  if (policy_.reuse_pc == PcReuse::refresh) set_reuse_interpolation(false);
  KOLMO_PETSC_CALL(KSPSetReusePreconditioner(ksp_, PETSC_FALSE));
  KOLMO_PETSC_CALL(KSPSetUp(ksp_));
  pc_built_ = true;
  ++pc_builds_;
}

bool SequenceSolver::refresh_preconditioner() {
  if (!pc_refreshable()) {
    build_preconditioner();
    return false;
  }
  // matrix_ was assembled in place (same nonzero pattern), so PCSetUp sees SAME_NONZERO_PATTERN:
  // GAMG / HMG then keep their prolongators and redo P^T A P on every level, the smoothers
  // (Chebyshev eigenvalue estimates included) and the coarse factorisation.
  set_reuse_interpolation(true);
  KOLMO_PETSC_CALL(KSPSetReusePreconditioner(ksp_, PETSC_FALSE));
  KOLMO_PETSC_CALL(KSPSetUp(ksp_));
  ++pc_refreshes_;
  return true;
}

void SequenceSolver::remember_solution(Vec u, bool extend_basis) {
  const ScopedLogEvent event(events_.remember);
  if (policy_.guess == InitialGuess::previous) {
    if (!previous_) KOLMO_PETSC_CALL(VecDuplicate(u, previous_.out()));
    KOLMO_PETSC_CALL(VecCopy(u, previous_));
    return;
  }
  if (policy_.guess != InitialGuess::projection && policy_.guess != InitialGuess::automatic) return;
  // The first system has been assembled by now, so affine_ is known.
  if (!projection_)
    projection_.emplace(problem_.lhs(), static_cast<std::size_t>(policy_.guess_size), affine_ == 1, galerkin_);
  projection_->remember(u, extend_basis);
}

void SequenceSolver::set_matrix_free_operator() {
  if (!composite_) {
    std::vector<Mat> terms;
    for (std::size_t q = 0; q < problem_.lhs().num_terms(); ++q) terms.push_back(problem_.lhs().matrix(q));
    KOLMO_PETSC_CALL(MatCreateComposite(problem_.comm(), static_cast<PetscInt>(terms.size()), terms.data(),
                                        composite_.out()));
  }
  std::vector<PetscScalar> scalings(theta_.begin(), theta_.end());
  KOLMO_PETSC_CALL(MatCompositeSetScalings(composite_, scalings.data()));
  // New values: recycling KSPs and KSPGuess key on the operator's state.
  KOLMO_PETSC_CALL(PetscObjectStateIncrease(reinterpret_cast<PetscObject>(static_cast<Mat>(composite_))));
  op_ = composite_;
}

bool SequenceSolver::form_kolmo_guess(Vec u) {
  if (policy_.guess == InitialGuess::previous && previous_) {
    KOLMO_PETSC_CALL(VecCopy(previous_, u));
    return true;
  }
  if (projecting() && projection_) return projection_->form(rhs_, op_, theta_, u);
  return false;
}

bool SequenceSolver::projecting() const {
  return policy_.guess == InitialGuess::projection ||
         (policy_.guess == InitialGuess::automatic && budget_.active());
}

void SequenceSolver::update_estimates(const SequenceStats& stats, double guess_seconds, PetscInt reached,
                                      bool from_zero) {
  // Weight 1/4 on the newest system: the costs drift along a sequence (kept preconditioners).
  auto blend = [](double& estimate, double value) { estimate = estimate > 0 ? 0.75 * estimate + 0.25 * value : value; };
  if (stats.iterations > 0) blend(iteration_seconds_, stats.solve_seconds / static_cast<double>(stats.iterations));
  if (from_zero && reached > 0) blend(zero_iterations_, static_cast<double>(reached));
  blend(setup_seconds_, std::max(0.0, stats.setup_seconds - guess_seconds));
}

void SequenceSolver::settle_projection(double guess_seconds, double keep_seconds, double gained,
                                       const SequenceStats* stats, PetscInt reached) {
  // Charged: the guess, keeping its solution, and the iterations beyond rtol that the projection
  // asks for. Credited: the iterations to rtol that a zero guess would have taken more, or the whole
  // set-up and solve when the guess met the tolerance. Counted in measured iterations, not in the
  // decades the guess gained: a projected guess removes the components the preconditioned Krylov
  // method reduces fastest (measured on advection-diffusion with GMRES + BoomerAMG: 0.5 iterations
  // saved per system, where 1.9 iterations per decade predicted 2).
  double cost = guess_seconds + keep_seconds, saved = 0;
  if (!stats) {
    saved = setup_seconds_ + zero_iterations_ * iteration_seconds_;
  } else {
    const auto to_rtol = static_cast<double>(reached >= 0 ? std::min(reached, stats->iterations) : stats->iterations);
    cost += (static_cast<double>(stats->iterations) - to_rtol) * iteration_seconds_;
    if (zero_iterations_ > 0) saved = (zero_iterations_ - to_rtol) * iteration_seconds_;
    // The mean of the solves from zero describes the systems it was measured on, and along an
    // ordered sequence the iteration count drifts (measured on 32 ordered advection-diffusion
    // samples at 512^2: the first system, the only one solved from zero, put the saving at 3
    // iterations per system; the solves with the guess took 0.9 fewer than without). So the
    // saving is also bounded by this solve's own rate: `to_rtol` iterations took the residual
    // from the guess's 10^-gained down to rtol, and a zero guess has `gained` decades more to go.
    const double decades_to_rtol = std::log10(1.0 / rtol_) - gained;
    if (gained > 0 && decades_to_rtol > 0)
      saved = std::min(saved, to_rtol * gained / decades_to_rtol * iteration_seconds_);
  }
  double figures[2] = {cost, saved};
  MPI_Allreduce(MPI_IN_PLACE, figures, 2, MPI_DOUBLE, MPI_MAX, problem_.comm());
  // The affine reduced basis grows (up to guess_size, then restarts from half); the window of
  // recent solutions does not.
  budget_.record(figures[0], figures[1], gained, affine_ == 1);
}

double SequenceSolver::gained_decades(PetscReal guess_residual, Vec u) {
  // An exact guess counts as 16 decades.
  const auto decades = [](double ratio) { return ratio > 0 ? std::min(16.0, std::log10(1.0 / ratio)) : 16.0; };
  if (!galerkin_ || !u) return decades(guess_residual);
  // CG minimises the energy norm of the error, and its iterations follow that norm: a Galerkin
  // guess never has more energy error than zero, though early in a sequence its residual often
  // exceeds ||f|| (measured on thermal-block samples). ||u - u0||_A^2 = (u - u0)^T (f - A u0),
  // and ||u||_A^2 = u^T f, with u the solution just computed.
  PetscScalar error = 0, whole = 0;
  KOLMO_PETSC_CALL(VecWAXPY(residual_, -1.0, guess_copy_, u));
  KOLMO_PETSC_CALL(VecDot(residual_, guess_image_, &error));
  KOLMO_PETSC_CALL(VecDot(u, rhs_, &whole));
  const double e = PetscRealPart(error), w = PetscRealPart(whole);
  if (!(w > 0)) return decades(guess_residual);
  return decades(std::sqrt(std::max(0.0, e) / w));
}

PetscReal SequenceSolver::relative_residual(Vec u, PetscReal* rhs_norm) {
  PetscReal residual = 0, rhs = 0;
  KOLMO_PETSC_CALL(MatMult(op_, u, residual_));
  KOLMO_PETSC_CALL(VecAYPX(residual_, -1.0, rhs_));
  KOLMO_PETSC_CALL(VecNorm(residual_, NORM_2, &residual));
  KOLMO_PETSC_CALL(VecNorm(rhs_, NORM_2, &rhs));
  if (rhs_norm) *rhs_norm = rhs;
  return rhs > 0 ? residual / rhs : residual;
}

SequenceStats SequenceSolver::solve(const Mu& mu, Vec u) {
  SequenceStats stats;
  stats.position = solved_++;
  const double start = MPI_Wtime();
  const bool build = !pc_built_ || policy_.reuse_pc == PcReuse::never;
  const bool refresh = !build && policy_.reuse_pc == PcReuse::refresh;
  const bool kept = !build && !refresh;  // the preconditioner of an earlier system, as it is
  const ScopedLogEvent event(events_.solve);
  if (affine_ == 1) theta_ = problem_.lhs().coefficients(mu);
  {
    const ScopedLogEvent assembly(events_.assemble);
    problem_.assemble_rhs(mu, rhs_);
  }

  // Kolmo's own guesses are formed before anything is set up: one that already meets the
  // tolerance (in the true residual, relative to ||f||) ends the solve, and neither A(mu) nor the
  // preconditioner is built for it. Late in a long sequence the projection is often that good.
  // PETSc's fischer/pod are left to PETSc's order (set-up first), as a PETSc user gets them.
  bool nonzero = false, assembled = false, composite_current = false;
  const bool automatic = policy_.guess == InitialGuess::automatic;
  const bool projection = projecting();
  const bool early_guess = policy_.guess == InitialGuess::previous || projection;
  double guess_seconds = 0;
  PetscReal guess_residual = -1;  // of the guess formed by Kolmo (-1: none)
  if (early_guess && (previous_ || (projection_ && !projection_->empty()))) {
    // A system that builds or refreshes the preconditioner needs A(mu) unless its guess meets
    // the tolerance; the guess is checked with the sum of the terms, one product.
    if (affine_ == 1 && (kept ? matrix_free_pays() : policy_.matrix_free)) {
      set_matrix_free_operator();
      composite_current = true;
    } else {
      assemble_matrix(mu);
      op_ = matrix_;
      assembled = true;
    }
    const double guess_start = MPI_Wtime();
    PetscReal residual = 0, rhs_norm = 0;
    {
      const ScopedLogEvent guess(events_.guess);  // forming the guess and checking it
      nonzero = form_kolmo_guess(u);
      if (nonzero) residual = relative_residual(u, &rhs_norm);
    }
    if (nonzero) {
      guess_seconds = MPI_Wtime() - guess_start;
      guess_residual = std::isfinite(residual) ? residual : PetscReal(-1);
      if (automatic && galerkin_) {
        // Kept for gained_decades: the guess and its residual (the Krylov solve overwrites u).
        if (!guess_copy_) {
          KOLMO_PETSC_CALL(VecDuplicate(u, guess_copy_.out()));
          KOLMO_PETSC_CALL(VecDuplicate(u, guess_image_.out()));
        }
        KOLMO_PETSC_CALL(VecCopy(u, guess_copy_));
        KOLMO_PETSC_CALL(VecCopy(residual_, guess_image_));
      }
      if (std::isfinite(residual) && (residual <= rtol_ || residual * rhs_norm <= atol_)) {
        stats.iterations = 0;
        stats.reason = KSP_CONVERGED_RTOL;
        stats.relative_residual = residual;
        stats.setup_seconds = MPI_Wtime() - start;
        // Not remembered: u lies in the span of what is kept already.
        ++guesses_accepted_;
        stats.matrix_free = composite_current;
        if (kept) count_kept_products(1);
        if (automatic) settle_projection(guess_seconds, 0, gained_decades(residual, nullptr), nullptr, 0);
        return stats;
      }
    }
  }

  // While the preconditioner is kept, an affine operator need not be assembled (a refresh needs
  // the new matrix); the guess above has decided already if it was checked.
  const bool matrix_free = kept && !assembled && (composite_current || matrix_free_pays());
  stats.matrix_free = matrix_free;
  if (matrix_free) {
    if (!composite_current) set_matrix_free_operator();
  } else {
    if (!assembled) assemble_matrix(mu);
    if (affine_ == 1 && theta_.empty()) theta_ = problem_.lhs().coefficients(mu);
    op_ = matrix_;
  }
  KOLMO_PETSC_CALL(KSPSetOperators(ksp_, op_, matrix_));
  bool fresh = build;  // the solve (or its second part) runs on a preconditioner fully built for it
  if (build) {
    build_preconditioner();
    base_rate_ = 0;
  } else if (refresh) {
    stats.pc_refreshed = refresh_preconditioner();
    fresh = !stats.pc_refreshed;
    if (fresh) base_rate_ = 0;
  } else {
    KOLMO_PETSC_CALL(KSPSetReusePreconditioner(ksp_, PETSC_TRUE));
    KOLMO_PETSC_CALL(KSPSetUp(ksp_));
  }
  stats.pc_rebuilt = fresh;

  if (!early_guess && guess_) nonzero = form_petsc_guess(u);
  // A direct solve (preonly) takes no initial guess (PETSc refuses one); the guess served only to
  // skip systems it already solves.
  PetscBool direct = PETSC_FALSE;
  KOLMO_PETSC_CALL(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(static_cast<KSP>(ksp_)), KSPPREONLY, &direct));
  if (direct) nonzero = false;
  if (!nonzero) KOLMO_PETSC_CALL(VecSet(u, 0.0));
  KOLMO_PETSC_CALL(KSPSetInitialGuessNonzero(ksp_, nonzero ? PETSC_TRUE : PETSC_FALSE));
  // A projection onto solutions that are only accurate to rtol stalls near rtol; solutions that
  // enter it are solved further, so that later guesses can meet rtol on their own.
  solve_rtol_ = projection ? rtol_ * policy_.projection_accuracy : rtol_;
  KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, solve_rtol_, atol_, dtol_, max_it_));
  const double after_setup = MPI_Wtime();
  stats.setup_seconds = after_setup - start;

  // A kept (or refreshed) preconditioner may have gone stale: under auto and refresh, stop a solve
  // that converges more than rebuild_factor times slower than the reference, rebuild, and go on
  // from the iterate reached.
  const bool watching = policy_.reuse_pc == PcReuse::automatic || policy_.reuse_pc == PcReuse::refresh;
  const bool watched = watching && !fresh && base_rate_ > 0;
  watch_.limit = watched ? policy_.rebuild_factor * base_rate_ : 0;
  // A refreshed hierarchy degrades gradually, and CG + GAMG's first iterations are irregular in
  // the true residual: the early test stopped 30 of 48 refreshed i.i.d. thermal-block solves that
  // then needed as many iterations after a full build. Under refresh only the cap stops a solve.
  watch_.early = policy_.reuse_pc != PcReuse::refresh;
  watch_.reach_factor = rtol_ / solve_rtol_;
  KOLMO_PETSC_CALL(KSPSolve(ksp_, rhs_, u));
  KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp_, &stats.iterations));
  KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp_, &stats.reason));
  stats.solve_seconds = MPI_Wtime() - after_setup;
  PetscInt reached = watch_.reached;  // iterations to rtol_ (-1: not reached)

  // A kept or refreshed preconditioner that breaks the Krylov method (measured: PCHMG with reused
  // interpolation gave DIVERGED_INDEFINITE_PC on i.i.d. thermal-block samples) is stale too.
  const bool broken = watching && !fresh && stats.reason < 0 && !(watched && watch_.stopped);
  if ((watched && watch_.stopped) || broken) {
    const double rebuild_start = MPI_Wtime();
    if (broken) {
      // The iterate of a broken solve may be worse than none: keep it only if it reduced the residual.
      const PetscReal residual = relative_residual(u);
      if (!(std::isfinite(residual) && residual < 1)) KOLMO_PETSC_CALL(VecSet(u, 0.0));
    }
    if (matrix_free) {
      assemble_matrix(mu);
    } else {
      // A new state makes the preconditioner rebuild and a recycle space re-fit to the new
      // preconditioned operator, although the matrix itself is unchanged.
      KOLMO_PETSC_CALL(PetscObjectStateIncrease(reinterpret_cast<PetscObject>(static_cast<Mat>(matrix_))));
    }
    // Set again even when unchanged: after a solve KSPSetUp returns at once until the operators
    // are set, and the rebuild would happen in the solve's first PCApply, timed as solving.
    KOLMO_PETSC_CALL(KSPSetOperators(ksp_, op_, matrix_));
    build_preconditioner();
    const double rebuild_end = MPI_Wtime();
    watch_.limit = 0;
    KOLMO_PETSC_CALL(KSPSetInitialGuessNonzero(ksp_, PETSC_TRUE));
    KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, solve_rtol_, atol_, dtol_, max_it_ - stats.iterations));
    KOLMO_PETSC_CALL(KSPSolve(ksp_, rhs_, u));
    KOLMO_PETSC_CALL(KSPSetTolerances(ksp_, solve_rtol_, atol_, dtol_, max_it_));
    PetscInt more = 0;
    KOLMO_PETSC_CALL(KSPGetIterationNumber(ksp_, &more));
    KOLMO_PETSC_CALL(KSPGetConvergedReason(ksp_, &stats.reason));
    if (reached < 0 && watch_.reached >= 0) reached = stats.iterations + watch_.reached;
    stats.iterations += more;
    stats.setup_seconds += rebuild_end - rebuild_start;
    stats.solve_seconds += MPI_Wtime() - rebuild_end;
    stats.pc_rebuilt = true;
    fresh = true;
  }
  watch_.limit = 0;
  if (watching && fresh && stats.reason > 0) base_rate_ = last_rate();

  // Before residual_ is reused.
  const double gained = automatic && projection && guess_residual >= 0 ? gained_decades(guess_residual, u) : 0.0;
  stats.relative_residual = relative_residual(u);

  if (stats.reason < 0 || !std::isfinite(stats.relative_residual)) {
    throw SolverError(std::string("truth solve at ") + format_mu(problem_.parameter_space(), mu) +
                          " did not converge: " + KSPConvergedReasons[stats.reason] + " after " +
                          std::to_string(stats.iterations) + " iterations (relative residual " +
                          format_short(stats.relative_residual) + ", sequence policy " +
                          describe(policy_) +
                          "); change solver.ksp_type / solver.pc_type / solver.max_it / "
                          "solver.sequence in the case file, or pass -" +
                          prefix_ + "ksp_monitor to watch it",
                      stats.reason);
  }
  const double keep_start = MPI_Wtime();
  remember_solution(u, projection);
  const double keep_seconds = MPI_Wtime() - keep_start;
  if (reached < 0) reached = stats.iterations;
  if (!stats.pc_rebuilt && !stats.pc_refreshed) {
    count_kept_products(static_cast<double>(stats.iterations) + (nonzero ? 2 : 1));
  } else if (kept_products_ == 0) {
    count_kept_products(static_cast<double>(stats.iterations) + 2);  // until a kept system is seen
  }
  if (automatic) update_estimates(stats, guess_seconds, reached, !nonzero);
  if (automatic && !projection) budget_.skip();
  if (automatic && projection && guess_residual >= 0)
    settle_projection(guess_seconds, keep_seconds, gained, &stats, reached);
  if (guess_) {
    const ScopedLogEvent remember(events_.remember);
    KOLMO_PETSC_CALL(KSPGuessUpdate(guess_, rhs_, u));
  }
  return stats;
}

std::vector<SequenceStats> SequenceSolver::solve_all(
    const std::vector<Mu>& points,
    const std::function<void(std::size_t, Vec, const SequenceStats&)>& on_solved) {
  const auto sequence = order(points);
  std::vector<SequenceStats> all(points.size());
  VecHandle u = problem_.create_vector();
  for (const std::size_t index : sequence) {
    all[index] = solve(points[index], u);
    if (on_solved) on_solved(index, u, all[index]);
  }
  return all;
}

void SequenceSolver::reset() {
  previous_.reset();
  projection_.reset();
  solved_ = 0;
  kept_products_ = 0;
  pc_built_ = false;
  base_rate_ = 0;
  budget_ = ProjectionBudget{};
  iteration_seconds_ = zero_iterations_ = setup_seconds_ = 0;
  gcrodr_clear_recycle_space(ksp_);
  rcg_clear_deflation_space(ksp_);
  configure_petsc_guess();
}

}  // namespace kolmo::solvers

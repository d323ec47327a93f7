#pragma once
/// @file
/// Solves a sequence A(mu_i) u_i = f(mu_i) of truth systems with policies on top of any PETSc KSP:
/// the order of the systems, the initial guess, when the preconditioner is rebuilt, and whether a
/// Krylov subspace is recycled from one system to the next. The case file sets them under
/// `solver.sequence` (docs/case-files.md); `kolmo snapshots`, `kolmo sweep` and the greedy of
/// `kolmo offline` use them.
///
/// Policies:
/// - order: given | nearest | hilbert | signature | farthest (solvers/system_ordering.hpp). Results are always
///   reported at the points' original indices.
/// - guess: zero; previous (the last solution); projection (the best combination of earlier
///   solutions for the new system: Galerkin in the energy norm for symmetric coercive problems,
///   minimal residual otherwise); fischer | pod (PETSc's KSPGuess types with guess_size vectors, set up, formed and
///   updated with PETSc's own calls around KSPSolve).
///   projection on an affine problem (A(mu) = sum_q theta_q(mu) A_q, verified on the first system)
///   is a reduced basis of up to guess_size solutions (a guess costs guess_size inner products and a
///   small dense solve); on other problems a projection onto the last guess_size solutions (guess_size
///   matrix-vector products per system); see solvers/projection_guess.hpp.
///   PETSc resets a KSPGuess whenever the matrix changes unless the preconditioner is being
///   reused, so fischer and pod only carry history across systems that reuse it; their bases are
///   then orthonormalised with the matrices of earlier systems, which can make the guess far worse
///   than zero (measured: fischer gave residuals 1e8 times ||f|| on the thermal block), so a PETSc
///   guess whose residual is not below ||f|| is replaced by zero (one matrix-vector product).
///   Kolmo's guesses (previous, projection) are formed before A(mu) is assembled or the
///   preconditioner set up: a guess whose true residual already meets rtol (relative to ||f||) or
///   atol is the solution, with no Krylov solve and no set-up (late in a long sequence the
///   projection often is that good). Such a solution is not added to what is kept. Under
///   projection, systems that do need a Krylov solve are solved to rtol * projection_accuracy:
///   the projection onto solutions accurate only to rtol stalls near rtol (measured on 100 i.i.d.
///   thermal-block systems: the guess met the tolerance for 43 systems, and for 53 once the
///   solutions kept were ten times more accurate). PETSc's guesses
///   keep PETSc's order (set-up first), as a PETSc user gets them.
///   auto: projection while it pays (solvers/projection_budget.hpp). Each system with the guess is
///   charged what the guess cost (forming and checking it, adding the solution to the basis, the
///   iterations beyond rtol that projection_accuracy asks for) and credited what it saved (the
///   iterations to rtol fewer than the running mean of solves from a zero guess, but no more than
///   the solve's own rate puts on the decades the guess gained, at the measured seconds per
///   iteration; or the whole set-up and solve when it met the tolerance). Whether the
///   guesses improve is measured in the decades they gain: in the energy norm of the error for
///   Galerkin guesses (what CG reduces), in the residual for minimal-residual ones. Every
///   8 such systems the balance is judged; a loss (unless an affine basis is still growing and
///   its guesses improving) switches the guess off for 8 systems; then 4 systems probe it, and
///   each failed probe doubles the pause (up to 64); a probe whose guesses beat the best before
///   the pause by a decade keeps it on although it loses. Without the guess a system starts from zero,
///   is solved to rtol, and its solution is not added to an affine basis. The figures are the
///   largest over the ranks, so the ranks agree.
/// - reuse_pc: never (the preconditioner is built for every system); always (built for the first
///   system only); auto (kept while it works). A build is PETSc's set-up for the new matrix under
///   the PC's own options: PETSc 3.18's PCGAMG keeps the prolongators of its first set-up while the
///   nonzero pattern stays (-pc_gamg_reuse_interpolation defaults to true), so its builds after
///   the first are refreshes (below) unless that option is false. Under auto the convergence
///   rate of the first solve after each build, in iterations per decade of residual reduction (so
///   that a better guess does not pass for a better preconditioner), is the reference: a solve with
///   a kept preconditioner is stopped once it has spent rebuild_factor times the reference rate on
///   the decades it must gain, or earlier once its rate so far is that much slower (after 3
///   iterations, with 2 iterations of slack), the preconditioner is rebuilt for its matrix, and the
///   solve goes on from the iterate it reached. While the preconditioner is kept, an affine
///   operator is applied matrix-free as sum_q theta_q A_q (MATCOMPOSITE) instead of assembling
///   A(mu) when assembling takes longer than what the sum adds to the system's products: the extra
///   cost of one product is measured once per sequence, times the running mean of products per
///   kept system. Measured: terms over the whole stencil (advection-diffusion's three) make each
///   product three times dearer, and even the thermal block's four terms on subdomains cost more
///   than its assembly over a solve, so both assemble the systems they solve; late in a sequence,
///   when most guesses meet the tolerance, one product with the sum checks them.
///   refresh: A(mu) is assembled for every system and the preconditioner's numerics follow it while
///   its structure is kept: for PCGAMG (PCGAMGSetReuseInterpolation) and PCHMG
///   (PCHMGSetReuseInterpolation, e.g. BoomerAMG's interpolation with -pc_hmg_inner_pc_type hypre)
///   the prolongators of the last full build are kept and only the Galerkin coarse operators
///   P^T A P, the smoothers and the coarse solve are set up again. The watch of auto (against the
///   rate after the last full build, but only its cap, not the early test) triggers a full build
///   (from scratch: refresh turns the PC's reuse of its interpolation off for it) when the kept
///   prolongators stop working; so does a solve that breaks down (e.g.
///   DIVERGED_INDEFINITE_PC) under auto or refresh. Any other preconditioner (PCHYPRE: PETSc 3.18 exposes no way to keep BoomerAMG's
///   hierarchy across matrices) has no cheaper refresh, so refresh builds it fully for every system,
///   as never does.
/// - recycle: on switches the KSP to a recycling type (rcg for symmetric coercive problems, gcrodr
///   otherwise, or the case file's ksp_type if it is already one of them) that keeps its space from
///   one system to the next; off leaves the KSP type alone and, for rcg/gcrodr, forgets the space
///   between systems.
#include <petscksp.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/petsc_handle.hpp"
#include "operators/parametrized_problem.hpp"
#include "solvers/projection_budget.hpp"
#include "solvers/projection_guess.hpp"
#include "solvers/system_ordering.hpp"
#include "solvers/truth_solver.hpp"

namespace kolmo::solvers {

/// The initial guess of each system of a sequence.
enum class InitialGuess { zero, previous, projection, fischer, pod, automatic };
/// When the preconditioner is rebuilt ("never" reuses it never, i.e. rebuilds it for every system).
enum class PcReuse { never, always, automatic, refresh };

/// Case-file names: "zero", "previous", "projection", "fischer", "pod", "auto".
const char* to_string(InitialGuess guess);
/// Case-file names: "never", "always", "auto", "refresh".
const char* to_string(PcReuse reuse);

/// The policies of a sequence solve (see the file comment).
struct SequencePolicy {
  SystemOrder order = SystemOrder::given;   ///< the solve order
  InitialGuess guess = InitialGuess::zero;  ///< the initial guess of each system
  PcReuse reuse_pc = PcReuse::never;        ///< when the preconditioner is rebuilt
  bool recycle = false;                     ///< carry a Krylov subspace (rcg / gcrodr)
  double rebuild_factor = 1.5;  ///< auto: tolerated slow-down of the convergence rate (> 1)
  int guess_size = 8;           ///< p >= 1: solutions kept by projection, fischer and pod
  /// projection, auto: systems that need a Krylov solve (with the guess) are solved to rtol *
  /// projection_accuracy (in (0, 1]), so that the solutions kept are accurate enough for later
  /// guesses to meet rtol.
  double projection_accuracy = 1.0;
  /// While the preconditioner is kept, apply an affine operator matrix-free instead of assembling
  /// A(mu), where that is measured to be cheaper (not a case-file key: benchmarks turn it off to
  /// measure plain PETSc reuse).
  bool matrix_free = true;
  /// True iff every policy is the default (independent solves in sample order).
  bool is_default() const;
};

/// The policy a case file's `solver.sequence` section describes.
/// @throws InputError on a name that is not a policy (parse_case_file has already checked them).
SequencePolicy sequence_policy(const SequenceSection& section);
/// "order nearest, guess projection (8), reuse_pc auto (x1.5), recycle on" for logs.
std::string describe(const SequencePolicy& policy);

/// What one system of a sequence cost. setup_seconds covers the assembly of A(mu) and f(mu), the
/// preconditioner set-up (when it was built) and the forming of the initial guess; solve_seconds
/// the Krylov iterations (with the re-fit of a recycle space, which runs inside KSPSolve).
struct SequenceStats : SolveStats {
  bool pc_rebuilt = false;   ///< the preconditioner was built for this system's matrix (see reuse_pc)
  bool pc_refreshed = false; ///< refresh: its coarse operators were recomputed for this matrix
  bool matrix_free = false;  ///< the operator was applied as the sum of its terms, A(mu) not assembled
  std::size_t position = 0;  ///< the system's place in the solve order (0 first)
};

/// Solves the truth systems of `problem` as one sequence. Keeps one KSP, the assembled operator,
/// the history of solutions and the preconditioner between solves. The problem must outlive the
/// solver. Collective on the problem's communicator for construction and every solve.
class SequenceSolver {
 public:
  /// `settings` configure the KSP as for TruthSolver (its `petsc:` map goes into the options
  /// database under `prefix`, and -<prefix>ksp_type etc. on the command line override it);
  /// `policy` the sequence. Calls kolmo::register_solvers(). @throws kolmo::Exception on an
  /// invalid policy value (rebuild_factor <= 1, guess_size < 1).
  SequenceSolver(const operators::ParametrizedProblem& problem, const SolverSection& settings,
                 const SequencePolicy& policy, std::string prefix = "");
  /// Destroys the KSP and everything kept for the sequence. Collective.
  ~SequenceSolver();
  SequenceSolver(const SequenceSolver&) = delete;
  SequenceSolver& operator=(const SequenceSolver&) = delete;

  /// The solve order of `points` under policy().order: a permutation of 0..n-1, the same on every
  /// rank. For `signature` the operators A(mu_i) are assembled one at a time for their
  /// signatures (n assemblies and 4n matrix-vector products). Collective.
  std::vector<std::size_t> order(const std::vector<Mu>& points) const;

  /// Solve A(mu) u = f(mu) as the next system of the sequence; guess, preconditioner and recycle
  /// space come from the systems this solver solved before. The content of `u` on entry is
  /// ignored. @throws SolverError if the KSP diverged. Collective.
  SequenceStats solve(const Mu& mu, Vec u);

  /// Solve every point, in order(points), calling `on_solved(index, u, stats)` after each (index
  /// into `points`; `u` is valid during the call only). Returns the statistics in the order of
  /// `points`. Collective.
  std::vector<SequenceStats> solve_all(
      const std::vector<Mu>& points,
      const std::function<void(std::size_t index, Vec u, const SequenceStats& stats)>& on_solved = {});

  /// Forget the history: previous solutions, the preconditioner and the recycle space; the next
  /// system is solved as if it were the first. Collective.
  void reset();

  KSP ksp() const noexcept { return ksp_; }
  const SequencePolicy& policy() const noexcept { return policy_; }
  const operators::ParametrizedProblem& problem() const noexcept { return problem_; }
  /// Preconditioner builds so far (one per system under reuse_pc never).
  std::size_t pc_builds() const noexcept { return pc_builds_; }
  /// Systems so far whose initial guess met the tolerance, so that nothing was set up or solved.
  std::size_t guesses_accepted() const noexcept { return guesses_accepted_; }
  /// guess auto: the systems solved with and without the projection, and its estimated net saving.
  const ProjectionBudget& projection_budget() const noexcept { return budget_; }
  /// Refreshes so far under reuse_pc refresh (hierarchy kept, numerics recomputed); not builds.
  std::size_t pc_refreshes() const noexcept { return pc_refreshes_; }
  /// Whether the preconditioner in use can be refreshed without a full build (PCGAMG, PCHMG), so
  /// that reuse_pc refresh differs from never. Not collective.
  bool pc_refreshable() const;
  /// The KSP type in use ("rcg" or "gcrodr" when recycling). Not collective.
  std::string ksp_type() const;

 private:
  using KSPGuessHandle = PetscHandle<KSPGuess, KSPGuessDestroy>;
  using ConvergenceTest = PetscErrorCode (*)(KSP, PetscInt, PetscReal, KSPConvergedReason*, void*);

  /// The KSP's own convergence test, wrapped to stop solves with a stale preconditioner (auto).
  struct StaleWatch {
    ConvergenceTest test = nullptr;
    void* context = nullptr;
    PetscErrorCode (*destroy)(void*) = nullptr;
    double limit = 0;           // iterations per decade allowed in this solve (0: no limit)
    bool early = true;          // also stop once the rate so far is too slow (not only at the cap)
    PetscReal first = 0, last = 0;
    PetscInt iterations = 0, cap = -1;
    PetscReal reach_factor = 1;  // the iteration at which rnorm <= ttol * reach_factor is `reached`
    PetscInt reached = -1;       // (-1: not yet): where a solve to the sequence's rtol would stop
    bool stopped = false;
  };
  static PetscErrorCode stale_test(KSP ksp, PetscInt it, PetscReal rnorm, KSPConvergedReason* reason,
                                   void* context);

  void configure_petsc_guess();
  /// op_ = sum_q theta_q A_q (MATCOMPOSITE) with the current theta_. Collective.
  void set_matrix_free_operator();
  /// Whether a kept system should apply an affine operator as the sum of its terms rather than
  /// assemble A(mu): the measured assembly time against the products it would make dearer.
  /// Collective.
  bool matrix_free_pays();
  /// Fold a kept system's operator products into kept_products_. Not collective.
  void count_kept_products(double products);
  /// Form the previous / projection guess in u; false if there is none. Collective.
  bool form_kolmo_guess(Vec u);
  /// ||f - op_ u|| / ||f|| (the absolute norm when f = 0); the residual is left in residual_ and
  /// ||f|| in *rhs_norm if given. Collective.
  PetscReal relative_residual(Vec u, PetscReal* rhs_norm = nullptr);
  /// Form PETSc's fischer/pod guess in u (zero when it has none, or when its residual is not
  /// smaller than f's: the guess is then worse than none); true if u is nonzero. Collective.
  bool form_petsc_guess(Vec u);
  /// Keep u for later guesses; `extend_basis`: also add it to an affine projection basis. Collective.
  void remember_solution(Vec u, bool extend_basis);
  /// guess projection, or auto while its budget lets it form the guess.
  bool projecting() const;
  /// guess auto: fold a system solved by Krylov iterations into the running estimates; `reached`:
  /// the iterations it took to reach rtol_; `from_zero`: it started from a zero guess. Not collective.
  void update_estimates(const SequenceStats& stats, double guess_seconds, PetscInt reached, bool from_zero);
  /// guess auto: charge and credit the system just solved with the projection guess, against the
  /// measured cost of a solve from zero. Collective (one reduction).
  void settle_projection(double guess_seconds, double keep_seconds, double gained, const SequenceStats* stats,
                         PetscInt reached);
  /// guess auto: the decades the guess gained over a zero guess: in the energy norm of the error
  /// for Galerkin guesses (u: the solution, guess_copy_ / guess_image_: the guess and its
  /// residual), else (or with u null) in the residual. Collective.
  double gained_decades(PetscReal guess_residual, Vec u);
  /// Assemble A(mu) into matrix_ (the preconditioner's matrix). Collective.
  void assemble_matrix(const Mu& mu);
  /// Whether A(mu) = sum_q theta_q A_q (checked once on a pseudo-random vector). Collective.
  bool check_affine(const Mu& mu);
  /// Full set-up of the preconditioner for matrix_ (under refresh: new prolongators). Collective.
  void build_preconditioner();
  /// refresh: keep the prolongators, recompute the coarse operators for matrix_; a full build when
  /// the preconditioner cannot be refreshed. Returns true if it was a refresh. Collective.
  bool refresh_preconditioner();
  /// Tell PCGAMG / PCHMG whether their next set-up keeps the interpolation. Collective.
  void set_reuse_interpolation(bool reuse);
  /// Iterations per decade of the last KSPSolve, or 0 when it gained nothing measurable.
  double last_rate() const;

  const operators::ParametrizedProblem& problem_;
  SequencePolicy policy_;
  // Kolmo's phases in -log_view (PETSc logs the Mat, KSP and PC work inside them): the whole
  // solve of one system, assembly of A(mu) and f(mu), guesses, keeping a solution, ordering.
  struct LogEvents {
    PetscLogEvent solve = 0, assemble = 0, guess = 0, remember = 0, order = 0;
  } events_;
  std::string prefix_;
  KSPHandle ksp_;
  MatHandle matrix_;     // the assembled A(mu) of the last assembly: the preconditioner's matrix
  MatHandle composite_;  // sum_q theta_q A_q, the operator while the preconditioner is kept
  Mat op_ = nullptr;     // the operator of the current system (matrix_ or composite_)
  double assemble_seconds_ = 0;          // the last assembly of A(mu), the first one excepted
  double composite_extra_seconds_ = -1;  // a product with composite_ less one with matrix_ (-1: not measured)
  double kept_products_ = 0;             // running mean of operator products per kept system
  VecHandle rhs_, residual_;
  PetscReal rtol_ = 0, atol_ = 0, dtol_ = 0;
  PetscReal solve_rtol_ = 0;  // the KSP's rtol: rtol_, tightened under guess projection
  PetscInt max_it_ = 0;
  bool galerkin_ = false;  // projections in the energy inner product (symmetric coercive)
  int affine_ = -1;        // -1 not checked yet, 0 no, 1 A(mu) is the affine sum
  std::vector<double> theta_;  // theta_q(mu) of the current system (affine)
  StaleWatch watch_;
  double base_rate_ = 0;   // auto: iterations per decade of the first solve after the last build
  ProjectionBudget budget_;          // guess auto
  VecHandle guess_copy_, guess_image_;  // guess auto, Galerkin: the guess and its residual
  double iteration_seconds_ = 0;     // guess auto, running estimates: seconds per Krylov iteration,
  double zero_iterations_ = 0;       // iterations from a zero guess to rtol_ (0: none measured yet),
  double setup_seconds_ = 0;         // and seconds of assembly and preconditioner set-up per system

  KSPGuessHandle guess_;           // fischer / pod, driven by hand (declared after ksp_: dies first)
  VecHandle previous_;                      // guess previous: the last solution
  std::optional<ProjectionGuess> projection_;  // guess projection / auto: created by the first solution kept
  std::size_t solved_ = 0;  // systems solved since construction or reset()
  bool pc_built_ = false;
  std::size_t pc_builds_ = 0;
  std::size_t pc_refreshes_ = 0;
  std::size_t guesses_accepted_ = 0;
};

}  // namespace kolmo::solvers

// bench_matrix_eim [CELLS [SAMPLES [RATE]]]: the nonintrusive matrix EIM on the Helmholtz operator over
// k2 in [25, 45], which lies between the first two discrete Dirichlet eigenvalues of the unit
// square (printed: about 2 pi^2 and 5 pi^2, slightly above with Q1 elements), so no A(k2) there is
// singular. For two operator families assembled from Kolmo's helmholtz problem (CELLS x CELLS Q1
// cells, default 32) at SAMPLES equispaced k2 (default 61):
//   affine:     A(k2) = K - k2 M, exactly two affine terms: the EIM must stop at M = 2;
//   non-affine: A(k2) = K - k2 S(k2) M S(k2), S = diag(exp(k2 x_i / RATE)), RATE default 30: a
//               medium whose refractive index n^2(x; k2) ~ exp(2 k2 x / RATE) depends on k2
//               (dispersion), a material coefficient exp(mu x) with mu = 2 k2 / RATE in
//               [1.7, 3]; it has no finite affine form (the EIM terms grow with the accuracy);
// it prints, against the number of terms M = 1..30, the max over 200 unseen k2 (uniform random,
// seed 2026) of ||A(k2) - A_M(k2)||_F / ||A(k2)||_F, with beta(k2) from the exact entries of
// A(k2) at the magic entries (mode a) and from the cubic and quintic RBF interpolation of those
// entries over the samples (mode b, what a model file stores). Target: < 1e-8 with <= 30 terms.
//
// Sample run: mpiexec -n 1 ./bench_matrix_eim 32 61 30
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/parameter_space.hpp"
#include "core/petsc_handle.hpp"
#include "operators/helmholtz.hpp"
#include "rom/matrix_eim.hpp"
#include "rom/stability.hpp"

using namespace kolmo;

namespace {

constexpr double k2_min = 25.0, k2_max = 45.0;

// The pieces an operator of either family is built from, and its exact entries.
struct Family {
  bool affine = true;
  Mat k = nullptr, m = nullptr;        // owned by the problem
  std::vector<double> x;               // x coordinate of every unknown, PETSc ordering, replicated

  double rate = 30.0;                  // S = diag(exp(k2 x_i / rate))

  double scaling(PetscInt i, double k2) const {
    return affine ? 1.0 : std::exp(k2 * x[static_cast<std::size_t>(i)] / rate);
  }

  MatHandle assemble(double k2) const {
    MatHandle a;
    KOLMO_PETSC_CALL(MatDuplicate(m, MAT_COPY_VALUES, a.out()));
    if (!affine) {
      VecHandle s;
      KOLMO_PETSC_CALL(MatCreateVecs(m, s.out(), nullptr));
      PetscInt lo = 0, hi = 0;
      KOLMO_PETSC_CALL(VecGetOwnershipRange(s, &lo, &hi));
      for (PetscInt i = lo; i < hi; ++i) KOLMO_PETSC_CALL(VecSetValue(s, i, scaling(i, k2), INSERT_VALUES));
      KOLMO_PETSC_CALL(VecAssemblyBegin(s));
      KOLMO_PETSC_CALL(VecAssemblyEnd(s));
      KOLMO_PETSC_CALL(MatDiagonalScale(a, s, s));
    }
    KOLMO_PETSC_CALL(MatAYPX(a, -k2, k, DIFFERENT_NONZERO_PATTERN));
    return a;
  }
};

// Every entry of the (replicated) list, gathered from the owning ranks. Collective.
std::vector<double> gather_entries(Mat a, const std::vector<rom::MatrixEntry>& entries) {
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &lo, &hi));
  std::vector<double> local(entries.size(), 0.0), global(entries.size(), 0.0);
  for (std::size_t e = 0; e < entries.size(); ++e)
    if (entries[e].row >= lo && entries[e].row < hi)
      KOLMO_PETSC_CALL(MatGetValues(a, 1, &entries[e].row, 1, &entries[e].col, &local[e]));
  MPI_Comm comm = MPI_COMM_NULL;
  KOLMO_PETSC_CALL(PetscObjectGetComm(reinterpret_cast<PetscObject>(a), &comm));
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_SUM, comm);
  return global;
}

// mode (a): the entries of A(k2) from K, M and the coordinates, without assembling A(k2).
rom::MatrixEim::EntryFunction exact_entries(const Family& family, const rom::MatrixEim& eim) {
  std::vector<rom::MatrixEntry> all = eim.magic_entries();
  all.insert(all.end(), eim.indicator_entries().begin(), eim.indicator_entries().end());
  const auto kv = gather_entries(family.k, all), mv = gather_entries(family.m, all);
  std::map<std::pair<PetscInt, PetscInt>, std::pair<double, double>> table;
  for (std::size_t e = 0; e < all.size(); ++e) table[{all[e].row, all[e].col}] = {kv[e], mv[e]};
  return [table, &family](const Mu& mu, std::span<const rom::MatrixEntry> entries) {
    std::vector<double> values;
    for (const auto& entry : entries) {
      const auto& [kij, mij] = table.at({entry.row, entry.col});
      values.push_back(kij - mu[0] * family.scaling(entry.row, mu[0]) * family.scaling(entry.col, mu[0]) * mij);
    }
    return values;
  };
}

// max over the unseen points of ||A - A_M||_F / ||A||_F, with `terms` terms. Collective.
double max_error(const rom::MatrixEim& eim, int terms, const std::vector<double>& unseen,
                 const std::vector<MatHandle>& exact, const std::vector<double>& norms) {
  const auto op = eim.affine_operator(terms);
  MatHandle a;
  double worst = 0.0;
  for (std::size_t p = 0; p < unseen.size(); ++p) {
    op.assemble({unseen[p]}, a);
    KOLMO_PETSC_CALL(MatAXPY(a, -1.0, exact[p], SUBSET_NONZERO_PATTERN));
    PetscReal error = 0;
    KOLMO_PETSC_CALL(MatNorm(a, NORM_FROBENIUS, &error));
    worst = std::max(worst, error / norms[p]);
  }
  return worst;
}

void run(MPI_Comm comm, const ParameterSpace& space, Family& family, int samples,
         const std::vector<double>& unseen) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<Mu> points;
  std::vector<MatHandle> matrices;
  std::vector<Mat> raw;
  for (int s = 0; s < samples; ++s) {
    const double k2 = k2_min + (k2_max - k2_min) * s / (samples - 1);
    points.push_back({k2});
    matrices.push_back(family.assemble(k2));
    raw.push_back(matrices.back());
  }
  std::vector<MatHandle> exact;
  std::vector<double> norms;
  for (double k2 : unseen) {
    exact.push_back(family.assemble(k2));
    PetscReal norm = 0;
    KOLMO_PETSC_CALL(MatNorm(exact.back(), NORM_FROBENIUS, &norm));
    norms.push_back(norm);
  }
  rom::MatrixEimOptions options;
  options.eim.tolerance = 1e-15;
  options.eim.max_terms = 30;
  options.eim.indicator_points = 1;
  const double t0 = MPI_Wtime();
  rom::MatrixEim eim(comm, space, points, raw, options);
  const double build = MPI_Wtime() - t0;
  rom::MatrixEimOptions quintic_options = options;
  quintic_options.kernel = rom::RbfKernel::quintic;
  rom::MatrixEim quintic(comm, space, points, raw, quintic_options);
  const auto entries = exact_entries(family, eim);
  if (rank == 0)
    std::printf("\n%s family: %d samples, EIM greedy %.2f s, M = %d terms (%s)\n",
                family.affine ? "affine (K - k2 M)" : "non-affine (K - k2 S(k2) M S(k2))", samples,
                build, eim.size(), operators::to_string(eim.interpolation().stop_reason()));
  if (rank == 0)
    std::printf("%4s  %14s  %14s  %14s  %14s\n", "M", "training", "exact beta", "RBF cubic",
                "RBF quintic");
  int first_below = 0;
  for (int m = 1; m <= eim.size(); ++m) {
    eim.use_entries(entries, "exact entries");
    const double exact_error = max_error(eim, m, unseen, exact, norms);
    eim.use_interpolation();
    const double cubic_error = max_error(eim, m, unseen, exact, norms);
    const double quintic_error = max_error(quintic, m, unseen, exact, norms);
    if (!first_below && exact_error < 1e-8) first_below = m;
    if (rank == 0)
      std::printf("%4d  %14.3e  %14.3e  %14.3e  %14.3e\n", m,
                  eim.errors()[static_cast<std::size_t>(m)] / eim.errors().front(), exact_error,
                  cubic_error, quintic_error);
  }
  if (rank == 0) {
    if (first_below)
      std::printf("target (< 1e-8 with <= 30 terms, exact beta): met at M = %d\n", first_below);
    else
      std::printf("target (< 1e-8 with <= 30 terms, exact beta): NOT met\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  MPI_Comm comm = PETSC_COMM_WORLD;
  try {
    const PetscInt cells = argc > 1 ? std::atoi(argv[1]) : 32;
    const int samples = argc > 2 ? std::atoi(argv[2]) : 61;
    const double rate = argc > 3 ? std::atof(argv[3]) : 30.0;
    KOLMO_CHECK(cells >= 2 && samples >= 7 && rate > 0,
                "usage: bench_matrix_eim [CELLS >= 2 [SAMPLES >= 7 [RATE > 0]]]");
    const ParameterSpace space({Parameter{"k2", k2_min, k2_max, Scale::linear}});
    operators::HelmholtzSettings settings;
    settings.cells = {cells, cells};
    settings.wavenumber_squared = "k2";
    const operators::HelmholtzProblem problem(comm, space, settings);
    int rank = 0;
    MPI_Comm_rank(comm, &rank);

    Family family;
    family.rate = rate;
    family.k = problem.lhs().matrix(0);
    family.m = problem.lhs().matrix(1);
    // The discrete Dirichlet eigenvalues below 60: the range [25, 45] must contain none.
    const auto sigma = rom::generalized_eigenvalues(family.k, family.m, -0.5, 60.0);
    const PetscInt unknowns = problem.global_size();  // collective
    if (rank == 0) {
      std::printf("Helmholtz %lld x %lld cells, %lld unknowns; k2 in [%g, %g]; discrete resonances "
                  "below 60:", static_cast<long long>(cells), static_cast<long long>(cells),
                  static_cast<long long>(unknowns), k2_min, k2_max);
      for (double s : sigma) std::printf(" %.4f", s);
      std::printf(" (2 pi^2 = %.4f, 5 pi^2 = %.4f)\n", 2 * M_PI * M_PI, 5 * M_PI * M_PI);
    }
    for (double s : sigma)
      KOLMO_CHECK(s < k2_min || s > k2_max, "a resonance " << s << " lies inside the k2 range");

    // x of every unknown: natural ordering (x fastest) -> PETSc ordering -> replicated.
    const FieldLayout layout = problem.field_layout();
    VecHandle natural = problem.create_natural_vector(), global = problem.create_vector();
    PetscInt lo = 0, hi = 0;
    KOLMO_PETSC_CALL(VecGetOwnershipRange(natural, &lo, &hi));
    for (PetscInt i = lo; i < hi; ++i)
      KOLMO_PETSC_CALL(VecSetValue(natural, i, layout.origin[0] + layout.spacing[0] * static_cast<double>(i % layout.nodes[0]), INSERT_VALUES));
    KOLMO_PETSC_CALL(VecAssemblyBegin(natural));
    KOLMO_PETSC_CALL(VecAssemblyEnd(natural));
    problem.from_natural(natural, global);
    VecScatter scatter = nullptr;
    VecHandle all;
    KOLMO_PETSC_CALL(VecScatterCreateToAll(global, &scatter, all.out()));
    KOLMO_PETSC_CALL(VecScatterBegin(scatter, global, all, INSERT_VALUES, SCATTER_FORWARD));
    KOLMO_PETSC_CALL(VecScatterEnd(scatter, global, all, INSERT_VALUES, SCATTER_FORWARD));
    KOLMO_PETSC_CALL(VecScatterDestroy(&scatter));
    const PetscScalar* values = nullptr;
    PetscInt n = 0;
    KOLMO_PETSC_CALL(VecGetSize(all, &n));
    KOLMO_PETSC_CALL(VecGetArrayRead(all, &values));
    family.x.assign(values, values + n);
    KOLMO_PETSC_CALL(VecRestoreArrayRead(all, &values));

    std::mt19937_64 random(2026);
    std::vector<double> unseen;
    for (int p = 0; p < 200; ++p)
      unseen.push_back(k2_min + (k2_max - k2_min) * static_cast<double>(random() >> 11) * 0x1.0p-53);

    family.affine = true;
    run(comm, space, family, samples, unseen);
    family.affine = false;
    run(comm, space, family, samples, unseen);
  } catch (const std::exception& e) {
    abort_all_ranks(comm, e.what());
  }
  return 0;
}

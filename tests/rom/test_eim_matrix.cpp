// Nonintrusive matrix EIM on a sample set generated here: the 1-D diffusion -(k u')' = 1 with
// k(x; mu) = exp(mu x) (P1 elements, k at element midpoints), assembled at sample mu's only.
// At unseen mu the operator error falls with M (entries from a callable), the solutions converge,
// the RBF mode (b) has a measured accuracy, the coefficient texts are expressions that agree with
// the callables, differing sparsity patterns are merged, and the selection is rank independent.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/exceptions.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/coefficient.hpp"
#include "operators/external_problem.hpp"
#include "operators/matrix_io.hpp"
#include "operators/problem_test_helpers.hpp"
#include "rom/matrix_eim.hpp"

using namespace kolmo;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt n = 200;  // interior nodes
constexpr double h = 1.0 / (n + 1);

double conductivity(PetscInt element, double mu) { return std::exp(mu * (element + 0.5) * h); }

// The exact entry (row, col) of A(mu), 0 off the tridiagonal.
double entry(PetscInt row, PetscInt col, double mu) {
  if (row == col) return (conductivity(row, mu) + conductivity(row + 1, mu)) / h;
  if (std::abs(row - col) == 1) return -conductivity(std::max(row, col), mu) / h;
  return 0.0;
}

// A(mu), plus `corner` * (e_0 e_{n-1}^T + e_{n-1} e_0^T) when corner != 0 (a different pattern).
MatHandle diffusion(MPI_Comm comm, double mu, double corner = 0.0) {
  MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, n, n, 4, nullptr, 3, nullptr, a.out()));
  PetscInt lo = 0, hi = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &lo, &hi));
  for (PetscInt i = lo; i < hi; ++i)
    for (PetscInt j = std::max<PetscInt>(0, i - 1); j <= std::min<PetscInt>(n - 1, i + 1); ++j)
      KOLMO_PETSC_CALL(MatSetValue(a, i, j, entry(i, j, mu), INSERT_VALUES));
  if (corner != 0.0) {
    if (lo == 0) KOLMO_PETSC_CALL(MatSetValue(a, 0, n - 1, corner, INSERT_VALUES));
    if (hi == n) KOLMO_PETSC_CALL(MatSetValue(a, n - 1, 0, corner, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

ParameterSpace space() { return kolmo::testing::make_space({"mu"}, 0.0, 3.0); }

struct SampleSet {
  std::vector<Mu> points;
  std::vector<MatHandle> matrices;
  std::vector<Mat> raw() const {
    std::vector<Mat> r;
    for (const auto& m : matrices) r.push_back(m);
    return r;
  }
};

SampleSet samples(MPI_Comm comm, int count) {
  SampleSet s;
  for (int k = 0; k < count; ++k) {
    const double mu = 3.0 * k / (count - 1);
    s.points.push_back({mu});
    s.matrices.push_back(diffusion(comm, mu));
  }
  return s;
}

std::vector<double> unseen() { return {0.037, 0.71, 1.33, 2.06, 2.93}; }

rom::MatrixEim::EntryFunction exact_entries() {
  return [](const Mu& mu, std::span<const rom::MatrixEntry> entries) {
    std::vector<double> v;
    for (const auto& e : entries) v.push_back(entry(e.row, e.col, mu[0]));
    return v;
  };
}

// ||A(mu) - A_M(mu)||_F / ||A(mu)||_F.
double operator_error(const operators::AffineOperator& approx, double mu) {
  MatHandle a = diffusion(test_comm(), mu), b;
  approx.assemble({mu}, b);
  PetscReal scale = 0, diff = 0;
  KOLMO_PETSC_CALL(MatNorm(a, NORM_FROBENIUS, &scale));
  KOLMO_PETSC_CALL(MatAXPY(b, -1.0, a, DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatNorm(b, NORM_FROBENIUS, &diff));
  return diff / scale;
}

// ||u(mu) - u_M(mu)||_2 / ||u(mu)||_2 for the load f = h.
double solution_error(const operators::AffineOperator& approx, double mu) {
  MatHandle a = diffusion(test_comm(), mu), b;
  approx.assemble({mu}, b);
  VecHandle f, u, u_m;
  KOLMO_PETSC_CALL(MatCreateVecs(a, u.out(), f.out()));
  KOLMO_PETSC_CALL(VecDuplicate(u, u_m.out()));
  KOLMO_PETSC_CALL(VecSet(f, h));
  kolmo::testing::solve_direct(a, f, u);
  kolmo::testing::solve_direct(b, f, u_m);
  PetscReal scale = 0, diff = 0;
  KOLMO_PETSC_CALL(VecNorm(u, NORM_2, &scale));
  KOLMO_PETSC_CALL(VecAXPY(u_m, -1.0, u));
  KOLMO_PETSC_CALL(VecNorm(u_m, NORM_2, &diff));
  return diff / scale;
}

}  // namespace

TEST_CASE("matrix EIM: operator and solution errors at unseen mu fall with M (callable entries)",
          "[rom][eim][matrix_eim]") {
  const SampleSet s = samples(test_comm(), 25);
  rom::MatrixEimOptions options;
  options.eim.tolerance = 1e-15;
  options.eim.max_terms = 14;
  rom::MatrixEim eim(test_comm(), space(), s.points, s.raw(), options);
  eim.use_entries(exact_entries(), "exact entries");
  // The training error reaches round-off at 11 terms, where the greedy stops ("exhausted").
  REQUIRE(eim.size() >= 10);
  std::vector<double> op_errors, u_errors;
  for (int m : {2, 4, 6, 8, 10}) {
    const auto approx = eim.affine_operator(m);
    REQUIRE(approx.num_terms() == static_cast<std::size_t>(m));
    double op = 0, u = 0;
    for (double mu : unseen()) {
      op = std::max(op, operator_error(approx, mu));
      u = std::max(u, solution_error(approx, mu));
    }
    op_errors.push_back(op);
    u_errors.push_back(u);
    WARN("matrix EIM (callable entries, EIM basis): M = " << m << ", max relative operator error "
                                                          << op << ", max relative solution error " << u);
  }
  for (std::size_t k = 1; k < 4; ++k) {
    CHECK(op_errors[k] < 0.01 * op_errors[k - 1]);
    CHECK(u_errors[k] < 0.01 * u_errors[k - 1]);
  }
  // Near the training error's round-off level the terms add little, and take nothing away (unlike
  // the sample basis below).
  for (std::size_t k = 3; k < op_errors.size(); ++k) {
    CHECK(op_errors[k] < 1e-9);
    CHECK(u_errors[k] < 1e-9);
  }
  CHECK(eim.affine_operator().coefficient(0).text() == "matrix_eim_beta_0 (exact entries)");
  CHECK(eim.affine_operator().name(1) == "Q1");
}

TEST_CASE("matrix EIM: the seed's form with the sample matrices as terms", "[rom][eim][matrix_eim]") {
  const SampleSet s = samples(test_comm(), 25);
  rom::MatrixEimOptions options;
  options.eim.tolerance = 1e-15;
  options.eim.max_terms = 12;
  options.basis = rom::MatrixEimBasis::samples;
  rom::MatrixEim eim(test_comm(), space(), s.points, s.raw(), options);
  eim.use_entries(exact_entries(), "exact entries");
  std::vector<double> op_errors;
  for (int m : {2, 4, 6, 8, 10}) {
    double op = 0;
    for (double mu : unseen()) op = std::max(op, operator_error(eim.affine_operator(m), mu));
    op_errors.push_back(op);
    WARN("matrix EIM (callable entries, sample basis): M = " << m << ", max relative operator error " << op);
  }
  for (std::size_t k = 1; k < 3; ++k) CHECK(op_errors[k] < 0.01 * op_errors[k - 1]);
  CHECK(op_errors[3] < 1e-7);
  CHECK(op_errors[4] > op_errors[3]);  // C's conditioning: the reason for the default EIM basis
  // The terms are the selected sample matrices themselves, shared.
  const auto approx = eim.affine_operator();
  PetscBool same = PETSC_FALSE;
  KOLMO_PETSC_CALL(MatEqual(approx.matrix(0), s.matrices[eim.selected()[0]], &same));
  CHECK(same == PETSC_TRUE);
  CHECK(approx.matrix(0) == static_cast<Mat>(s.matrices[eim.selected()[0]]));
}

TEST_CASE("matrix EIM: RBF interpolation of the magic entries over mu (mode b)",
          "[rom][eim][matrix_eim]") {
  for (rom::RbfKernel kernel : {rom::RbfKernel::cubic, rom::RbfKernel::quintic}) {
    std::vector<double> op_errors;
    for (int count : {13, 25, 49}) {
      const SampleSet s = samples(test_comm(), count);
      rom::MatrixEimOptions options;
      options.eim.tolerance = 1e-13;
      options.eim.max_terms = 14;
      options.kernel = kernel;
      const rom::MatrixEim eim(test_comm(), space(), s.points, s.raw(), options);
      REQUIRE(eim.interpolates());
      const auto approx = eim.affine_operator();
      double op = 0, u = 0;
      for (double mu : unseen()) {
        op = std::max(op, operator_error(approx, mu));
        u = std::max(u, solution_error(approx, mu));
      }
      op_errors.push_back(op);
      WARN("matrix EIM (RBF " << rom::to_string(kernel) << ", " << count << " samples on [0, 3]): M = "
                              << eim.size() << ", max relative operator error " << op
                              << ", max relative solution error " << u);
      // At the sample points the RBF is exact, so the entries are the samples' own.
      for (std::size_t k : {3u, 11u}) {
        const Mu& mu = s.points[k];
        const auto e = eim.entries(mu, -1);
        for (std::size_t p = 0; p < e.size(); ++p)
          CHECK(e[p] == Approx(entry(eim.magic_entries()[p].row, eim.magic_entries()[p].col, mu[0]))
                            .epsilon(1e-10));
      }
      // The coefficient texts are expressions of mu equal to the callables.
      for (std::size_t m : {std::size_t{0}, std::size_t{5}, static_cast<std::size_t>(eim.size() - 1)}) {
        const auto& c = approx.coefficient(m);
        const auto parsed = operators::Coefficient::expression(c.text(), space());
        for (double mu : unseen()) CHECK(parsed({mu}) == Approx(c({mu})).epsilon(1e-8).margin(1e-8));
      }
    }
    // Halving the sample spacing divides the error by at least 3.5 (h^2 near the ends of the
    // range for the cubic spline, better inside and for the quintic one).
    CHECK(op_errors[1] < op_errors[0] / 3.5);
    CHECK(op_errors[2] < op_errors[1] / 3.5);
  }
}

TEST_CASE("matrix EIM merges differing sparsity patterns", "[rom][eim][matrix_eim]") {
  // A(mu) = K + mu E with E outside K's pattern, written only where mu != 0: exact with 2 terms.
  std::vector<Mu> points;
  std::vector<MatHandle> matrices;
  std::vector<Mat> raw;
  for (double mu : {0.0, 1.0, 2.0, 3.0}) {
    points.push_back({mu});
    matrices.push_back(diffusion(test_comm(), 0.0, mu));
    raw.push_back(matrices.back());
  }
  const rom::MatrixEim eim(test_comm(), space(), points, raw, rom::MatrixEimOptions{});
  CHECK(eim.size() == 2);
  MatHandle approx;
  eim.affine_operator().assemble({1.7}, approx);
  MatHandle exact = diffusion(test_comm(), 0.0, 1.7);
  PetscReal diff = 0;
  KOLMO_PETSC_CALL(MatAXPY(approx, -1.0, exact, DIFFERENT_NONZERO_PATTERN));
  KOLMO_PETSC_CALL(MatNorm(approx, NORM_FROBENIUS, &diff));
  CHECK(diff < 1e-10);
}

TEST_CASE("matrix EIM selects the same samples and entries on 1 and 2 ranks",
          "[rom][eim][matrix_eim][mpi]") {
  rom::MatrixEimOptions options;
  options.eim.max_terms = 8;
  const SampleSet distributed = samples(test_comm(), 13);
  const SampleSet serial = samples(PETSC_COMM_SELF, 13);
  const rom::MatrixEim a(test_comm(), space(), distributed.points, distributed.raw(), options);
  const rom::MatrixEim b(PETSC_COMM_SELF, space(), serial.points, serial.raw(), options);
  CHECK(a.selected() == b.selected());
  REQUIRE(a.magic_entries().size() == b.magic_entries().size());
  for (std::size_t p = 0; p < a.magic_entries().size(); ++p) {
    CHECK(a.magic_entries()[p].row == b.magic_entries()[p].row);
    CHECK(a.magic_entries()[p].col == b.magic_entries()[p].col);
  }
  CHECK(a.coefficients({1.1}).isApprox(b.coefficients({1.1}), 1e-12));
}

TEST_CASE("matrix EIM of an external problem in sample mode (files from another code)",
          "[rom][eim][matrix_eim][external]") {
  // The samples as PETSc binary files, as a code that cannot split its operator would write them.
  const std::string dir = "matrix_eim_np" + std::to_string(comm_size(test_comm()));
  if (comm_rank(test_comm()) == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(test_comm());
  operators::ExternalSettings settings;
  settings.symmetric = true;
  for (int k = 0; k < 25; ++k) {
    const double mu = 3.0 * k / 24;
    const std::string path = dir + "/A" + std::to_string(k) + ".bin";
    operators::write_petsc_binary(diffusion(test_comm(), mu).get(), path);
    settings.samples.push_back({{mu}, {path, {}}});
  }
  VecHandle f;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, n, f.out()));
  KOLMO_PETSC_CALL(VecSet(f, h));
  operators::write_petsc_binary(f.get(), dir + "/f.bin");
  settings.rhs_terms.push_back({"1", {dir + "/f.bin", {}}});
  const operators::ExternalProblem problem(test_comm(), space(), settings);
  REQUIRE(problem.sample_mode());

  rom::MatrixEimOptions options;
  options.kernel = rom::RbfKernel::quintic;
  const rom::MatrixEim eim = rom::make_matrix_eim(problem, options);
  const auto approx = eim.affine_operator();
  // At a sample point A_M is the sample to the EIM's tolerance; elsewhere the RBF's accuracy.
  MatHandle at_sample;
  approx.assemble(problem.sample_points()[7], at_sample);
  CHECK(kolmo::testing::relative_action_difference(at_sample, problem.sample_matrix(7)) < 1e-9);
  double worst = 0;
  for (double mu : unseen()) worst = std::max(worst, operator_error(approx, mu));
  WARN("matrix EIM of the external sample set (25 samples, quintic RBF): M = " << eim.size()
                                                                             << ", max relative operator error " << worst);
  CHECK(worst < 1e-4);

  // An affine external problem has nothing to interpolate.
  operators::ExternalSettings affine;
  affine.operator_terms.push_back({"1", {dir + "/A0.bin", {}}});
  affine.rhs_terms.push_back({"1", {dir + "/f.bin", {}}});
  const operators::ExternalProblem affine_problem(test_comm(), space(), affine);
  CHECK_THROWS_AS(rom::make_matrix_eim(affine_problem, options), InputError);
}

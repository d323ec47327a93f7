// The external problem: matrices and vectors from files (all three formats mixed in one case),
// solved through the library API at any rank count against a known solution; sample mode and its
// refusal of other parameter points; and the case-file and file-content errors it reports.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/case_file.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "core/petsc_handle.hpp"
#include "mpi_test_helpers.hpp"
#include "operators/external_problem.hpp"
#include "operators/matrix_io.hpp"
#include "solvers/truth_solver.hpp"

using Catch::Matchers::Contains;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;
namespace ops = kolmo::operators;

namespace {

constexpr PetscInt kSize = 13;

/// The directory of this rank count's files (np1 and np2 may run at the same time).
std::string data_dir() {
  const std::string dir = "external_np" + std::to_string(kolmo::comm_size(test_comm()));
  if (kolmo::comm_rank(test_comm()) == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(test_comm());
  return dir;
}

/// A tridiagonal matrix: diagonal d + i/10, off-diagonals `lower` and `upper`.
kolmo::MatHandle tridiagonal(PetscInt n, double d, double lower, double upper) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(
      MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr, a.out()));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &start, &end));
  for (PetscInt i = start; i < end; ++i) {
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, d + i / 10.0, INSERT_VALUES));
    if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, lower, INSERT_VALUES));
    if (i + 1 < n) KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, upper, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

/// A diagonal matrix d + i/10 with one more entry (0, n-1) and (n-1, 0): a pattern that is
/// neither a subset nor a superset of the tridiagonal one (no explicit zeros stored).
kolmo::MatHandle diagonal_and_corners(PetscInt n, double d) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(
      MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, n, n, 2, nullptr, 1, nullptr, a.out()));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &start, &end));
  for (PetscInt i = start; i < end; ++i) {
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, d + i / 10.0, INSERT_VALUES));
    if (i == 0) KOLMO_PETSC_CALL(MatSetValue(a, i, n - 1, 0.5, INSERT_VALUES));
    if (i == n - 1) KOLMO_PETSC_CALL(MatSetValue(a, i, 0, 0.5, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

kolmo::VecHandle vector_of(PetscInt n, double (*value)(PetscInt)) {
  kolmo::VecHandle v;
  KOLMO_PETSC_CALL(VecCreateMPI(test_comm(), PETSC_DECIDE, n, v.out()));
  PetscInt start = 0, end = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(v, &start, &end));
  for (PetscInt i = start; i < end; ++i)
    KOLMO_PETSC_CALL(VecSetValue(v, i, value(i), INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(v));
  KOLMO_PETSC_CALL(VecAssemblyEnd(v));
  return v;
}

double exact_value(PetscInt i) { return std::sin(0.7 * i + 0.2) + 0.1 * i; }
double ones(PetscInt) { return 1.0; }
double ramp(PetscInt i) { return 0.5 + i; }

double norm_of_difference(Vec a, Vec b) {
  kolmo::VecHandle d;
  KOLMO_PETSC_CALL(VecDuplicate(a, d.out()));
  KOLMO_PETSC_CALL(VecWAXPY(d, -1.0, b, a));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNorm(d, NORM_INFINITY, &norm));
  return norm;
}

double norm_of_difference(Mat a, Mat b) {
  kolmo::MatHandle d;
  KOLMO_PETSC_CALL(MatDuplicate(a, MAT_COPY_VALUES, d.out()));
  KOLMO_PETSC_CALL(MatAXPY(d, -1.0, b, DIFFERENT_NONZERO_PATTERN));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(MatNorm(d, NORM_FROBENIUS, &norm));
  return norm;
}

double dot(Vec a, Vec b) {
  PetscScalar value = 0;
  KOLMO_PETSC_CALL(VecDot(a, b, &value));
  return value;
}

const char* kHeader =
    "parameters:\n"
    "  - {name: k, range: [1, 10]}\n"
    "  - {name: c, range: [0, 5]}\n"
    "solver: {ksp_type: cg, pc_type: jacobi, rtol: 1.0e-13}\n";

/// Parse a case whose `problem:` block is `problem` (indented by the caller) in `dir`.
kolmo::CaseFile case_with(const std::string& dir, const std::string& problem) {
  return kolmo::parse_case_file("problem:\n  type: external\n" + problem + kHeader,
                                dir + "/case.yaml");
}

template <class F>
std::string input_error_of(F&& body) {
  try {
    body();
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// Files of the affine test problem A(k, c) = k A0 + c A1 (A0 SPD tridiagonal, A1 diagonal with
/// two corner entries, so the terms have different patterns),
/// f = A(mu_star) u_exact, written in three formats.
struct AffineFiles {
  std::string dir;
  kolmo::MatHandle a0, a1;
  kolmo::VecHandle u_exact, f, l;
};

const kolmo::Mu kMuStar{3.0, 2.0};

AffineFiles write_affine_files() {
  AffineFiles files;
  files.dir = data_dir();
  files.a0 = tridiagonal(kSize, 2.0, -1.0, -1.0);
  files.a1 = diagonal_and_corners(kSize, 1.0);  // its own pattern: A(mu) needs the union
  files.u_exact = vector_of(kSize, exact_value);
  files.l = vector_of(kSize, ramp);
  kolmo::VecHandle tmp;
  KOLMO_PETSC_CALL(VecDuplicate(files.u_exact, files.f.out()));
  KOLMO_PETSC_CALL(VecDuplicate(files.u_exact, tmp.out()));
  KOLMO_PETSC_CALL(MatMult(files.a0, files.u_exact, files.f));
  KOLMO_PETSC_CALL(MatMult(files.a1, files.u_exact, tmp));
  KOLMO_PETSC_CALL(VecAXPBY(files.f, kMuStar[1], kMuStar[0], tmp));
  ops::write_matrix_market(files.a0.get(), files.dir + "/A0.mtx");
  ops::write_petsc_binary(files.a1.get(), files.dir + "/A1.bin");
  ops::write_hdf5(files.f.get(), files.dir + "/vectors.h5:/f");
  ops::write_hdf5(files.l.get(), files.dir + "/vectors.h5:/l");
  ops::write_matrix_market(files.l.get(), files.dir + "/l.mtx");
  ops::write_matrix_market(files.f.get(), files.dir + "/f.mtx");
  return files;
}

const std::string kAffineProblem =
    "  operator:\n"
    "    - {theta: k, matrix: A0.mtx}\n"
    "    - {theta: c, matrix: A1.bin}\n"
    "  rhs:\n"
    "    - {theta: 1, vector: 'vectors.h5:/f'}\n";

}  // namespace

TEST_CASE("affine mode: a problem from files solves to the known solution",
          "[operators][external]") {
  const auto files = write_affine_files();
  const auto c = case_with(files.dir, kAffineProblem +
                                          "  symmetric: true\n"
                                          "  stability: parametrically_coercive\n");
  const auto problem = ops::make_external(test_comm(), c);
  CHECK(problem->type() == "external");
  CHECK(problem->global_size() == kSize);
  CHECK(problem->lhs().num_terms() == 2);
  CHECK(problem->symmetric());
  CHECK(problem->compliant());
  CHECK(problem->stability() == ops::Stability::parametrically_coercive);
  CHECK(problem->output_names() == std::vector<std::string>{"compliance"});
  CHECK(problem->reference_coefficients() == std::vector<double>{1.0, 1.0});
  kolmo::MatHandle x_expected;
  KOLMO_PETSC_CALL(MatDuplicate(files.a0, MAT_COPY_VALUES, x_expected.out()));
  KOLMO_PETSC_CALL(MatAXPY(x_expected, 1.0, files.a1, DIFFERENT_NONZERO_PATTERN));
  CHECK(norm_of_difference(problem->inner_product(), x_expected.get()) < 1e-14);

  // At mu_star the solution is u_exact by construction; the output is f.u.
  kolmo::solvers::TruthSolver solver(*problem, c.solver);
  auto u = problem->create_vector();
  const auto stats = solver.solve(kMuStar, u);
  CHECK(stats.relative_residual < 1e-12);
  CHECK(norm_of_difference(u.get(), files.u_exact.get()) < 1e-10);
  const auto outputs = problem->evaluate_outputs(kMuStar, u);
  REQUIRE(outputs.size() == 1);
  CHECK(outputs[0] == Approx(dot(files.f, files.u_exact)).epsilon(1e-12));

  // At another point: A(mu) u = f holds with A assembled here from the original matrices.
  const kolmo::Mu mu{7.5, 0.25};
  solver.solve(mu, u);
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(MatDuplicate(files.a0, MAT_COPY_VALUES, a.out()));
  KOLMO_PETSC_CALL(MatScale(a, mu[0]));
  KOLMO_PETSC_CALL(MatAXPY(a, mu[1], files.a1, DIFFERENT_NONZERO_PATTERN));
  auto r = problem->create_vector();
  KOLMO_PETSC_CALL(MatMult(a, u, r));
  CHECK(norm_of_difference(r.get(), files.f.get()) < 1e-10);
}

TEST_CASE("affine mode: explicit outputs, inner product and the symmetric-part default",
          "[operators][external]") {
  const auto files = write_affine_files();
  // A nonsymmetric term: the default X is the symmetric part of A0 + N.
  const auto nonsymmetric = tridiagonal(kSize, 2.0, -1.5, -0.5);
  ops::write_matrix_market(nonsymmetric.get(), files.dir + "/N.mtx");
  ops::write_matrix_market(files.a1.get(), files.dir + "/X.mtx");
  {
    const auto c = case_with(
        files.dir,
        "  operator:\n"
        "    - {theta: k, matrix: A0.mtx}\n"
        "    - {theta: 1, matrix: N.mtx}\n"
        "  rhs: [{vector: 'vectors.h5:/f'}]\n"
        "  outputs:\n"
        "    - name: weighted\n"
        "      terms: [{theta: 2*c, vector: l.mtx}, {theta: k, vector: 'vectors.h5:/l'}]\n"
        "  stability: inf_sup\n");
    const auto problem = ops::make_external(test_comm(), c);
    CHECK(!problem->symmetric());
    CHECK(!problem->compliant());
    CHECK(problem->stability() == ops::Stability::inf_sup);
    REQUIRE(problem->output_names() == std::vector<std::string>{"weighted"});
    kolmo::MatHandle x;
    KOLMO_PETSC_CALL(MatDuplicate(files.a0, MAT_COPY_VALUES, x.out()));
    KOLMO_PETSC_CALL(
        MatAXPY(x, 1.0, tridiagonal(kSize, 2.0, -1.0, -1.0), DIFFERENT_NONZERO_PATTERN));
    CHECK(norm_of_difference(problem->inner_product(), x.get()) < 1e-14);
    const kolmo::Mu mu{2.0, 3.0};
    const auto values = problem->evaluate_outputs(mu, files.u_exact);
    CHECK(values[0] == Approx((2 * 3.0 + 2.0) * dot(files.l, files.u_exact)).epsilon(1e-13));
  }
  {
    // A given X is used as it is; a first output equal to the rhs (here from another file) makes a
    // symmetric problem compliant.
    const auto c =
        case_with(files.dir, kAffineProblem +
                                 "  symmetric: true\n"
                                 "  inner_product: X.mtx\n"
                                 "  outputs:\n"
                                 "    - {name: energy, terms: [{theta: 1, vector: f.mtx}]}\n"
                                 "    - {name: mean, terms: [{vector: l.mtx}]}\n");
    const auto problem = ops::make_external(test_comm(), c);
    CHECK(problem->compliant());
    CHECK(problem->reference_coefficients().empty());
    CHECK(norm_of_difference(problem->inner_product(), files.a1.get()) == 0.0);
    CHECK(problem->output_names() == std::vector<std::string>{"energy", "mean"});
  }
  {
    // The same vector with another coefficient is not the rhs.
    const auto c = case_with(
        files.dir, kAffineProblem +
                       "  symmetric: true\n"
                       "  outputs: [{name: energy, terms: [{theta: k, vector: f.mtx}]}]\n");
    CHECK(!ops::make_external(test_comm(), c)->compliant());
  }
}

TEST_CASE("sample mode: matrices at points, and only there", "[operators][external]") {
  const auto dir = data_dir();
  const auto m0 = tridiagonal(kSize, 3.0, -1.0, -1.0);
  const auto m1 = diagonal_and_corners(kSize, 5.0);  // not the pattern of m0
  const auto f = vector_of(kSize, ones);
  const auto g = vector_of(kSize, ramp);
  ops::write_matrix_market(m0.get(), dir + "/S0.mtx");
  ops::write_hdf5(m1.get(), dir + "/samples.h5:/S1");
  ops::write_petsc_binary(f.get(), dir + "/f.bin");
  ops::write_petsc_binary(g.get(), dir + "/g.bin");
  const std::string samples =
      "  samples:\n"
      "    - {mu: [2, 0.5], matrix: S0.mtx}\n"
      "    - {mu: [0.1e2, 0], matrix: 'samples.h5:/S1'}\n"
      "  symmetric: true\n";
  {
    const auto c = case_with(dir, samples + "  rhs: [{theta: k, vector: f.bin}]\n");
    const auto problem = ops::make_external(test_comm(), c);
    auto& external = dynamic_cast<const ops::ExternalProblem&>(*problem);
    REQUIRE(external.sample_mode());
    REQUIRE(external.sample_points().size() == 2);
    CHECK(external.sample_points()[1] == kolmo::Mu{10.0, 0.0});
    CHECK(norm_of_difference(external.sample_matrix(1), m1.get()) == 0.0);
    CHECK(problem->lhs().num_terms() == 0);
    CHECK(problem->global_size() == kSize);
    CHECK(problem->compliant());
    CHECK(norm_of_difference(problem->inner_product(), m0.get()) == 0.0);

    kolmo::MatHandle a;
    problem->assemble_operator({10.0, 0.0}, a);
    CHECK(norm_of_difference(a.get(), m1.get()) == 0.0);
    problem->assemble_operator({2.0 * (1 + 1e-14), 0.5}, a);  // equal to 1e-12
    CHECK(norm_of_difference(a.get(), m0.get()) == 0.0);

    const auto message = input_error_of([&] { problem->assemble_operator({2.0, 0.6}, a); });
    CHECK_THAT(message,
               Contains("problem 'external' has matrices only at its 2 sample points; mu = k=2, "
                        "c=0.6 is not one of them (a reduced model built with matrix EIM can "
                        "evaluate other points)"));

    // A truth solve at a sample point: A(mu) u = k f.
    kolmo::solvers::TruthSolver solver(*problem, c.solver);
    auto u = problem->create_vector();
    solver.solve({10.0, 0.0}, u);
    auto r = problem->create_vector();
    KOLMO_PETSC_CALL(MatMult(m1, u, r));
    KOLMO_PETSC_CALL(VecScale(r, 0.1));
    CHECK(norm_of_difference(r.get(), f.get()) < 1e-10);
    CHECK_THROWS_AS(solver.solve({3.0, 0.5}, u), kolmo::InputError);
  }
  {
    // A right-hand side per sample point (in any order).
    const auto c = case_with(dir, samples +
                                      "  rhs:\n"
                                      "    - {mu: [10, 0], vector: g.bin}\n"
                                      "    - {mu: [2, 0.5], vector: f.bin}\n");
    const auto problem = ops::make_external(test_comm(), c);
    CHECK(!problem->compliant());
    CHECK(problem->outputs().empty());
    auto rhs = problem->create_vector();
    problem->assemble_rhs({10.0, 0.0}, rhs);
    CHECK(norm_of_difference(rhs.get(), g.get()) == 0.0);
    problem->assemble_rhs({2.0, 0.5}, rhs);
    CHECK(norm_of_difference(rhs.get(), f.get()) == 0.0);
    CHECK_THAT(input_error_of([&] {
                 problem->assemble_rhs({5.0, 0.5}, rhs);
               }),
               Contains("has right-hand sides only at its 2 sample points; mu = k=5, c=0.5"));
  }
}

TEST_CASE("bad external settings are reported at their key", "[operators][external]") {
  const auto files = write_affine_files();
  const auto dir = files.dir;
  struct Bad {
    std::string problem, expected;
  };
  const std::vector<Bad> bad = {
      {kAffineProblem + "  symetric: true\n",
       "'problem.symetric': unknown key (did you mean 'symmetric'?"},
      {"  rhs: [{vector: f.mtx}]\n", "missing key 'operator'"},
      {kAffineProblem + "  samples: [{mu: [1, 1], matrix: A0.mtx}]\n", "not both"},
      {"  operator: []\n  rhs: [{vector: f.mtx}]\n",
       "'problem.operator': expected a non-empty list"},
      {"  operator: [{theta: k, matrix: A0.mtx}]\n", "missing key 'rhs'"},
      {"  operator: [{theta: kk, matrix: A0.mtx}]\n  rhs: [{vector: f.mtx}]\n",
       "'problem.operator[0].theta'"},
      {"  operator: [{theta: k, matrix: A0.txt}]\n  rhs: [{vector: f.mtx}]\n",
       "'problem.operator[0].matrix': " + dir + "/A0.txt: cannot tell the format"},
      {"  operator: [{theta: k, matrix: A0.mtx, scale: 2}]\n  rhs: [{vector: f.mtx}]\n",
       "'problem.operator[0].scale': unknown key"},
      {"  format: mtx\n" + kAffineProblem, "'problem.format': unknown value 'mtx'"},
      {"  samples: [{mu: [20, 1], matrix: A0.mtx}]\n  rhs: [{vector: f.mtx}]\n",
       "'problem.samples[0].mu': mu: parameter 'k' = 20 is outside its range"},
      {"  samples: [{mu: [2], matrix: A0.mtx}]\n  rhs: [{vector: f.mtx}]\n",
       "'problem.samples[0].mu': mu: expected 2 values"},
      {"  samples: [{mu: [2, 1], matrix: A0.mtx}, {mu: [2, 1], matrix: A1.bin}]\n  rhs: [{vector: "
       "f.mtx}]\n",
       "'problem.samples[1].mu': the same point as problem.samples[0].mu"},
      {"  samples: [{mu: [2, 1], matrix: A0.mtx}]\n  rhs: [{vector: f.mtx}]\n  stability: "
       "parametrically_coercive\n",
       "'problem.stability': parametrically_coercive needs the affine form"},
      {kAffineProblem.substr(0, kAffineProblem.find("  rhs")) +
           "  rhs: [{mu: [2, 1], vector: f.mtx}]\n",
       "'problem.rhs[0].mu': a right-hand side per parameter point needs 'samples'"},
      {"  samples: [{mu: [2, 1], matrix: A0.mtx}, {mu: [3, 1], matrix: A0.mtx}]\n"
       "  rhs: [{mu: [2, 1], vector: f.mtx}]\n",
       "'problem.rhs': no vector for the sample point k=3, c=1"},
      {"  samples: [{mu: [2, 1], matrix: A0.mtx}]\n  rhs: [{mu: [4, 1], vector: f.mtx}]\n",
       "'problem.rhs[0].mu': not one of the points of 'problem.samples'"},
      {kAffineProblem + "  outputs: [{name: a, terms: [{vector: l.mtx}]}, {name: a, terms: "
                        "[{vector: l.mtx}]}]\n",
       "'problem.outputs[1].name': a second output named 'a'"},
  };
  for (const auto& b : bad) {
    INFO(b.problem);
    CHECK_THAT(input_error_of([&] { ops::read_external_settings(case_with(dir, b.problem)); }),
               Contains(dir + "/case.yaml:") && Contains(b.expected));
  }
}

TEST_CASE("bad external files are reported with the file and the key", "[operators][external]") {
  const auto files = write_affine_files();
  const auto dir = files.dir;
  kolmo::MatHandle rectangular;
  KOLMO_PETSC_CALL(MatCreateAIJ(test_comm(), PETSC_DECIDE, PETSC_DECIDE, kSize, kSize - 1, 1,
                                nullptr, 1, nullptr, rectangular.out()));
  KOLMO_PETSC_CALL(MatAssemblyBegin(rectangular, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(rectangular, MAT_FINAL_ASSEMBLY));
  ops::write_matrix_market(rectangular.get(), dir + "/R.mtx");
  const auto small = tridiagonal(kSize - 2, 2.0, -1.0, -1.0);
  ops::write_matrix_market(small.get(), dir + "/small.mtx");
  const auto nonsymmetric = tridiagonal(kSize, 2.0, -1.5, -0.5);
  ops::write_matrix_market(nonsymmetric.get(), dir + "/N.mtx");
  const auto short_vector = vector_of(kSize + 1, ones);
  ops::write_matrix_market(short_vector.get(), dir + "/long.mtx");

  struct Bad {
    std::string problem, expected;
  };
  const std::string rhs = "  rhs: [{vector: 'vectors.h5:/f'}]\n";
  const std::vector<Bad> bad = {
      {"  operator: [{matrix: missing.mtx}]\n" + rhs, dir + "/missing.mtx: no such file"},
      {"  operator: [{matrix: R.mtx}]\n" + rhs,
       "'problem.operator[0].matrix': " + dir + "/R.mtx is 13 x 12, an operator must be square"},
      {"  operator: [{matrix: A0.mtx}, {matrix: small.mtx}]\n" + rhs,
       "'problem.operator[1].matrix': " + dir +
           "/small.mtx is 11 x 11, but 'problem.operator[0].matrix' ("},
      {"  operator: [{matrix: A0.mtx}]\n  rhs: [{vector: long.mtx}]\n",
       "'problem.rhs[0].vector': " + dir + "/long.mtx has 14 entries, but the operator"},
      {"  operator: [{matrix: A0.mtx}, {matrix: N.mtx}]\n" + rhs + "  symmetric: true\n",
       "'problem.operator[1].matrix': " + dir + "/N.mtx is not symmetric"},
      {"  operator: [{matrix: A0.mtx}]\n" + rhs + "  inner_product: N.mtx\n",
       "'problem.inner_product': " + dir + "/N.mtx is not symmetric"},
      {"  operator: [{matrix: A0.mtx}]\n" + rhs + "  inner_product: small.mtx\n",
       "'problem.inner_product': " + dir + "/small.mtx is 11 x 11, but"},
      {"  operator: [{matrix: A0.mtx}]\n" + rhs +
           "  outputs: [{name: s, terms: [{vector: long.mtx}]}]\n",
       "'problem.outputs[0].terms[0].vector': " + dir + "/long.mtx has 14 entries"},
  };
  for (const auto& b : bad) {
    INFO(b.problem);
    const auto c = case_with(dir, b.problem);
    CHECK_THAT(input_error_of([&] { ops::make_external(test_comm(), c); }), Contains(b.expected));
  }
}

// library_use: Kolmo as a library inside another code.
//
// Sample runs:
//   mpiexec -n 2 ./library_use
//   mpiexec -n 2 ./library_use -truth_ksp_monitor
//
// 1. Start MPI, PETSc and SLEPc with kolmo::Environment.
// 2. Describe a study as case-file text (it could be a file; read_case_file reads it on rank 0).
// 3. Build the thermal-block truth problem and solve it at two parameter points.
// 4. Hand Kolmo a matrix of our own (the nonintrusive path): an AffineOperator from two PETSc
//    matrices assembled here, evaluated at a parameter point.
#include <petscsys.h>

#include <cstdio>

#include "core/case_file.hpp"
#include "core/environment.hpp"
#include "core/parameter_space.hpp"
#include "operators/affine_operator.hpp"
#include "operators/problem_factory.hpp"
#include "solvers/truth_solver.hpp"

namespace {

constexpr const char* case_text = R"(
name: library_use
problem: {type: thermal_block, blocks: [2, 2], cells: 32}
parameters:
  - {name: mu0, range: [0.1, 1.0]}
  - {name: mu1, range: [0.1, 1.0]}
  - {name: mu2, range: [0.1, 1.0]}
  - {name: mu3, range: [0.1, 1.0]}
solver: {ksp_type: cg, pc_type: gamg, rtol: 1.0e-10}
)";

// A tridiagonal matrix (-1, 2, -1) * scale on `comm`: stands for a matrix the host code owns.
kolmo::MatHandle host_matrix(MPI_Comm comm, PetscInt n, double scale) {
  kolmo::MatHandle a;
  KOLMO_PETSC_CALL(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, n, n, 3, nullptr, 2, nullptr, a.out()));
  PetscInt begin, end;
  KOLMO_PETSC_CALL(MatGetOwnershipRange(a, &begin, &end));
  for (PetscInt i = begin; i < end; ++i) {
    if (i > 0) KOLMO_PETSC_CALL(MatSetValue(a, i, i - 1, -scale, INSERT_VALUES));
    KOLMO_PETSC_CALL(MatSetValue(a, i, i, 2 * scale, INSERT_VALUES));
    if (i + 1 < n) KOLMO_PETSC_CALL(MatSetValue(a, i, i + 1, -scale, INSERT_VALUES));
  }
  KOLMO_PETSC_CALL(MatAssemblyBegin(a, MAT_FINAL_ASSEMBLY));
  KOLMO_PETSC_CALL(MatAssemblyEnd(a, MAT_FINAL_ASSEMBLY));
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment environment(argc, argv);  // 1.
  MPI_Comm comm = PETSC_COMM_WORLD;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  try {
    const auto study = kolmo::parse_case_file(case_text, "library_use.yaml");  // 2.
    auto problem = kolmo::operators::make_problem(comm, study);                // 3.
    kolmo::solvers::TruthSolver solver(*problem, study.solver, "truth_");
    auto u = problem->create_vector();
    for (const kolmo::Mu& mu : {kolmo::Mu{0.1, 0.3, 0.5, 1.0}, kolmo::Mu{1.0, 1.0, 1.0, 1.0}}) {
      const auto stats = solver.solve(mu, u);
      const auto outputs = problem->evaluate_outputs(mu, u);
      if (rank == 0)
        std::printf("%s: compliance = %.6f (%lld CG iterations)\n",
                    kolmo::format_mu(problem->parameter_space(), mu).c_str(), outputs[0],
                    static_cast<long long>(stats.iterations));
    }

    kolmo::ParameterSpace space({{"k", 0.5, 2.0}});  // 4.
    kolmo::operators::AffineOperator host(comm);
    host.add_term(host_matrix(comm, 10, 1.0), kolmo::operators::Coefficient::constant(1.0), "stiffness");
    host.add_term(host_matrix(comm, 10, 0.5), kolmo::operators::Coefficient::expression("k^2", space), "reaction");
    kolmo::MatHandle a;
    host.assemble({2.0}, a);
    PetscReal norm = 0;
    KOLMO_PETSC_CALL(MatNorm(a, NORM_INFINITY, &norm));
    if (rank == 0) std::printf("host operator at k = 2: infinity norm %.1f\n", norm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] error: %s\n", rank, e.what());
    return 1;
  }
  return 0;
}

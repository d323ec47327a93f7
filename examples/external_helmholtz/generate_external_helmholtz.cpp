// generate_external_helmholtz CASE [CELLS]: write the files an `external` case in sample mode
// names, from Kolmo's own helmholtz problem (CELLS x CELLS Q1 cells, default 32, wavenumber
// squared = the case's first parameter), standing in for an external code:
//   every problem.samples[i].matrix  <- A(mu_i) = K - k2(mu_i) M,
//   every problem.rhs[q].vector      <- the load f of the source 1,
//   problem.inner_product            <- X = K + M.
// Run on one rank: the files are written in the grid's natural ordering, which is PETSc's
// ordering on one rank only.
//
// Sample run: ./generate_external_helmholtz external_helmholtz.yaml
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/case_file.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/mpi.hpp"
#include "operators/external_problem.hpp"
#include "operators/helmholtz.hpp"
#include "operators/matrix_io.hpp"

namespace {

void ensure_directory(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

void write_matrix(Mat a, const std::string& path) {
  ensure_directory(path);
  switch (kolmo::operators::detect_matrix_format(path)) {
    case kolmo::operators::MatrixFormat::matrix_market: kolmo::operators::write_matrix_market(a, path); break;
    case kolmo::operators::MatrixFormat::hdf5: kolmo::operators::write_hdf5(a, path); break;
    default: kolmo::operators::write_petsc_binary(a, path);
  }
}

void write_vector(Vec v, const std::string& path) {
  ensure_directory(path);
  switch (kolmo::operators::detect_matrix_format(path)) {
    case kolmo::operators::MatrixFormat::matrix_market: kolmo::operators::write_matrix_market(v, path); break;
    case kolmo::operators::MatrixFormat::hdf5: kolmo::operators::write_hdf5(v, path); break;
    default: kolmo::operators::write_petsc_binary(v, path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  kolmo::Environment env(argc, argv);
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: %s CASE [CELLS]\n", argv[0]);
      return 2;
    }
    MPI_Comm comm = PETSC_COMM_WORLD;
    int size = 0;
    MPI_Comm_size(comm, &size);
    KOLMO_CHECK(size == 1, "run the generator on one rank (the files are in natural ordering)");
    const auto c = kolmo::read_case_file(comm, argv[1]);
    const auto settings = kolmo::operators::read_external_settings(c);
    KOLMO_CHECK(settings.sample_mode(), argv[1] << ": the generator fills 'problem.samples'");

    kolmo::operators::HelmholtzSettings helmholtz;
    const PetscInt cells = argc > 2 ? std::atoi(argv[2]) : 32;
    helmholtz.cells = {cells, cells};
    helmholtz.wavenumber_squared = c.parameters.parameter(0).name;
    const kolmo::operators::HelmholtzProblem problem(comm, c.parameters, helmholtz);

    kolmo::MatHandle a;
    for (const auto& sample : settings.samples) {
      problem.assemble_operator(sample.mu, a);
      write_matrix(a, sample.file.path);
    }
    kolmo::VecHandle f = problem.create_vector();
    problem.assemble_rhs(settings.samples.front().mu, f);
    for (const auto& term : settings.rhs_terms) write_vector(f, term.file.path);
    if (settings.inner_product) write_matrix(problem.inner_product(), settings.inner_product->path);
    std::printf("wrote %zu sample matrices of size %lld\n", settings.samples.size(),
                static_cast<long long>(problem.global_size()));
  } catch (const std::exception& e) {
    kolmo::abort_all_ranks(PETSC_COMM_WORLD, e.what());
  }
  return 0;
}

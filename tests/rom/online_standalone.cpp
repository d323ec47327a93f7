// online_standalone [MODEL.h5 [MODEL_WITH_BASIS.h5]]: proves that the online stage needs neither PETSc nor MPI. Linked to
// Kolmo::online only, with its own main (no PetscInitialize, no MPI_Init), it builds a small
// reduced model in memory, writes it, reads it back and evaluates it against direct dense
// computations, then checks that MPI was never initialised. The model file is left at MODEL.h5
// (default: online_model.h5) for the command-line tests of `kolmo online`, and a copy with the
// basis (/basis) and a 6 x 4 grid layout (/layout), as the offline stage writes them, at
// MODEL_WITH_BASIS.h5 if given (for `kolmo online --field`).
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "dense_affine_problem.hpp"
#include "rom/online/online_evaluator.hpp"
#include "rom/online/reduced_model_io.hpp"

namespace {

int failures = 0;
int checks = 0;

void check(bool condition, const std::string& what) {
  ++checks;
  if (!condition) {
    ++failures;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kolmo::rom;
  const std::string path = argc > 1 ? argv[1] : "online_model.h5";
  try {
    const auto p = testing::make_dense_problem(24, 5);
    const Eigen::MatrixXd v = testing::solution_basis(p, testing::random_points(p, 5, 6));
    write_reduced_model(testing::make_reduced_model(p, v), path);
    const ReducedModel model = read_reduced_model(path);
    check(model.max_size() == 5, "the model read back has basis size 5");
    OnlineEvaluator evaluator(model);
    for (const auto& mu : testing::random_points(p, 10, 7)) {
      const auto result = evaluator.evaluate(mu);
      const Eigen::VectorXd u =
          (v.transpose() * p.operator_at(mu) * v).lu().solve(v.transpose() * p.rhs_at(mu));
      check((result.coefficients - u).norm() <= 1e-10 * u.norm(), "u_N equals the Galerkin solution");
      const Eigen::VectorXd e = p.solve(mu) - v * result.coefficients;
      const double error = std::sqrt(e.dot(p.x * e));
      check(error <= result.error_bound, "the true error is below the bound");
      check(result.error_bound <= 100 * error, "the bound is sharp enough");
    }
    bool rejected = false;
    try {
      evaluator.evaluate({0.5, 1.5, 0.5});
    } catch (const kolmo::InputError& error) {
      rejected = std::string(error.what()) == "mu: parameter 'mu2' = 1.5 is outside its range [0.1, 1]";
    }
    check(rejected, "a point outside the box is rejected");
    const auto batch = evaluator.evaluate_batch(testing::random_points(p, 64, 8), -1, 2);
    check(batch.size() == 64, "batch evaluation on 2 threads");

    if (argc > 2) {
      auto file = kolmo::h5::File::create_serial(argv[2], true);
      write_reduced_model(file, model);
      file.create_group("/layout");
      file.write_attributes("/layout", {{"dimension", std::int64_t{2}},
                                        {"nodes", std::vector<std::int64_t>{6, 4, 1}},
                                        {"origin", std::vector<double>{0, 0, 0}},
                                        {"spacing", std::vector<double>{0.2, 1.0 / 3, 1}},
                                        {"components", std::int64_t{1}},
                                        {"component_names", std::vector<std::string>{"u"}}});
      std::vector<double> rows;
      for (Eigen::Index i = 0; i < v.rows(); ++i)
        for (Eigen::Index j = 0; j < v.cols(); ++j) rows.push_back(v(i, j));
      file.write_doubles("/basis", {static_cast<hsize_t>(v.rows()), static_cast<hsize_t>(v.cols())},
                         rows);
      file.close();
      const auto back = kolmo::h5::File::open_serial(argv[2], kolmo::h5::Access::read_only);
      check(has_reduced_basis(back), "the second file holds a basis");
      check(read_reduced_basis(back, 3) == v.leftCols(3), "the basis reads back");
    }
  } catch (const std::exception& e) {
    std::printf("FAILED: exception: %s\n", e.what());
    ++failures;
  }
  int initialized = 1;
  MPI_Initialized(&initialized);  // allowed before MPI_Init: asks, initialises nothing
  check(initialized == 0, "MPI was never initialised");
  std::printf("online_standalone: %d checks, %d passed, %d failed\n", checks, checks - failures,
              failures);
  return failures == 0 ? 0 : 1;
}

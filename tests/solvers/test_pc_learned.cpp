// The kolmo_learned PC and the built-in learned_ic model: fitting lowers the training loss, the
// fitted factor lowers CG iterations on an unseen system below the IC(0) it starts from, the
// operator is SPD, save/load reproduces it exactly, bad files are reported, and a non-SPD model
// paired with CG is flagged.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include "core/hdf5_file.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/learned_ic_model.hpp"
#include "solvers/pc_learned.hpp"
#include "solvers/register_solvers.hpp"
#include "test_pc_problems.hpp"

using namespace kolmo;
using namespace kolmo::solvers;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr PetscInt train_n = 24;
constexpr PetscInt test_n = 40;

TrainingData training_data(MPI_Comm comm, int systems) {
  return testing::darcy_training_data(comm, train_n, systems);
}

// CG iterations to rtol 1e-8 on `a` with the kolmo_learned PC using `model`.
PetscInt learned_iterations(Mat a, Vec b, std::shared_ptr<LearnedModel> model) {
  KSPHandle ksp = testing::make_ksp(a, KSPCG, pc_type_learned, 1e-8);
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  learned_pc_set_model(pc, std::move(model));
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  KSPConvergedReason reason{};
  const PetscInt its = testing::solve(ksp, b, x, &reason);
  REQUIRE(reason > 0);
  return its;
}

std::string file_name(const char* stem) {
  int size = 1;
  MPI_Comm_size(test_comm(), &size);
  return std::string(stem) + "_np" + std::to_string(size) + ".h5";
}

// A user-defined model as the docs describe: one forward Gauss-Seidel sweep on the local block.
// Not symmetric, so it needs a flexible Krylov method.
class ForwardGaussSeidel final : public LearnedModel {
 public:
  std::string name() const override { return "test_forward_gs"; }
  bool symmetric_positive() const override { return false; }
  void setup(Mat a) override { block_ = local_diagonal_block(a); }
  void apply(Vec r, Vec z) const override {
    const PetscScalar* rv = nullptr;
    PetscScalar* zv = nullptr;
    KOLMO_PETSC_CALL(VecGetArrayRead(r, &rv));
    KOLMO_PETSC_CALL(VecGetArray(z, &zv));
    for (PetscInt i = 0; i < block_.rows(); ++i) {
      PetscScalar s = rv[i];
      for (PetscInt p = block_.row_start[i]; p < block_.diag[i]; ++p) s -= block_.values[p] * zv[block_.cols[p]];
      zv[i] = s / block_.values[block_.diag[i]];
    }
    KOLMO_PETSC_CALL(VecRestoreArray(z, &zv));
    KOLMO_PETSC_CALL(VecRestoreArrayRead(r, &rv));
  }
  FitReport fit(const TrainingData&) override { return {}; }  // nothing to fit
  double loss(const TrainingData&) const override { return 0.0; }
  void save(MPI_Comm, const std::string&) const override {}
  void load(MPI_Comm, const std::string&) override {}

 private:
  LocalCsr block_;
};

}  // namespace

TEST_CASE("learned_ic: fitting lowers the training loss and the iterations on an unseen system",
          "[learned]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const TrainingData data = training_data(comm, 4);
  auto fitted = std::make_shared<LearnedIcModel>();
  fitted->set_max_iterations(25);
  const double before = fitted->loss(data);
  const FitReport report = fitted->fit(data);
  CHECK(report.initial_loss == Approx(before).epsilon(1e-12));
  // The fit must make a real difference, not a rounding-level one.
  REQUIRE(report.final_loss < 0.5 * report.initial_loss);
  REQUIRE(fitted->loss(data) == Approx(report.final_loss).epsilon(1e-10));
  // The weights are the same on every rank (each rank ran the same optimisation).
  const double w0 = fitted->weights()(0);
  double w0_max = w0;
  MPI_Allreduce(MPI_IN_PLACE, &w0_max, 1, MPI_DOUBLE, MPI_MAX, comm);
  REQUIRE(on_all_ranks(w0 == w0_max));

  // Unseen coefficient, larger grid.
  MatHandle a = testing::darcy_matrix(comm, test_n, 999);
  VecHandle b = testing::darcy_rhs(a, test_n, 0, 5);
  const PetscInt start = learned_iterations(a, b, std::make_shared<LearnedIcModel>());
  const PetscInt after = learned_iterations(a, b, fitted);
  INFO("CG iterations: IC(0) start " << start << ", fitted " << after);
  int size = 1;
  MPI_Comm_size(comm, &size);
  // On one process the fitted factor (close to a shifted modified IC) needs about 0.55 times the
  // iterations of IC(0). On several, the factor is per block (block Jacobi, IC(0) per block as the
  // start); lumping the couplings to other blocks helps, but the missing coupling between blocks
  // limits the gain (0.75 at 2 ranks here).
  REQUIRE(after <= (size == 1 ? 0.7 : 0.85) * start);

  if (size == 1) {
    // The starting weights are IC(0) up to omega ~ 0.0025: PETSc's ICC(0) needs as many iterations.
    KSPHandle ksp = testing::make_ksp(a, KSPCG, PCICC, 1e-8);
    VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    const PetscInt icc = testing::solve(ksp, b, x);
    REQUIRE(std::abs(icc - start) <= 2);
  }
}

TEST_CASE("learned_ic: L L^T is symmetric positive definite", "[learned]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  MatHandle a = testing::darcy_matrix(comm, 20, 7, 2.5);
  LearnedIcModel model;
  // Strongly modified and shifted: omega ~ 1, so pivots are pushed down hard.
  Eigen::VectorXd w = Eigen::VectorXd::Zero(LearnedIcModel::weight_count);
  w(0) = 8.0;
  w(LearnedIcModel::feature_count) = -3.0;
  model.set_weights(w);
  model.setup(a);
  REQUIRE(on_all_ranks(model.min_relative_pivot() > 0));
  for (unsigned seed = 1; seed <= 3; ++seed) {
    VecHandle x = testing::random_vector(a, seed), y = testing::random_vector(a, seed + 10);
    VecHandle mx, my;
    KOLMO_PETSC_CALL(VecDuplicate(x, mx.out()));
    KOLMO_PETSC_CALL(VecDuplicate(x, my.out()));
    model.apply(x, mx);
    model.apply(y, my);
    PetscScalar xmx = 0, ymx = 0, xmy = 0;
    KOLMO_PETSC_CALL(VecDot(x, mx, &xmx));
    KOLMO_PETSC_CALL(VecDot(y, mx, &ymx));
    KOLMO_PETSC_CALL(VecDot(x, my, &xmy));
    REQUIRE(xmx > 0);
    REQUIRE(ymx == Approx(xmy).epsilon(1e-10));
  }
}

TEST_CASE("learned_ic: save and load reproduce the preconditioner exactly; options select it",
          "[learned]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const TrainingData data = training_data(comm, 2);
  LearnedIcModel fitted;
  fitted.set_max_iterations(8);
  fitted.fit(data);
  const std::string path = file_name("test_pc_learned_model");
  fitted.save(comm, path);
  REQUIRE(learned_model_name_in_file(comm, path) == "learned_ic");

  auto loaded = create_learned_model("learned_ic");
  loaded->load(comm, path);
  MatHandle a = testing::darcy_matrix(comm, 30, 4242);
  fitted.setup(a);
  loaded->setup(a);
  VecHandle r = testing::random_vector(a, 3), z1, z2;
  KOLMO_PETSC_CALL(VecDuplicate(r, z1.out()));
  KOLMO_PETSC_CALL(VecDuplicate(r, z2.out()));
  fitted.apply(r, z1);
  loaded->apply(r, z2);
  PetscBool equal = PETSC_FALSE;
  KOLMO_PETSC_CALL(VecEqual(z1, z2, &equal));
  REQUIRE(equal == PETSC_TRUE);

  // Through the options database: -pc_kolmo_learned_model / -pc_kolmo_learned_file.
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tlearn_pc_kolmo_learned_model", "learned_ic"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tlearn_pc_kolmo_learned_file", path.c_str()));
  KSPHandle ksp = testing::make_ksp(a, KSPCG, pc_type_learned, 1e-8, 10000, "tlearn_");
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  VecHandle b = testing::darcy_rhs(a, 30, 0, 1), x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  const PetscInt via_options = testing::solve(ksp, b, x);
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-tlearn_pc_kolmo_learned_model"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-tlearn_pc_kolmo_learned_file"));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  auto used = std::dynamic_pointer_cast<LearnedIcModel>(learned_pc_model(pc));
  REQUIRE(used != nullptr);
  REQUIRE(used->weights() == fitted.weights());
  auto copy = std::make_shared<LearnedIcModel>();
  copy->set_weights(fitted.weights());
  REQUIRE(learned_iterations(a, b, copy) == via_options);
}

TEST_CASE("learned model files: a mismatched or foreign file is a clear input error", "[learned]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const std::string other = file_name("test_pc_learned_other");
  {
    h5::File f = h5::File::create(comm, other, true);
    f.write_attribute("/", "kolmo_model", std::string("some_other_model"));
    f.close();
  }
  LearnedIcModel model;
  REQUIRE_THROWS_AS(model.load(comm, other), InputError);
  REQUIRE_THROWS_WITH(model.load(comm, other),
                      Catch::Contains(other) && Catch::Contains("some_other_model") &&
                          Catch::Contains("learned_ic"));
  const std::string foreign = file_name("test_pc_learned_foreign");
  {
    h5::File f = h5::File::create(comm, foreign, true);
    f.write_doubles("/weights", {3}, {1.0, 2.0, 3.0});
    f.close();
  }
  REQUIRE_THROWS_WITH(model.load(comm, foreign),
                      Catch::Contains(foreign) && Catch::Contains("not a Kolmo learned-preconditioner model"));
  const std::string short_weights = file_name("test_pc_learned_short");
  {
    h5::File f = h5::File::create(comm, short_weights, true);
    f.write_attribute("/", "kolmo_model", std::string("learned_ic"));
    f.write_attribute("/", "version", std::int64_t{1});
    f.write_attribute("/", "feature_count", std::int64_t{LearnedIcModel::feature_count});
    f.write_doubles("/weights", {3}, {1.0, 2.0, 3.0});
    f.close();
  }
  REQUIRE_THROWS_WITH(model.load(comm, short_weights),
                      Catch::Contains(short_weights) && Catch::Contains("/weights has 3 values"));
  const std::string garbage = file_name("test_pc_learned_garbage");
  {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) std::ofstream(garbage) << "not an HDF5 file\n";
    MPI_Barrier(comm);
  }
  REQUIRE_THROWS_AS(model.load(comm, garbage), InputError);
  REQUIRE_THROWS_WITH(model.load(comm, garbage), Catch::Contains(garbage));
  REQUIRE_THROWS_WITH(create_learned_model("no_such_model"), Catch::Contains("learned_ic"));
}

TEST_CASE("kolmo_learned: a user model that is not SPD is flagged with CG and works with FGMRES",
          "[learned]") {
  register_solvers();
  register_learned_model("test_forward_gs", [] { return std::make_unique<ForwardGaussSeidel>(); });
  const MPI_Comm comm = test_comm();
  MatHandle a = testing::darcy_matrix(comm, 20, 3);
  VecHandle b = testing::darcy_rhs(a, 20, 0, 1), x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  for (const char* type : {KSPCG, KSPFGMRES}) {
    KSPHandle ksp = testing::make_ksp(a, type, pc_type_learned, 1e-8);
    PC pc = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
    learned_pc_set_model(pc, create_learned_model("test_forward_gs"));
    KOLMO_PETSC_CALL(KSPSetUp(ksp));
    const std::string warning = learned_pc_pairing_warning(ksp);
    if (std::string(type) == KSPCG) {
      REQUIRE_THAT(warning, Catch::Contains("test_forward_gs") && Catch::Contains("'cg'") &&
                                Catch::Contains("fgmres"));
    } else {
      REQUIRE(warning.empty());
      KSPConvergedReason reason{};
      testing::solve(ksp, b, x, &reason);
      REQUIRE(reason > 0);
      REQUIRE(testing::relative_residual(a, b, x) < 1e-7);
    }
  }
}

// The learned factor as the subdomain solver of additive Schwarz with overlap
// (-pc_type asm -sub_pc_type kolmo_learned): each sub-PC really runs the learned factor on its
// overlapped subdomain matrix (the unfitted model there matches PETSc's ICC sub-PC, the fitted one
// needs clearly fewer CG iterations on an unseen system), models handed over in code and weights
// read through the sub-PC's options give the same solve, and misuse is reported.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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
constexpr PetscInt test_n = 48;

// learned_ic fitted on sequential Darcy systems (PETSC_COMM_SELF), as a subdomain solver sees
// them; every rank runs the same fit and gets the same weights.
std::shared_ptr<const LearnedIcModel> sequential_fit() {
  const TrainingData data = testing::darcy_training_data(PETSC_COMM_SELF, train_n, 3);
  auto model = std::make_shared<LearnedIcModel>();
  model->set_max_iterations(15);
  const FitReport report = model->fit(data);
  REQUIRE(report.final_loss < 0.5 * report.initial_loss);
  return model;
}

// CG (rtol 1e-8) with symmetric ASM of overlap 1 on `a`.
KSPHandle asm_ksp(Mat a, const char* prefix = nullptr) {
  KSPHandle ksp = testing::make_ksp(a, KSPCG, PCASM, 1e-8, 2000, prefix);
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  KOLMO_PETSC_CALL(PCASMSetOverlap(pc, 1));
  KOLMO_PETSC_CALL(PCASMSetType(pc, PC_ASM_BASIC));
  return ksp;
}

// The sub-PCs of a set-up ASM KSP on this process.
std::vector<PC> sub_pcs(KSP ksp) {
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  PetscInt count = 0;
  KSP* sub = nullptr;
  KOLMO_PETSC_CALL(PCASMGetSubKSP(pc, &count, nullptr, &sub));
  std::vector<PC> pcs;
  for (PetscInt i = 0; i < count; ++i) {
    PC s = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(sub[i], &s));
    pcs.push_back(s);
  }
  return pcs;
}

struct AsmSolve {
  PetscInt iterations = 0;
  double mean_omega = -1;  // of the learned factor of this process's subdomain
};

// CG + ASM(1) with the kolmo_learned sub-PC, each a copy of `model`.
AsmSolve learned_asm_solve(Mat a, Vec b, const LearnedIcModel& model) {
  KSPHandle ksp = asm_ksp(a);
  KOLMO_PETSC_CALL(KSPSetUp(ksp));
  for (PC s : sub_pcs(ksp)) KOLMO_PETSC_CALL(PCSetType(s, pc_type_learned));
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  const int set =
      learned_pc_set_sub_models(pc, [&] { return std::make_shared<LearnedIcModel>(model); });
  REQUIRE(on_all_ranks(set == 1));
  VecHandle x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  KSPConvergedReason reason{};
  AsmSolve out;
  out.iterations = testing::solve(ksp, b, x, &reason);
  REQUIRE(on_all_ranks(reason > 0));
  REQUIRE(on_all_ranks(testing::relative_residual(a, b, x) < 1e-6));
  auto used = std::dynamic_pointer_cast<LearnedIcModel>(learned_pc_model(sub_pcs(ksp).front()));
  REQUIRE(on_all_ranks(used != nullptr));
  out.mean_omega = used->mean_omega();
  return out;
}

}  // namespace

TEST_CASE("kolmo_learned as the ASM subdomain solver: the fitted factor is used and pays off",
          "[learned][asm]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const auto fitted = sequential_fit();
  // Unseen coefficient, larger grid.
  MatHandle a = testing::darcy_matrix(comm, test_n, 5000);
  VecHandle b = testing::darcy_rhs(a, test_n, 1, 77);

  const AsmSolve start = learned_asm_solve(a, b, LearnedIcModel());
  const AsmSolve after = learned_asm_solve(a, b, *fitted);
  PetscInt icc = 0;
  {
    KSPHandle ksp = asm_ksp(a);
    KOLMO_PETSC_CALL(KSPSetUp(ksp));
    for (PC s : sub_pcs(ksp)) KOLMO_PETSC_CALL(PCSetType(s, PCICC));
    VecHandle x;
    KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
    icc = testing::solve(ksp, b, x);
  }
  INFO("CG + ASM(1) iterations: ICC sub-PC " << icc << ", learned start " << start.iterations
                                             << ", fitted " << after.iterations);
  // The starting weights are IC(0) up to omega ~ 0.0025, so on the same overlapped subdomain
  // matrices they must match PETSc's ICC sub-PC: a sub-PC that silently fell back to something
  // else (or factored another matrix) would not.
  REQUIRE(std::abs(start.iterations - icc) <= 2);
  REQUIRE(on_all_ranks(start.mean_omega < 0.01));
  // The fitted factor is close to modified IC on the subdomain (omega near 1) and needs clearly
  // fewer iterations (about 0.5 of IC(0)'s here at 1 and 2 ranks).
  REQUIRE(on_all_ranks(after.mean_omega > 0.5));
  REQUIRE(after.iterations <= 0.7 * start.iterations);
}

TEST_CASE("kolmo_learned in ASM: weights from -sub_pc_kolmo_learned_file give the same solve",
          "[learned][asm]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  LearnedIcModel model;
  Eigen::VectorXd w = model.weights();
  w(0) = 3.0;  // omega ~ 0.95: a modified IC factor, far from the default start
  w(LearnedIcModel::feature_count) = -4.0;
  model.set_weights(w);
  int size = 1;
  MPI_Comm_size(comm, &size);
  const std::string path = "test_pc_learned_asm_np" + std::to_string(size) + ".h5";
  model.save(comm, path);

  MatHandle a = testing::darcy_matrix(comm, 32, 4242);
  VecHandle b = testing::darcy_rhs(a, 32, 0, 1), x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));
  const PetscInt in_code = learned_asm_solve(a, b, model).iterations;

  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tasm_sub_pc_type", pc_type_learned));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-tasm_sub_pc_kolmo_learned_file", path.c_str()));
  KSPHandle ksp = asm_ksp(a, "tasm_");
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  const PetscInt via_options = testing::solve(ksp, b, x);
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-tasm_sub_pc_type"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-tasm_sub_pc_kolmo_learned_file"));
  const auto used = std::dynamic_pointer_cast<LearnedIcModel>(learned_pc_model(sub_pcs(ksp).front()));
  REQUIRE(on_all_ranks(used != nullptr && used->weights() == w));
  REQUIRE(via_options == in_code);
}

TEST_CASE("learned_pc_set_sub_models: wrong outer PC type or call before setup is reported",
          "[learned][asm]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  MatHandle a = testing::darcy_matrix(comm, 16, 3);
  auto make = [] { return std::make_shared<LearnedIcModel>(); };
  {
    KSPHandle ksp = testing::make_ksp(a, KSPCG, PCJACOBI, 1e-8);
    PC pc = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
    REQUIRE_THROWS_WITH(learned_pc_set_sub_models(pc, make),
                        Catch::Contains("jacobi") && Catch::Contains("asm"));
  }
  {
    KSPHandle ksp = asm_ksp(a);
    PC pc = nullptr;
    KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
    REQUIRE_THROWS_WITH(learned_pc_set_sub_models(pc, make), Catch::Contains("PCSetUp"));
    // After setup, sub-PCs of another type are left alone.
    KOLMO_PETSC_CALL(KSPSetUp(ksp));
    REQUIRE(learned_pc_set_sub_models(pc, make) == 0);
  }
}

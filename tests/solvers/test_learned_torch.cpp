// The TorchScript backend of kolmo_learned (built with -DKOLMO_WITH_TORCH=ON). The scripted
// modules are generated here, at test time, from TorchScript source with libtorch's C++ API, so
// the test needs no Python: a Jacobi module must reproduce PCJACOBI's FGMRES iterations exactly, a
// sparse-product module checks that forward() receives this process's diagonal block, save()
// embeds the module so the model file works without the .pt, and bad files are clear errors.
#include <torch/script.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"
#include "mpi_test_helpers.hpp"
#include "recycling_test_problems.hpp"
#include "solvers/learned_ic_model.hpp"
#include "solvers/pc_learned.hpp"
#include "solvers/register_solvers.hpp"
#include "solvers/torch/torchscript_model.hpp"
#include "test_pc_problems.hpp"

using namespace kolmo;
using namespace kolmo::solvers;
using kolmo::testing::on_all_ranks;
using kolmo::testing::test_comm;

namespace {

constexpr const char* signature =
    "def forward(self, r: Tensor, rows: Tensor, cols: Tensor, vals: Tensor, diag: Tensor) -> Tensor:\n";

// z = D^-1 r: PCJACOBI.
const std::string jacobi_source = std::string(signature) + "    return r / diag\n";
// z = A_local r by message passing along the block's edges.
const std::string product_source =
    std::string(signature) + "    return torch.zeros_like(r).index_add_(0, rows, vals * r[cols])\n";
// Wrong output size.
const std::string short_source = std::string(signature) + "    return r[0:1]\n";
// Wrong signature.
const std::string one_argument_source = "def forward(self, r: Tensor) -> Tensor:\n    return r\n";

std::string file_name(const std::string& stem, const char* extension) {
  return stem + "_np" + std::to_string(comm_size(test_comm())) + extension;
}

// Script `source` into a module saved at `path` by rank 0.
void write_module(const std::string& path, const std::string& source) {
  if (comm_rank(test_comm()) == 0) {
    torch::jit::Module module("kolmo_test_module");
    module.define(source);
    module.save(path);
  }
  MPI_Barrier(test_comm());
}

void write_text(const std::string& path, const std::string& text) {
  if (comm_rank(test_comm()) == 0) std::ofstream(path, std::ios::binary) << text;
  MPI_Barrier(test_comm());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<TorchScriptModel> loaded(const std::string& path) {
  auto model = std::make_shared<TorchScriptModel>();
  model->load(test_comm(), path);
  return model;
}

// A vector with entries depending on the global index only (same on any number of ranks).
VecHandle probe(Mat a) {
  VecHandle r;
  KOLMO_PETSC_CALL(MatCreateVecs(a, r.out(), nullptr));
  PetscInt low = 0, high = 0;
  KOLMO_PETSC_CALL(VecGetOwnershipRange(r, &low, &high));
  for (PetscInt g = low; g < high; ++g)
    KOLMO_PETSC_CALL(VecSetValue(r, g, std::sin(0.37 * static_cast<double>(g)) + 0.1, INSERT_VALUES));
  KOLMO_PETSC_CALL(VecAssemblyBegin(r));
  KOLMO_PETSC_CALL(VecAssemblyEnd(r));
  return r;
}

PetscReal max_difference(Vec x, Vec y) {
  VecHandle d;
  KOLMO_PETSC_CALL(VecDuplicate(x, d.out()));
  KOLMO_PETSC_CALL(VecWAXPY(d, -1.0, y, x));
  PetscReal norm = 0;
  KOLMO_PETSC_CALL(VecNorm(d, NORM_INFINITY, &norm));
  return norm;
}

}  // namespace

TEST_CASE("torchscript: the backend is registered and declares itself not SPD", "[learned][torch]") {
  register_solvers();
  REQUIRE(torchscript_available());
  auto model = create_learned_model(torchscript_model_name);
  REQUIRE(model->name() == "torchscript");
  REQUIRE_FALSE(model->symmetric_positive());
  MatHandle a = testing::darcy_matrix(test_comm(), 8, 1);
  REQUIRE_THROWS_WITH(model->setup(a), Catch::Contains("no module loaded"));
  REQUIRE_THROWS_AS(model->fit(TrainingData{}), InputError);
}

TEST_CASE("torchscript: a scripted Jacobi module gives exactly PCJACOBI's FGMRES iterations",
          "[learned][torch]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const std::string jacobi = file_name("test_torch_jacobi", ".pt");
  write_module(jacobi, jacobi_source);
  constexpr PetscInt n = 32;
  MatHandle a = testing::darcy_matrix(comm, n, 7);
  VecHandle b = testing::darcy_rhs(a, n, 1, 3), x_ref, x;
  KOLMO_PETSC_CALL(VecDuplicate(b, x_ref.out()));
  KOLMO_PETSC_CALL(VecDuplicate(b, x.out()));

  KSPHandle reference = testing::make_ksp(a, KSPFGMRES, PCJACOBI, 1e-8);
  KSPConvergedReason reason{};
  const PetscInt jacobi_its = testing::solve(reference, b, x_ref, &reason);
  REQUIRE(reason > 0);
  REQUIRE(jacobi_its > 20);  // a real solve, not a trivial one

  // Selected through the options database, as a user would.
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-ttorch_pc_kolmo_learned_model", "torchscript"));
  KOLMO_PETSC_CALL(PetscOptionsSetValue(nullptr, "-ttorch_pc_kolmo_learned_file", jacobi.c_str()));
  KSPHandle ksp = testing::make_ksp(a, KSPFGMRES, pc_type_learned, 1e-8, 10000, "ttorch_");
  KOLMO_PETSC_CALL(KSPSetFromOptions(ksp));
  const PetscInt its = testing::solve(ksp, b, x, &reason);
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-ttorch_pc_kolmo_learned_model"));
  KOLMO_PETSC_CALL(PetscOptionsClearValue(nullptr, "-ttorch_pc_kolmo_learned_file"));
  REQUIRE(reason > 0);
  REQUIRE(its == jacobi_its);
  REQUIRE(max_difference(x, x_ref) < 1e-10);
  REQUIRE(testing::relative_residual(a, b, x) < 1e-7);
  PC pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(ksp, &pc));
  auto used = std::dynamic_pointer_cast<TorchScriptModel>(learned_pc_model(pc));
  REQUIRE(used != nullptr);
  REQUIRE(used->source() == jacobi);

  // The same model with plain CG is flagged: the hook cannot know a module is linear and SPD.
  KSPHandle cg = testing::make_ksp(a, KSPCG, pc_type_learned, 1e-8);
  PC cg_pc = nullptr;
  KOLMO_PETSC_CALL(KSPGetPC(cg, &cg_pc));
  learned_pc_set_model(cg_pc, loaded(jacobi));
  KOLMO_PETSC_CALL(KSPSetUp(cg));
  REQUIRE_THAT(learned_pc_pairing_warning(cg), Catch::Contains("torchscript") && Catch::Contains("fgmres"));
}

TEST_CASE("torchscript: forward receives this process's diagonal block as a graph",
          "[learned][torch]") {
  register_solvers();
  const std::string product = file_name("test_torch_product", ".pt");
  write_module(product, product_source);
  MatHandle a = testing::darcy_matrix(test_comm(), 20, 5);
  auto model = loaded(product);
  model->setup(a);
  VecHandle r = probe(a), z;
  KOLMO_PETSC_CALL(VecDuplicate(r, z.out()));
  model->apply(r, z);

  // Reference: the local diagonal block times the local part of r.
  Mat block = nullptr;
  KOLMO_PETSC_CALL(MatGetDiagonalBlock(a, &block));
  PetscInt n = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(r, &n));
  const PetscScalar* rv = nullptr;
  const PetscScalar* zv = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(r, &rv));
  KOLMO_PETSC_CALL(VecGetArrayRead(z, &zv));
  VecHandle r_local, expected;
  KOLMO_PETSC_CALL(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, n, rv, r_local.out()));
  KOLMO_PETSC_CALL(VecCreateSeq(PETSC_COMM_SELF, n, expected.out()));
  KOLMO_PETSC_CALL(MatMult(block, r_local, expected));
  const PetscScalar* ev = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(expected, &ev));
  double worst = 0, scale = 0;
  for (PetscInt i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(zv[i] - ev[i]));
    scale = std::max(scale, std::abs(ev[i]));
  }
  KOLMO_PETSC_CALL(VecRestoreArrayRead(expected, &ev));
  KOLMO_PETSC_CALL(VecRestoreArrayRead(z, &zv));
  KOLMO_PETSC_CALL(VecRestoreArrayRead(r, &rv));
  REQUIRE(on_all_ranks(scale > 0.5 && worst <= 1e-14 * scale));
}

TEST_CASE("torchscript: save embeds the module; the model file alone reproduces it",
          "[learned][torch]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  const std::string module_path = file_name("test_torch_embed", ".pt");
  const std::string model_path = file_name("test_torch_embed", ".h5");
  write_module(module_path, product_source);
  const std::size_t size = read_bytes(module_path).size();
  auto original = loaded(module_path);
  REQUIRE(original->module_bytes() == size);
  original->save(comm, model_path);
  REQUIRE(learned_model_name_in_file(comm, model_path) == "torchscript");
  if (comm_rank(comm) == 0) std::remove(module_path.c_str());
  MPI_Barrier(comm);

  auto copy = loaded(model_path);
  REQUIRE(copy->module_bytes() == size);
  MatHandle a = testing::darcy_matrix(comm, 16, 9);
  original->setup(a);
  copy->setup(a);
  VecHandle r = probe(a), z1, z2;
  KOLMO_PETSC_CALL(VecDuplicate(r, z1.out()));
  KOLMO_PETSC_CALL(VecDuplicate(r, z2.out()));
  original->apply(r, z1);
  copy->apply(r, z2);
  REQUIRE(max_difference(z1, z2) == 0.0);

  // The loss is the same through both and, for z = A x, measures ||A^2 x - x|| / ||x||: not 0.
  TrainingData data;
  TrainingSystem sys;
  sys.matrix = MatHandle::borrow(a);
  VecHandle b = testing::darcy_rhs(a, 16, 0, 1);
  sys.solutions.push_back(testing::darcy_solve(a, b));
  data.systems.push_back(std::move(sys));
  const double loss = original->loss(data);
  REQUIRE(std::isfinite(loss));
  REQUIRE(loss > 0);
  REQUIRE(copy->loss(data) == loss);
}

TEST_CASE("torchscript: bad module or model files are clear input errors naming the file",
          "[learned][torch]") {
  register_solvers();
  const MPI_Comm comm = test_comm();
  TorchScriptModel model;

  const std::string missing = file_name("test_torch_missing", ".pt");
  REQUIRE_THROWS_WITH(model.load(comm, missing), Catch::Contains(missing) && Catch::Contains("no such file"));

  const std::string garbage = file_name("test_torch_garbage", ".pt");
  write_text(garbage, "this is not a TorchScript archive\n");
  REQUIRE_THROWS_AS(model.load(comm, garbage), InputError);
  REQUIRE_THROWS_WITH(model.load(comm, garbage),
                      Catch::Contains(garbage) && Catch::Contains("not a valid TorchScript module"));

  // A real module cut in half: a corrupt zip archive.
  const std::string good = file_name("test_torch_good", ".pt");
  write_module(good, jacobi_source);
  const std::string truncated = file_name("test_torch_truncated", ".pt");
  const std::string bytes = read_bytes(good);
  write_text(truncated, bytes.substr(0, bytes.size() / 2));
  REQUIRE_THROWS_WITH(model.load(comm, truncated),
                      Catch::Contains(truncated) && Catch::Contains("not a valid TorchScript module"));

  const std::string wrong_signature = file_name("test_torch_signature", ".pt");
  write_module(wrong_signature, one_argument_source);
  REQUIRE_THROWS_WITH(model.load(comm, wrong_signature),
                      Catch::Contains(wrong_signature) && Catch::Contains("takes 1 arguments") &&
                          Catch::Contains("forward(r, rows, cols, vals, diag)"));

  const std::string other_model = file_name("test_torch_other", ".h5");
  LearnedIcModel().save(comm, other_model);
  REQUIRE_THROWS_WITH(model.load(comm, other_model),
                      Catch::Contains(other_model) && Catch::Contains("learned_ic") &&
                          Catch::Contains("torchscript"));

  // A module returning the wrong number of values fails at apply, naming its file.
  const std::string short_output = file_name("test_torch_short", ".pt");
  write_module(short_output, short_source);
  model.load(comm, short_output);
  MatHandle a = testing::darcy_matrix(comm, 8, 2);
  model.setup(a);
  VecHandle r = probe(a), z;
  KOLMO_PETSC_CALL(VecDuplicate(r, z.out()));
  REQUIRE_THROWS_WITH(model.apply(r, z), Catch::Contains(short_output) && Catch::Contains("forward returned 1"));
}

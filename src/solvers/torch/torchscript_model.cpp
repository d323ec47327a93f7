// The TorchScript backend of kolmo_learned. Torch headers come first: they must not see PETSc's
// macros.
#include <torch/script.h>

#include "solvers/torch/torchscript_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "core/mpi.hpp"

namespace kolmo::solvers {
namespace {

static_assert(std::is_same_v<PetscScalar, double>,
              "the TorchScript backend passes PETSc vectors to torch as float64");

constexpr std::int64_t model_file_version = 1;
// forward(self, r, rows, cols, vals, diag)
constexpr std::size_t forward_arguments = 6;

// The first line of a torch error (its what() carries a long C++ backtrace).
std::string first_line(const char* what) {
  std::string text(what);
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// How a file given to load() starts, decided on rank 0.
enum class FileKind : int { missing = 0, hdf5 = 1, other = 2 };

FileKind file_kind(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileKind::missing;
  static constexpr std::array<char, 8> hdf5_signature = {'\211', 'H', 'D', 'F', '\r', '\n', '\032', '\n'};
  std::array<char, 8> head{};
  in.read(head.data(), head.size());
  return in.gcount() == static_cast<std::streamsize>(head.size()) && head == hdf5_signature
             ? FileKind::hdf5
             : FileKind::other;
}

// The matrix graph of one local diagonal block, as the tensors forward() takes.
struct Graph {
  std::int64_t rows_count = 0;
  torch::Tensor rows, cols, vals, diag;
};

}  // namespace

struct TorchScriptModel::Impl {
  std::string source;   // the file the module came from
  std::string bytes;    // the serialised module, kept for save()
  mutable torch::jit::Module module;  // torch's forward() is not const
  bool loaded = false;
  Graph graph;
  bool set_up = false;

  static Graph make_graph(Mat a);
  torch::Tensor run(const Graph& g, const PetscScalar* r) const;
};

Graph TorchScriptModel::Impl::make_graph(Mat a) {
  Mat block = nullptr;
  KOLMO_PETSC_CALL(MatGetDiagonalBlock(a, &block));
  PetscInt n = 0, n_cols = 0;
  KOLMO_PETSC_CALL(MatGetLocalSize(a, &n, &n_cols));
  KOLMO_CHECK(n == n_cols, "torchscript model: the matrix needs a square diagonal block, got "
                               << n << " x " << n_cols << " local rows x columns");
  std::vector<std::int64_t> rows, cols;
  std::vector<double> vals, diag(static_cast<std::size_t>(n), 0.0);
  std::vector<std::pair<PetscInt, double>> row;
  for (PetscInt i = 0; i < n; ++i) {
    PetscInt count = 0;
    const PetscInt* c = nullptr;
    const PetscScalar* v = nullptr;
    KOLMO_PETSC_CALL(MatGetRow(block, i, &count, &c, &v));
    row.clear();
    for (PetscInt p = 0; p < count; ++p) row.emplace_back(c[p], PetscRealPart(v[p]));
    KOLMO_PETSC_CALL(MatRestoreRow(block, i, &count, &c, &v));
    std::sort(row.begin(), row.end());
    for (const auto& [col, value] : row) {
      if (col == i) diag[static_cast<std::size_t>(i)] = value;
      rows.push_back(i);
      cols.push_back(col);
      vals.push_back(value);
    }
  }
  const auto nnz = static_cast<std::int64_t>(rows.size());
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  Graph g;
  g.rows_count = n;
  // from_blob does not own the data: clone into tensors that do.
  g.rows = torch::from_blob(rows.data(), {nnz}, i64).clone();
  g.cols = torch::from_blob(cols.data(), {nnz}, i64).clone();
  g.vals = torch::from_blob(vals.data(), {nnz}, f64).clone();
  g.diag = torch::from_blob(diag.data(), {static_cast<std::int64_t>(n)}, f64).clone();
  return g;
}

torch::Tensor TorchScriptModel::Impl::run(const Graph& g, const PetscScalar* r) const {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  // A copy, so that a module working in place cannot touch PETSc's vector.
  torch::Tensor input =
      torch::from_blob(const_cast<PetscScalar*>(r), {g.rows_count}, f64).clone();
  try {
    c10::InferenceMode no_autograd;
    const torch::jit::IValue value =
        module.forward({input, g.rows, g.cols, g.vals, g.diag});
    KOLMO_CHECK(value.isTensor(), "torchscript model (" << source
                                                         << "): forward must return a tensor, got "
                                                         << value.tagKind());
    const torch::Tensor out = value.toTensor();
    KOLMO_CHECK(out.numel() == g.rows_count && out.is_floating_point(),
                "torchscript model (" << source << "): forward returned " << out.numel() << " "
                                      << out.dtype() << " values for " << g.rows_count
                                      << " local rows; it must return one floating value per row");
    // Converted inside the inference scope: the result is an inference tensor.
    return out.to(torch::kFloat64).contiguous().view({g.rows_count});
  } catch (const c10::Error& e) {
    KOLMO_CHECK(false, "torchscript model (" << source << "): forward failed: "
                                             << first_line(e.what_without_backtrace()));
  }
  return {};
}

TorchScriptModel::TorchScriptModel() : impl_(std::make_unique<Impl>()) {}
TorchScriptModel::~TorchScriptModel() = default;

const std::string& TorchScriptModel::source() const noexcept { return impl_->source; }
std::size_t TorchScriptModel::module_bytes() const noexcept { return impl_->bytes.size(); }

void TorchScriptModel::setup(Mat a) {
  KOLMO_CHECK(impl_->loaded, "torchscript model: no module loaded; give one with "
                             "-pc_kolmo_learned_file FILE.pt (or load() it)");
  impl_->graph = Impl::make_graph(a);
  impl_->set_up = true;
}

void TorchScriptModel::apply(Vec r, Vec z) const {
  KOLMO_CHECK(impl_->set_up, "torchscript model: apply() before setup()");
  PetscInt n = 0;
  KOLMO_PETSC_CALL(VecGetLocalSize(r, &n));
  KOLMO_CHECK(n == impl_->graph.rows_count, "torchscript model: vector with " << n
                                                << " local entries for a block of "
                                                << impl_->graph.rows_count << " rows");
  const PetscScalar* rv = nullptr;
  KOLMO_PETSC_CALL(VecGetArrayRead(r, &rv));
  torch::Tensor out;
  try {
    out = impl_->run(impl_->graph, rv);
  } catch (...) {
    VecRestoreArrayRead(r, &rv);
    throw;
  }
  KOLMO_PETSC_CALL(VecRestoreArrayRead(r, &rv));
  PetscScalar* zv = nullptr;
  KOLMO_PETSC_CALL(VecGetArray(z, &zv));
  std::copy_n(out.data_ptr<double>(), n, zv);
  KOLMO_PETSC_CALL(VecRestoreArray(z, &zv));
}

FitReport TorchScriptModel::fit(const TrainingData&) {
  KOLMO_INPUT_CHECK(false, "the torchscript model is trained in PyTorch, not by Kolmo (see "
                           "examples/learned_torch/train_gnn.py); load the scripted module with "
                           "-pc_kolmo_learned_file FILE.pt");
  return {};
}

double TorchScriptModel::loss(const TrainingData& data) const {
  KOLMO_CHECK(impl_->loaded, "torchscript model: loss() needs a loaded module");
  KOLMO_CHECK(!data.systems.empty(), "torchscript model: loss() needs at least one training system");
  const MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(data.systems.front().matrix.get()));
  // Per pair: this process's ||forward(A x) - x||^2 and ||x||^2; each pair's ratio needs the sums.
  std::vector<double> local;
  for (const auto& sys : data.systems) {
    const Graph g = Impl::make_graph(sys.matrix);
    for (const auto& x : sys.solutions) {
      VecHandle b;
      KOLMO_PETSC_CALL(VecDuplicate(x, b.out()));
      KOLMO_PETSC_CALL(MatMult(sys.matrix, x, b));
      const PetscScalar* bv = nullptr;
      KOLMO_PETSC_CALL(VecGetArrayRead(b, &bv));
      torch::Tensor z;
      try {
        z = impl_->run(g, bv);
      } catch (...) {
        VecRestoreArrayRead(b, &bv);
        throw;
      }
      KOLMO_PETSC_CALL(VecRestoreArrayRead(b, &bv));
      const PetscScalar* xv = nullptr;
      KOLMO_PETSC_CALL(VecGetArrayRead(x, &xv));
      double err = 0, norm = 0;
      const double* zv = z.data_ptr<double>();
      for (std::int64_t i = 0; i < g.rows_count; ++i) {
        err += (zv[i] - xv[i]) * (zv[i] - xv[i]);
        norm += xv[i] * xv[i];
      }
      KOLMO_PETSC_CALL(VecRestoreArrayRead(x, &xv));
      local.push_back(err);
      local.push_back(norm);
    }
  }
  std::vector<double> global(local.size());
  KOLMO_CHECK(MPI_Allreduce(local.data(), global.data(), static_cast<int>(local.size()), MPI_DOUBLE,
                            MPI_SUM, comm) == MPI_SUCCESS,
              "torchscript model: MPI_Allreduce failed");
  double sum = 0;
  std::size_t pairs = 0;
  for (std::size_t k = 0; k + 1 < global.size(); k += 2, ++pairs)
    sum += global[k + 1] > 0 ? global[k] / global[k + 1] : 0.0;
  return pairs > 0 ? sum / static_cast<double>(pairs) : 0.0;
}

void TorchScriptModel::save(MPI_Comm comm, const std::string& path) const {
  KOLMO_CHECK(impl_->loaded, "torchscript model: save() needs a loaded module");
  const auto size = static_cast<hsize_t>(impl_->bytes.size());
  h5::File file = h5::File::create(comm, path, true);
  file.write_attribute("/", "kolmo_model", std::string(torchscript_model_name));
  file.write_attribute("/", "version", model_file_version);
  file.write_attribute("/", "source", impl_->source);
  file.write_attribute("/", "module_bytes", static_cast<std::int64_t>(size));
  file.write_attribute("/", "created", h5::utc_timestamp());
  file.create_fixed_dataset("/module", H5T_STD_U8LE, {size}, false);
  file.write_block("/module", {0}, {size}, H5T_NATIVE_UINT8, impl_->bytes.data(),
                   comm_rank(comm) == 0);
  file.close();
}

void TorchScriptModel::load(MPI_Comm comm, const std::string& path) {
  int kind = comm_rank(comm) == 0 ? static_cast<int>(file_kind(path)) : 0;
  KOLMO_CHECK(MPI_Bcast(&kind, 1, MPI_INT, 0, comm) == MPI_SUCCESS,
              "torchscript model: MPI_Bcast failed");
  KOLMO_INPUT_CHECK(kind != static_cast<int>(FileKind::missing),
                    path << ": no such file (a TorchScript module or a Kolmo torchscript model "
                            "file was expected)");
  std::string bytes;
  if (kind == static_cast<int>(FileKind::hdf5)) {
    const std::string stored = learned_model_name_in_file(comm, path);
    KOLMO_INPUT_CHECK(stored == torchscript_model_name,
                      path << ": holds a model of type '" << stored << "', not '"
                           << torchscript_model_name << "'");
    h5::File file = h5::File::open(comm, path, h5::Access::read_only);
    const std::int64_t version = file.read_int_attribute("/", "version");
    KOLMO_INPUT_CHECK(version == model_file_version,
                      path << ": torchscript model file version " << version
                           << ", this Kolmo reads " << model_file_version);
    KOLMO_INPUT_CHECK(file.exists("/module"), path << ": no /module dataset (the serialised module)");
    const std::vector<hsize_t> shape = file.shape("/module");
    const std::int64_t expected = file.read_int_attribute("/", "module_bytes");
    KOLMO_INPUT_CHECK(shape.size() == 1 && static_cast<std::int64_t>(shape[0]) == expected,
                      path << ": /module does not hold the " << expected
                           << " bytes recorded in 'module_bytes'");
    bytes.resize(static_cast<std::size_t>(expected));
    file.read_block("/module", {0}, {shape[0]}, H5T_NATIVE_UINT8, bytes.data(), true);
    file.close();
  } else {
    if (comm_rank(comm) == 0) {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    broadcast_string(comm, bytes);
  }
  torch::jit::Module module;
  try {
    std::istringstream in(bytes);
    module = torch::jit::load(in, torch::kCPU);
  } catch (const c10::Error& e) {
    KOLMO_INPUT_CHECK(false, path << ": not a valid TorchScript module (torch.jit.load: "
                                  << first_line(e.what_without_backtrace()) << ")");
  } catch (const std::exception& e) {
    KOLMO_INPUT_CHECK(false, path << ": not a valid TorchScript module (" << first_line(e.what())
                                  << ")");
  }
  const auto forward = module.find_method("forward");
  KOLMO_INPUT_CHECK(forward.has_value(), path << ": the TorchScript module has no forward method");
  const std::size_t arguments = forward->function().getSchema().arguments().size();
  KOLMO_INPUT_CHECK(arguments == forward_arguments,
                    path << ": the module's forward takes " << (arguments > 0 ? arguments - 1 : 0)
                         << " arguments; the torchscript model calls forward(r, rows, cols, vals, "
                            "diag)");
  module.eval();
  impl_->module = std::move(module);
  impl_->bytes = std::move(bytes);
  impl_->source = path;
  impl_->loaded = true;
  impl_->set_up = false;
}

std::unique_ptr<LearnedModel> make_torchscript_model() {
  return std::make_unique<TorchScriptModel>();
}

}  // namespace kolmo::solvers

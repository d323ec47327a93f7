#pragma once
/// @file
/// The optional TorchScript backend of the learned preconditioner (model "torchscript"; compiled
/// only when Kolmo is configured with -DKOLMO_WITH_TORCH=ON, see torchscript_available()). A model
/// trained in PyTorch and saved with torch.jit.save runs inside the kolmo_learned PC:
///
///   z = module.forward(r, rows, cols, vals, diag)
///
/// where r is this process's part of the residual (float64, shape [n]) and (rows, cols, vals) is
/// this process's diagonal block of the matrix in coordinate form (int64, int64, float64, shape
/// [nnz], row-major with sorted columns, local indices), diag its diagonal (float64, [n]; 0 where
/// the block has no diagonal entry). forward must return a tensor with n entries (any floating
/// dtype; it is converted to float64). So a graph network on the matrix graph passes messages
/// along the edges (rows, cols) with weights vals; a single process sees its own block only (block
/// Jacobi in parallel, like bjacobi).
///
/// Such a module is nonlinear in general, so the model says it is not SPD: pair it with FCG,
/// FGMRES or GCRO-DR (the PC warns with CG). It is trained in PyTorch, not by fit()
/// (examples/learned_torch/train_gnn.py). -pc_kolmo_learned_file takes either a TorchScript file
/// (*.pt, as written by torch.jit.save) or a Kolmo model file written by save(), which embeds the
/// module's bytes so that it is self-contained.
#include <memory>
#include <string>

#include "solvers/learned_model.hpp"

namespace kolmo::solvers {

/// The registry name of the TorchScript model.
inline constexpr const char* torchscript_model_name = "torchscript";

/// A LearnedModel that runs a TorchScript module (see the file comment). Not thread-safe; one PC
/// at a time. Torch is hidden behind a private implementation, so this header needs no libtorch.
class TorchScriptModel final : public LearnedModel {
 public:
  /// A model with no module: load() one before setup().
  TorchScriptModel();
  ~TorchScriptModel() override;
  TorchScriptModel(const TorchScriptModel&) = delete;
  TorchScriptModel& operator=(const TorchScriptModel&) = delete;

  std::string name() const override { return torchscript_model_name; }
  /// Always false: a scripted module is not known to be a fixed SPD operator.
  bool symmetric_positive() const override { return false; }
  /// Extract this process's diagonal block of `a` into tensors. Collective on a's communicator.
  /// @throws kolmo::Exception if no module is loaded.
  void setup(Mat a) override;
  /// z = forward(r, graph of the block). Not collective (purely local).
  /// @throws kolmo::Exception naming the module's source if forward fails or returns a tensor
  ///         of the wrong size.
  void apply(Vec r, Vec z) const override;
  /// Not supported: TorchScript models are trained in PyTorch. @throws InputError saying so.
  FitReport fit(const TrainingData& data) override;
  /// Mean over training pairs of ||forward(A x) - x||^2 / ||x||^2 (the loss the example script
  /// minimises). Collective on the matrices' communicator.
  double loss(const TrainingData& data) const override;
  /// Write a self-contained model file: the name, a version and the module's serialised bytes.
  /// Collective on comm. @throws kolmo::Exception if no module is loaded.
  void save(MPI_Comm comm, const std::string& path) const override;
  /// Read a TorchScript file (torch.jit.save) or a model file written by save(). Rank 0 reads the
  /// file and broadcasts it; every rank deserialises the module. Collective on comm.
  /// @throws InputError naming `path` if it is missing, not a TorchScript module, a model file of
  ///         another model or version, or if the module's forward does not take 5 arguments.
  void load(MPI_Comm comm, const std::string& path) override;

  /// The file the module was read from (empty before load()).
  const std::string& source() const noexcept;
  /// The size in bytes of the serialised module (0 before load()).
  std::size_t module_bytes() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A new TorchScriptModel (the registry factory). Defined only when built with KOLMO_WITH_TORCH.
std::unique_ptr<LearnedModel> make_torchscript_model();

}  // namespace kolmo::solvers

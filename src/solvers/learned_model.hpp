#pragma once
/// @file
/// The plug-in interface behind the learned preconditioner (PC type "kolmo_learned", see
/// solvers/pc_learned.hpp): a model is set up on a matrix, applies an approximate inverse, is
/// fitted offline on training systems (matrices with solutions), and is saved to and loaded from
/// HDF5. Models are created by name from a registry, so a user adds one by implementing
/// LearnedModel and calling register_learned_model("my_model", factory) once after
/// kolmo::register_solvers(); docs/learned-preconditioners.md has a complete example.
#include <petscmat.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/petsc_handle.hpp"

namespace kolmo::solvers {

/// One training system: a matrix A (held by reference) and solutions x_k of A x_k = b_k. The
/// right-hand sides are A x_k. Solutions must have A's row layout.
struct TrainingSystem {
  MatHandle matrix;                 ///< A; shared (borrowed) with the caller
  std::vector<VecHandle> solutions; ///< x_k; shared (borrowed) with the caller
};

/// The training set of fit(): every matrix on the same communicator.
struct TrainingData {
  std::vector<TrainingSystem> systems;
};

/// What a fit did, for reports and tests.
struct FitReport {
  double initial_loss = 0;  ///< training loss at the starting weights
  double final_loss = 0;    ///< training loss at the fitted weights
  int iterations = 0;       ///< optimiser iterations
  int loss_evaluations = 0; ///< evaluations of the loss
};

/// A learned approximate inverse M^-1 ~ A^-1. Implementations are used by one PC at a time;
/// setup() and apply() are collective on the matrix's communicator, fit() on the training
/// matrices' communicator, save()/load() on `comm`.
class LearnedModel {
 public:
  virtual ~LearnedModel() = default;

  /// The registry name (also written to and checked in model files).
  virtual std::string name() const = 0;
  /// True iff apply() is a fixed symmetric positive definite linear operator, so that plain CG
  /// may use it. Nonlinear or nonsymmetric models need FCG, FGMRES or GCRO-DR.
  virtual bool symmetric_positive() const = 0;

  /// Prepare apply() for the matrix `a` (held by reference only during the call; the model copies
  /// what it needs). Collective on a's communicator.
  virtual void setup(Mat a) = 0;
  /// z = M^-1 r for vectors of the matrix given to setup(). Collective.
  virtual void apply(Vec r, Vec z) const = 0;
  /// Fit the weights to `data` (starting from the current ones) and return the losses.
  /// Collective on the matrices' communicator.
  virtual FitReport fit(const TrainingData& data) = 0;
  /// The training loss of the current weights on `data`. Collective.
  virtual double loss(const TrainingData& data) const = 0;

  /// Write the model (name, version, weights) to the HDF5 file `path` (overwritten). Rank 0 of
  /// `comm` writes; collective on comm.
  virtual void save(MPI_Comm comm, const std::string& path) const = 0;
  /// Read the weights written by save(). Collective on comm.
  /// @throws InputError naming the file and what does not match (another model, a wrong number
  ///         of weights, a missing dataset, not an HDF5 file).
  virtual void load(MPI_Comm comm, const std::string& path) = 0;
};

/// Creates a fresh model with default (unfitted) weights.
using LearnedModelFactory = std::function<std::unique_ptr<LearnedModel>()>;

/// Add (or replace) a model under `name`. Not collective; call it identically on every rank.
void register_learned_model(const std::string& name, LearnedModelFactory factory);
/// A new model registered as `name`. @throws InputError listing the registered names if none.
std::unique_ptr<LearnedModel> create_learned_model(const std::string& name);
/// True iff Kolmo was built with the TorchScript backend (-DKOLMO_WITH_TORCH=ON), i.e. the model
/// "torchscript" (solvers/torch/torchscript_model.hpp) is registered.
bool torchscript_available() noexcept;
/// The registered names, sorted.
std::vector<std::string> learned_model_names();
/// The model name recorded in a file written by LearnedModel::save. Collective on comm.
/// @throws InputError if the file is missing or not a Kolmo model file.
std::string learned_model_name_in_file(MPI_Comm comm, const std::string& path);

}  // namespace kolmo::solvers

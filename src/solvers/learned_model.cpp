#include "solvers/learned_model.hpp"

#include <map>
#include <utility>

#include "core/exceptions.hpp"
#include "core/hdf5_file.hpp"
#include "core/text.hpp"
#include "solvers/torch/torchscript_model.hpp"

namespace kolmo::solvers {
namespace {

std::map<std::string, LearnedModelFactory>& registry() {
  static std::map<std::string, LearnedModelFactory> models = [] {
    std::map<std::string, LearnedModelFactory> built_in;
#ifdef KOLMO_WITH_TORCH
    // Only this file knows whether the backend was compiled, so it registers it.
    built_in[torchscript_model_name] = make_torchscript_model;
#endif
    return built_in;
  }();
  return models;
}

}  // namespace

void register_learned_model(const std::string& name, LearnedModelFactory factory) {
  KOLMO_CHECK(!name.empty(), "a learned model needs a non-empty name");
  KOLMO_CHECK(static_cast<bool>(factory), "learned model '" << name << "': empty factory");
  registry()[name] = std::move(factory);
}

std::unique_ptr<LearnedModel> create_learned_model(const std::string& name) {
  const auto it = registry().find(name);
  if (it == registry().end()) {
    // An empty registry is a program that forgot the registration, not a misspelled name.
    KOLMO_INPUT_CHECK(!registry().empty(),
                      "unknown learned preconditioner model '"
                          << name << "': none is registered; call kolmo::register_solvers() first");
    KOLMO_INPUT_CHECK(false, "unknown learned preconditioner model '"
                                 << name << "' (known: " << join(learned_model_names()) << ")");
  }
  auto model = it->second();
  KOLMO_CHECK(model != nullptr, "learned model factory '" << name << "' returned nothing");
  return model;
}

bool torchscript_available() noexcept {
#ifdef KOLMO_WITH_TORCH
  return true;
#else
  return false;
#endif
}

std::vector<std::string> learned_model_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : registry()) names.push_back(n);
  return names;
}

std::string learned_model_name_in_file(MPI_Comm comm, const std::string& path) {
  h5::File file = h5::File::open(comm, path, h5::Access::read_only);
  KOLMO_INPUT_CHECK(file.has_attribute("/", "kolmo_model"),
                    path << ": not a Kolmo learned-preconditioner model file (no 'kolmo_model' "
                            "attribute on /)");
  std::string name = file.read_string_attribute("/", "kolmo_model");
  file.close();
  return name;
}

}  // namespace kolmo::solvers

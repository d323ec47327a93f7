#include "operators/settings_reader.hpp"

#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/expression.hpp"

namespace kolmo::operators {

void fail_on_key(MapReader& reader, const std::string& key, const std::string& message) {
  if (reader.has(key)) reader.child(key).fail(message);
  std::ostringstream text;
  text << "'" << key << "' (default value): " << message;
  reader.node().fail(text.str());
}

std::array<PetscInt, 2> read_cells(MapReader& reader, const std::string& key,
                                   std::array<PetscInt, 2> fallback, int components) {
  const ConfigNode node = reader.child(key);
  std::array<long, 2> cells{fallback[0], fallback[1]};
  if (reader.has(key)) {
    if (node.is_sequence()) {
      const auto values = node.as<std::vector<long>>();
      if (values.size() != 2) {
        std::ostringstream message;
        message << "expected one cell count or a list [nx, ny] of two, got a list of "
                << values.size();
        node.fail(message.str());
      }
      cells = {values[0], values[1]};
    } else {
      const long n = node.as<long>();
      cells = {n, n};
    }
  }
  for (long n : cells) {
    std::ostringstream message;
    message << "cell counts must be positive, got " << n;
    if (n <= 0) fail_on_key(reader, key, message.str());
  }
  // The unknowns are numbered with PETSc's (32-bit) index type.
  const double unknowns = static_cast<double>(cells[0] + 1) * static_cast<double>(cells[1] + 1) *
                          static_cast<double>(components);
  if (unknowns > static_cast<double>(std::numeric_limits<PetscInt>::max())) {
    std::ostringstream message;
    message << "a grid of " << cells[0] << " x " << cells[1]
            << " cells has more unknowns than PETSc's index type can count";
    fail_on_key(reader, key, message.str());
  }
  return {static_cast<PetscInt>(cells[0]), static_cast<PetscInt>(cells[1])};
}

void check_expression(const ConfigNode& node, const std::string& what, const std::string& text,
                      const ParameterSpace& space) {
  try {
    ParameterExpression expression(text, space.names());
  } catch (const InputError& e) {
    if (node.defined()) node.fail(e.what());
    std::ostringstream message;
    message << what << ": " << e.what();
    throw InputError(message.str());
  }
}

namespace {
// "'problem.key' (default value)", naming a key whose default is checked.
std::string default_label(const MapReader& reader, const std::string& key) {
  std::ostringstream label;
  label << "'" << reader.node().key_path() << "." << key << "' (default value)";
  return label.str();
}
}  // namespace

std::string read_expression(MapReader& reader, const std::string& key, const std::string& fallback,
                            const ParameterSpace& space) {
  const ConfigNode node = reader.child(key);
  const std::string text = reader.has(key) ? node.as<std::string>() : fallback;
  check_expression(node, default_label(reader, key), text, space);
  return text;
}

std::vector<std::string> read_expression_list(MapReader& reader, const std::string& key,
                                              std::size_t count,
                                              const std::vector<std::string>& fallback,
                                              const ParameterSpace& space) {
  const ConfigNode node = reader.child(key);
  if (!reader.has(key)) {
    for (const auto& text : fallback)
      check_expression(node, default_label(reader, key), text, space);
    return fallback;
  }
  if (!node.is_sequence() || node.size() != count) {
    std::ostringstream message;
    message << "expected a list of " << count << " expression" << (count == 1 ? "" : "s");
    if (node.is_sequence())
      message << ", got a list of " << node.size();
    else
      message << ", got " << node.describe();
    node.fail(message.str());
  }
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const ConfigNode element = node.element(i);
    texts.push_back(element.as<std::string>());
    check_expression(element, element.key_path(), texts.back(), space);
  }
  return texts;
}

}  // namespace kolmo::operators

#pragma once
/// @file
/// A YAML node that knows where it came from (file, line, column, key path), and MapReader, the
/// typed reader of one YAML map that rejects unknown keys and checks ranges.
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace kolmo {

/// A node of a parsed case file, with its origin for diagnostics. Cheap to copy. Not collective.
class ConfigNode {
 public:
  ConfigNode() = default;
  /// `file` is the name shown in messages; `key_path` the dotted path from the root ("" for it).
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string key_path);

  const YAML::Node& yaml() const noexcept { return node_; }
  const std::string& key_path() const noexcept { return key_path_; }
  const std::string& file() const;
  /// "file:line:col" of this node (1-based; yaml-cpp's marks are 0-based).
  std::string location() const;
  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }

  /// Child of a map by key, or element of a sequence by index; path extended accordingly.
  ConfigNode child(const std::string& key) const;
  ConfigNode element(std::size_t index) const;
  std::size_t size() const { return node_.size(); }

  /// Convert a scalar (or a sequence, for vectors) to T.
  /// Supported: bool, int, long, std::size_t (rejects negatives), double, std::string,
  /// std::vector of those, std::map<std::string, std::string> (scalars only).
  /// @throws InputError "file:line:col: 'key.path': expected <type>, got '<text>'".
  template <class T>
  T as() const;

  /// Throw InputError "file:line:col: 'key.path': <message>".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string key_path_;
};

/// Reads one YAML map key by key. Records which keys were read, so that reject_unknown_keys()
/// can report the others with the nearest valid key as a suggestion:
/// `case.yaml:12:3: 'rom.energy_toll': unknown key (did you mean 'energy_tol'? allowed here:
/// energy_tol, max_size)`. Not collective.
class MapReader {
 public:
  /// @throws InputError when `node` is defined but not a map. An undefined or null node reads as
  /// an empty map (every key takes its default).
  explicit MapReader(ConfigNode node);

  const ConfigNode& node() const noexcept { return node_; }
  bool has(const std::string& key) const;
  /// The child node for `key` (marks the key as known, whether or not it is present).
  ConfigNode child(const std::string& key);

  /// Value of a key that must be present. @throws InputError "missing key" naming the path.
  template <class T>
  T required(const std::string& key);
  /// Value of a key, or `fallback` when absent.
  template <class T>
  T optional(const std::string& key, T fallback);
  /// Value of a key that must be one of `choices` (a string), or `fallback` when absent.
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     const std::string& fallback);
  /// Declare a key as allowed without reading it (read elsewhere).
  void allow(const std::string& key);

  /// @throws InputError for the first key present in the map that was neither read nor allowed.
  void reject_unknown_keys() const;

 private:
  ConfigNode node_;
  std::set<std::string> known_;
};

/// The candidate closest to `word` by edit distance, or "" when none is reasonably close.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kolmo

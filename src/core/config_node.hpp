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

#include "core/text.hpp"  // nearest_word, used with every reader

namespace kolmo {

/// Parse `text`, the contents of the YAML file `path`, which must hold one document. Not
/// collective.
/// @throws InputError "path:line:column: YAML syntax error: ..." or, for a second document after
/// `---`, "path:line:column: a second YAML document ...".
YAML::Node parse_yaml_document(const std::string& text, const std::string& path);

/// A node of a parsed case file, with its origin for diagnostics. Cheap to copy. Not collective.
class ConfigNode {
 public:
  ConfigNode() = default;
  /// `file` is the name shown in messages; `key_path` the dotted path from the root ("" for it).
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string key_path);

  const YAML::Node& yaml() const noexcept { return node_; }
  const std::string& key_path() const noexcept { return key_path_; }
  const std::string& file() const;
  /// "file:line:col" of this node's value (1-based; yaml-cpp's marks are 0-based). For an empty
  /// value or a key that is absent, the location of the key that names it (or of its parent).
  std::string location() const;
  /// "file:line:col" of the key that names this node in its map (of the node itself for sequence
  /// elements and the root). Messages about the node as a whole ("missing key") point here.
  std::string key_location() const;
  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }

  /// Child of a map by key, or element of a sequence by index (0-based); path extended to
  /// "parent.key" / "parent[index]". A missing child is returned undefined (defined() is false)
  /// and reports the location of its parent.
  ConfigNode child(const std::string& key) const;
  ConfigNode element(std::size_t index) const;
  std::size_t size() const { return node_.size(); }

  /// Convert a scalar (or a sequence, for vectors) to T. Strict: no scalar is promoted to a
  /// one-element vector, integers must be written as integers, doubles must be finite, and an
  /// empty value is an error (except for the map, where an empty value reads as an empty map and
  /// an empty entry as "").
  /// Supported: bool, int, long, std::size_t (rejects negatives), double, std::string,
  /// std::vector of those, std::map<std::string, std::string> (scalar values, kept as text).
  /// @throws InputError "file:line:col: 'key.path': expected <type>, got '<text>'".
  template <class T>
  T as() const;

  /// Throw InputError "file:line:col: 'key.path': <message>" (at location(); without the quoted
  /// path for the root).
  [[noreturn]] void fail(const std::string& message) const;
  /// Like fail(), at key_location().
  [[noreturn]] void fail_at_key(const std::string& message) const;

  /// The value as one line of flow-style YAML, without comments or layout, so that two values
  /// written alike compare equal as text (scalars as written: 1e-8 and 1.0e-8 differ).
  std::string canonical() const;

  /// A short description of the value for messages: "'text'", "an empty value", "a sequence",
  /// "a map", or "nothing" when undefined.
  std::string describe() const;

 private:
  friend class MapReader;
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string key_path,
             YAML::Mark mark, YAML::Mark key_mark);
  /// The node for the `index`-th entry of this map (key and value marks), for duplicate and
  /// unknown key messages.
  ConfigNode entry(std::size_t index) const;
  std::string format_location(const YAML::Mark& mark) const;
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& message) const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string key_path_;
  YAML::Mark mark_ = YAML::Mark::null_mark();      // where the value is
  YAML::Mark key_mark_ = YAML::Mark::null_mark();  // where the key naming it is
};

/// Reads one YAML map key by key. Records which keys were read, so that reject_unknown_keys()
/// can report the others with the nearest valid key as a suggestion:
/// `case.yaml:12:3: 'rom.tolerence': unknown key (did you mean 'tolerance'? allowed here:
/// estimator, max_size, method, model, tolerance)`. Not collective.
class MapReader {
 public:
  /// @throws InputError when `node` is written but not a map (an empty value included), or when a
  /// key appears twice. An absent node reads as an empty map (every key takes its default).
  explicit MapReader(ConfigNode node);

  const ConfigNode& node() const noexcept { return node_; }
  /// True iff `key` is written in the map (even with an empty value). Does not mark it as known.
  bool has(const std::string& key) const;
  /// The child node for `key` (marks the key as known, whether or not it is present).
  ConfigNode child(const std::string& key);

  /// Value of a key that must be present.
  /// @throws InputError "'path': missing required key 'key'" at the map's key location.
  template <class T>
  T required(const std::string& key);
  /// Value of a key, or `fallback` when absent (an empty value is an error, not absent).
  template <class T>
  T optional(const std::string& key, T fallback);
  /// Value of a key that must be one of `choices` (a string), or `fallback` when absent.
  /// @throws InputError "unknown value 'x' (did you mean 'y'? allowed: a, b)".
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     const std::string& fallback);
  /// Declare a key as allowed without reading it (read elsewhere).
  void allow(const std::string& key);

  /// @throws InputError for the first key present in the map that was neither read nor allowed,
  /// with the nearest allowed key as a suggestion and the sorted list of allowed keys.
  void reject_unknown_keys() const;
  /// The keys written in the map, in file order.
  std::vector<std::string> keys() const;

 private:
  ConfigNode node_;
  std::set<std::string> known_;
};

}  // namespace kolmo

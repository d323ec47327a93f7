#pragma once
/// @file
/// A small JSON value type for machine-readable output (kolmo info --json, reports). It writes
/// JSON; it does not parse it. Objects keep their keys in insertion order so output is stable.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kolmo {

/// A JSON value: null, boolean, number (integer or double), string, array or object.
/// A value type (deep copies); not collective.
///
/// Doubles are written with the shortest text that reads back as the same double; NaN and
/// infinities, which JSON cannot express, are written as null. Strings are UTF-8 and escaped per
/// RFC 8259 (quote, backslash and control characters).
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  /// null
  Json() = default;
  Json(std::nullptr_t) {}                                 // NOLINT: implicit by design
  Json(bool value) : value_(value) {}                     // NOLINT
  Json(int value) : value_(std::int64_t{value}) {}        // NOLINT
  Json(long value) : value_(std::int64_t{value}) {}       // NOLINT
  Json(long long value) : value_(std::int64_t{value}) {}  // NOLINT
  Json(unsigned value) : value_(std::int64_t{value}) {}   // NOLINT
  /// Unsigned values above INT64_MAX are written as doubles.
  Json(unsigned long value);                                    // NOLINT
  Json(unsigned long long value);                               // NOLINT
  Json(double value) : value_(value) {}                         // NOLINT
  Json(const char* value) : value_(std::string(value)) {}       // NOLINT
  Json(std::string value) : value_(std::move(value)) {}         // NOLINT
  Json(std::string_view value) : value_(std::string(value)) {}  // NOLINT
  /// An array of numbers or strings, for convenience.
  Json(const std::vector<double>& values);       // NOLINT
  Json(const std::vector<std::string>& values);  // NOLINT

  /// An empty array.
  static Json array();
  /// An empty object.
  static Json object();

  bool is_null() const noexcept { return std::holds_alternative<std::monostate>(value_); }
  bool is_array() const noexcept { return std::holds_alternative<Array>(value_); }
  bool is_object() const noexcept { return std::holds_alternative<Object>(value_); }

  /// Append to an array (a null value becomes an empty array first). Returns the new element.
  Json& push_back(Json value);
  /// Set `key` in an object (a null value becomes an empty object first), replacing an existing
  /// entry in place. Returns *this, so calls chain: Json::object().set("a", 1).set("b", "x").
  Json& set(std::string_view key, Json value);
  /// The value of `key` in an object, created as null if missing (for building nested objects).
  Json& operator[](std::string_view key);
  /// Number of elements of an array or entries of an object; 0 otherwise.
  std::size_t size() const noexcept;

  /// The JSON text. indent < 0: compact, on one line; indent >= 0: one element per line indented
  /// by `indent` spaces per level.
  std::string dump(int indent = 2) const;

 private:
  void write(std::string& out, int indent, int depth) const;

  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> value_;
};

/// `text` as a JSON string literal, with quotes.
std::string json_quote(std::string_view text);

/// `value` as a JSON number: the shortest decimal text that reads back as `value`; "null" for NaN
/// and infinities.
std::string json_number(double value);

}  // namespace kolmo

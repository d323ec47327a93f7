#include "core/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/exceptions.hpp"

namespace kolmo {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void newline(std::string& out, int indent, int depth) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(depth), ' ');
}

}  // namespace

Json::Json(unsigned long value) : Json(static_cast<unsigned long long>(value)) {}

Json::Json(unsigned long long value) {
  if (value <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()))
    value_ = static_cast<std::int64_t>(value);
  else
    value_ = static_cast<double>(value);
}

Json::Json(const std::vector<double>& values) : value_(Array(values.begin(), values.end())) {}

Json::Json(const std::vector<std::string>& values) : value_(Array(values.begin(), values.end())) {}

Json Json::array() {
  Json json;
  json.value_ = Array{};
  return json;
}

Json Json::object() {
  Json json;
  json.value_ = Object{};
  return json;
}

Json& Json::push_back(Json value) {
  if (is_null()) value_ = Array{};
  auto* array = std::get_if<Array>(&value_);
  KOLMO_CHECK(array != nullptr, "Json::push_back on a value that is not an array");
  array->push_back(std::move(value));
  return array->back();
}

Json& Json::set(std::string_view key, Json value) {
  (*this)[key] = std::move(value);
  return *this;
}

Json& Json::operator[](std::string_view key) {
  if (is_null()) value_ = Object{};
  auto* object = std::get_if<Object>(&value_);
  KOLMO_CHECK(object != nullptr, "Json: key '" << key << "' on a value that is not an object");
  for (auto& [name, value] : *object)
    if (name == key) return value;
  object->emplace_back(std::string(key), Json());
  return object->back().second;
}

std::size_t Json::size() const noexcept {
  if (const auto* array = std::get_if<Array>(&value_)) return array->size();
  if (const auto* object = std::get_if<Object>(&value_)) return object->size();
  return 0;
}

std::string Json::dump(int indent) const {
  std::string out;
  write(out, indent, 0);
  return out;
}

void Json::write(std::string& out, int indent, int depth) const {
  std::visit(Overloaded{
                 [&](std::monostate) { out += "null"; },
                 [&](bool value) { out += value ? "true" : "false"; },
                 [&](std::int64_t value) { out += std::to_string(value); },
                 [&](double value) { out += json_number(value); },
                 [&](const std::string& value) { out += json_quote(value); },
                 [&](const Array& array) {
                   out += '[';
                   for (std::size_t i = 0; i < array.size(); ++i) {
                     if (i > 0) out += ',';
                     newline(out, indent, depth + 1);
                     array[i].write(out, indent, depth + 1);
                   }
                   if (!array.empty()) newline(out, indent, depth);
                   out += ']';
                 },
                 [&](const Object& object) {
                   out += '{';
                   for (std::size_t i = 0; i < object.size(); ++i) {
                     if (i > 0) out += ',';
                     newline(out, indent, depth + 1);
                     out += json_quote(object[i].first);
                     out += indent < 0 ? ":" : ": ";
                     object[i].second.write(out, indent, depth + 1);
                   }
                   if (!object.empty()) newline(out, indent, depth);
                   out += '}';
                 },
             },
             value_);
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* digits = "0123456789abcdef";
          out += "\\u00";
          out += digits[(c >> 4) & 0xf];
          out += digits[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace kolmo

#include "core/config_node.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <type_traits>

#include "core/error.hpp"
#include "core/text.hpp"

namespace kolmo {
namespace {

bool is_null_mark(const YAML::Mark& mark) { return mark.line < 0 || mark.column < 0; }

// The mark of a node, or `fallback` when yaml-cpp has none for it. An empty value gets the mark of
// the token after it (often on the next line), so for those the caller's fallback (the key) is
// the better place to point at.
YAML::Mark value_mark(const YAML::Node& node, const YAML::Mark& fallback) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  const YAML::Mark mark = node.Mark();
  return is_null_mark(mark) ? fallback : mark;
}

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// What a value of type T looks like, for "expected ..." messages: singular and plural.
template <class T>
struct TypeName;
template <>
struct TypeName<bool> {
  static constexpr const char* one = "true or false";
  static constexpr const char* many = "true/false values";
};
template <>
struct TypeName<int> {
  static constexpr const char* one = "an integer";
  static constexpr const char* many = "integers";
};
template <>
struct TypeName<long> {
  static constexpr const char* one = "an integer";
  static constexpr const char* many = "integers";
};
template <>
struct TypeName<std::size_t> {
  static constexpr const char* one = "a non-negative integer";
  static constexpr const char* many = "non-negative integers";
};
template <>
struct TypeName<double> {
  static constexpr const char* one = "a number";
  static constexpr const char* many = "numbers";
};
template <>
struct TypeName<std::string> {
  static constexpr const char* one = "a string";
  static constexpr const char* many = "strings";
};

}  // namespace

YAML::Node parse_yaml_document(const std::string& text, const std::string& path) {
  const auto where = [&](const YAML::Mark& mark) {
    return is_null_mark(mark) ? path
                              : path + ":" + std::to_string(mark.line + 1) + ":" +
                                    std::to_string(mark.column + 1);
  };
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw InputError(where(e.mark) + ": YAML syntax error: " + e.msg);
  }
  // An empty document after a trailing '---' holds nothing to lose; any other would be ignored.
  for (std::size_t d = 1; d < documents.size(); ++d)
    if (!documents[d].IsNull())
      throw InputError(where(documents[d].Mark()) +
                       ": a second YAML document (after '---'), which Kolmo would ignore; a case "
                       "file holds one");
  return documents.empty() ? YAML::Node() : documents.front();
}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file,
                       std::string key_path)
    : node_(std::move(node)), file_(std::move(file)), key_path_(std::move(key_path)) {
  const YAML::Mark start{};  // line 0, column 0: the top of the file
  mark_ = value_mark(node_, start);
  key_mark_ = mark_;
}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file,
                       std::string key_path, YAML::Mark mark, YAML::Mark key_mark)
    : node_(std::move(node)),
      file_(std::move(file)),
      key_path_(std::move(key_path)),
      mark_(mark),
      key_mark_(key_mark) {}

const std::string& ConfigNode::file() const {
  static const std::string unnamed = "<input>";
  return file_ ? *file_ : unnamed;
}

std::string ConfigNode::format_location(const YAML::Mark& mark) const {
  const int line = is_null_mark(mark) ? 1 : mark.line + 1;
  const int column = is_null_mark(mark) ? 1 : mark.column + 1;
  return file() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string ConfigNode::location() const { return format_location(mark_); }
std::string ConfigNode::key_location() const { return format_location(key_mark_); }

ConfigNode ConfigNode::child(const std::string& key) const {
  const std::string path = key_path_.empty() ? key : key_path_ + "." + key;
  if (node_.IsDefined() && node_.IsMap()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        const YAML::Mark key_mark = value_mark(it->first, key_mark_);
        return ConfigNode(it->second, file_, path, value_mark(it->second, key_mark), key_mark);
      }
    }
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, path, key_mark_, key_mark_);
}

ConfigNode ConfigNode::entry(std::size_t index) const {
  auto it = node_.begin();
  for (std::size_t i = 0; i < index; ++i) ++it;
  const std::string key = it->first.IsScalar() ? it->first.Scalar() : "<non-scalar key>";
  const YAML::Mark key_mark = value_mark(it->first, key_mark_);
  return ConfigNode(it->second, file_, key_path_.empty() ? key : key_path_ + "." + key,
                    value_mark(it->second, key_mark), key_mark);
}

ConfigNode ConfigNode::element(std::size_t index) const {
  const std::string path = key_path_ + "[" + std::to_string(index) + "]";
  if (node_.IsDefined() && node_.IsSequence() && index < node_.size()) {
    const YAML::Node item = node_[index];
    const YAML::Mark mark = value_mark(item, mark_);
    return ConfigNode(item, file_, path, mark, mark);
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, path, mark_, mark_);
}

std::string ConfigNode::canonical() const {
  if (!node_) return {};
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node_;
  return out.c_str();
}

std::string ConfigNode::describe() const {
  if (!node_.IsDefined()) return "nothing";
  if (node_.IsNull()) return "an empty value";
  if (node_.IsSequence()) return "a sequence";
  if (node_.IsMap()) return "a map";
  return std::string("'") + node_.Scalar() + "'";
}

void ConfigNode::fail_at(const YAML::Mark& mark, const std::string& message) const {
  std::string text = format_location(mark) + ": ";
  if (!key_path_.empty()) text += std::string("'") + key_path_ + "': ";
  throw InputError(text + message);
}

void ConfigNode::fail(const std::string& message) const { fail_at(mark_, message); }
void ConfigNode::fail_at_key(const std::string& message) const { fail_at(key_mark_, message); }

namespace {

template <class T>
T scalar_as(const ConfigNode& node) {
  const auto expected = [&] {
    node.fail(std::string("expected ") + TypeName<T>::one + ", got " + node.describe());
  };
  if (!node.is_scalar()) expected();
  const std::string& text = node.yaml().Scalar();
  if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    bool value = false;
    if (!YAML::convert<bool>::decode(node.yaml(), value)) expected();
    return value;
  } else if constexpr (std::is_same_v<T, double>) {
    const auto value = parse_double(text);
    if (!value) expected();
    return *value;
  } else {
    const auto value = parse_integer(text);
    if (!value) expected();
    if constexpr (std::is_same_v<T, std::size_t>) {
      if (*value < 0) expected();
      return static_cast<std::size_t>(*value);
    } else {
      if (*value < static_cast<long long>(std::numeric_limits<T>::min()) ||
          *value > static_cast<long long>(std::numeric_limits<T>::max()))
        node.fail(std::string("expected ") + TypeName<T>::one + " between " +
                  std::to_string(std::numeric_limits<T>::min()) + " and " +
                  std::to_string(std::numeric_limits<T>::max()) + ", got " + node.describe());
      return static_cast<T>(*value);
    }
  }
}

}  // namespace

template <class T>
T ConfigNode::as() const {
  if constexpr (is_vector<T>::value) {
    using Element = typename T::value_type;
    if (!is_sequence())
      fail(std::string("expected a sequence of ") + TypeName<Element>::many + ", got " +
           describe());
    T values;
    values.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) values.push_back(element(i).as<Element>());
    return values;
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    T values;
    if (!defined()) return values;
    if (!is_map()) fail(std::string("expected a map of names to values, got ") + describe());
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const YAML::Mark key_mark = value_mark(it->first, mark_);
      if (!it->first.IsScalar())
        ConfigNode(it->first, file_, key_path_, key_mark, key_mark)
            .fail(std::string("expected a name as key, got a ") +
                  std::string(it->first.IsMap() ? "map" : "sequence"));
      const std::string& key = it->first.Scalar();
      const ConfigNode value(it->second, file_, key_path_.empty() ? key : key_path_ + "." + key,
                             value_mark(it->second, key_mark), key_mark);
      if (!values.emplace(key, value.defined() ? scalar_as<std::string>(value) : "").second)
        value.fail_at_key(std::string("duplicate key '") + key + "'");
    }
    return values;
  } else {
    return scalar_as<T>(*this);
  }
}

template bool ConfigNode::as<bool>() const;
template int ConfigNode::as<int>() const;
template long ConfigNode::as<long>() const;
template std::size_t ConfigNode::as<std::size_t>() const;
template double ConfigNode::as<double>() const;
template std::string ConfigNode::as<std::string>() const;
template std::vector<bool> ConfigNode::as<std::vector<bool>>() const;
template std::vector<int> ConfigNode::as<std::vector<int>>() const;
template std::vector<long> ConfigNode::as<std::vector<long>>() const;
template std::vector<std::size_t> ConfigNode::as<std::vector<std::size_t>>() const;
template std::vector<double> ConfigNode::as<std::vector<double>>() const;
template std::vector<std::string> ConfigNode::as<std::vector<std::string>>() const;
template std::map<std::string, std::string> ConfigNode::as<std::map<std::string, std::string>>()
    const;

MapReader::MapReader(ConfigNode node) : node_(std::move(node)) {
  // A section written with nothing after it (`sequence:`) is a mistake like any empty value;
  // only a section left out takes its defaults.
  if (node_.yaml().IsDefined() && node_.yaml().IsNull() && !node_.key_path().empty())
    node_.fail("expected a map (key: value lines), got an empty value; leave the key out to get "
               "its defaults");
  if (!node_.defined()) return;
  if (!node_.is_map())
    node_.fail(std::string("expected a map (key: value lines), got ") + node_.describe());
  // yaml-cpp keeps both entries of a repeated key and lookups see the first; a user who wrote
  // the key twice meant one of them, so say so instead of silently taking the first.
  std::map<std::string, std::string> first_location;
  const std::vector<std::string> written = keys();
  for (std::size_t i = 0; i < written.size(); ++i) {
    const ConfigNode entry = node_.entry(i);
    const auto [it, inserted] = first_location.emplace(written[i], entry.key_location());
    if (!inserted)
      entry.fail_at_key(std::string("duplicate key (first given at ") + it->second + ")");
  }
}

std::vector<std::string> MapReader::keys() const {
  std::vector<std::string> out;
  if (!node_.defined()) return out;
  for (auto it = node_.yaml().begin(); it != node_.yaml().end(); ++it)
    out.push_back(it->first.IsScalar() ? it->first.Scalar() : std::string("<non-scalar key>"));
  return out;
}

bool MapReader::has(const std::string& key) const {
  if (!node_.defined()) return false;
  for (auto it = node_.yaml().begin(); it != node_.yaml().end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  return false;
}

ConfigNode MapReader::child(const std::string& key) {
  known_.insert(key);
  return node_.child(key);
}

void MapReader::allow(const std::string& key) { known_.insert(key); }

template <class T>
T MapReader::required(const std::string& key) {
  known_.insert(key);
  if (!has(key)) node_.fail_at_key(std::string("missing required key '") + key + "'");
  return node_.child(key).as<T>();
}

template <class T>
T MapReader::optional(const std::string& key, T fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  return node_.child(key).as<T>();
}

std::string MapReader::choice(const std::string& key, const std::vector<std::string>& choices,
                              const std::string& fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  const ConfigNode value = node_.child(key);
  const std::string text = value.as<std::string>();
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  std::string message = std::string("unknown value '") + text + "' (";
  const std::string suggestion = nearest_word(text, choices);
  if (!suggestion.empty()) message += std::string("did you mean '") + suggestion + "'? ";
  value.fail(message + "allowed: " + join(choices) + ")");
}

void MapReader::reject_unknown_keys() const {
  if (!node_.defined()) return;
  const std::vector<std::string> allowed(known_.begin(), known_.end());
  const std::vector<std::string> written = keys();
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (known_.count(written[i])) continue;
    std::string message = "unknown key (";
    const std::string suggestion = nearest_word(written[i], allowed);
    if (!suggestion.empty()) message += std::string("did you mean '") + suggestion + "'? ";
    message += allowed.empty() ? std::string("no keys are allowed here)")
                               : std::string("allowed here: ") + join(allowed) + ")";
    node_.entry(i).fail_at_key(message);
  }
}

#define KOLMO_MAP_READER_INSTANTIATE(T)                  \
  template T MapReader::required<T>(const std::string&); \
  template T MapReader::optional<T>(const std::string&, T);

KOLMO_MAP_READER_INSTANTIATE(bool)
KOLMO_MAP_READER_INSTANTIATE(int)
KOLMO_MAP_READER_INSTANTIATE(long)
KOLMO_MAP_READER_INSTANTIATE(std::size_t)
KOLMO_MAP_READER_INSTANTIATE(double)
KOLMO_MAP_READER_INSTANTIATE(std::string)
KOLMO_MAP_READER_INSTANTIATE(std::vector<bool>)
KOLMO_MAP_READER_INSTANTIATE(std::vector<int>)
KOLMO_MAP_READER_INSTANTIATE(std::vector<long>)
KOLMO_MAP_READER_INSTANTIATE(std::vector<std::size_t>)
KOLMO_MAP_READER_INSTANTIATE(std::vector<double>)
KOLMO_MAP_READER_INSTANTIATE(std::vector<std::string>)
using StringMap = std::map<std::string, std::string>;
KOLMO_MAP_READER_INSTANTIATE(StringMap)
#undef KOLMO_MAP_READER_INSTANTIATE

}  // namespace kolmo

#include "core/parameter_space.hpp"

#include <algorithm>
#include <cmath>

#include "core/exceptions.hpp"
#include "core/text.hpp"

namespace kolmo {
namespace {

std::string range_text(const Parameter& p) {
  return std::string("[") + format_number(p.min) + ", " + format_number(p.max) + "]";
}

std::string join_names(const std::vector<Parameter>& parameters) {
  std::string out;
  for (const auto& p : parameters) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

std::string count_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " value" : " values");
}

}  // namespace

bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  const auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

const std::vector<std::string>& reserved_parameter_names() {
  // muparser's built-in functions and constants: a parameter named like one of them would make
  // expressions such as "exp(-k)" ambiguous.
  static const std::vector<std::string> names = {
      "sin",   "cos",   "tan",   "asin", "acos",  "atan", "sinh", "cosh", "tanh",
      "asinh", "acosh", "atanh", "log2", "log10", "log",  "ln",   "exp",  "sqrt",
      "sign",  "rint",  "abs",   "min",  "max",   "sum",  "avg",  "_pi",  "_e"};
  return names;
}

std::string check_parameter_name(std::string_view name) {
  if (!is_identifier(name))
    return std::string("parameter name '") + std::string(name) +
           "' is not a valid name: use letters, digits and '_', not starting with a digit";
  const auto& reserved = reserved_parameter_names();
  if (std::find(reserved.begin(), reserved.end(), name) != reserved.end())
    return std::string("parameter name '") + std::string(name) +
           "' is reserved (a built-in function or constant of expressions)";
  return {};
}

ParameterSpace::ParameterSpace(std::vector<Parameter> parameters)
    : parameters_(std::move(parameters)) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    const std::string problem = check_parameter_name(p.name);
    KOLMO_INPUT_CHECK(problem.empty(), problem);
    for (std::size_t j = 0; j < i; ++j)
      KOLMO_INPUT_CHECK(parameters_[j].name != p.name,
                        "parameter '" << p.name << "' is defined twice");
    KOLMO_INPUT_CHECK(std::isfinite(p.min) && std::isfinite(p.max),
                      "parameter '" << p.name << "': range " << range_text(p)
                                    << " has a bound that is not a finite number");
    KOLMO_INPUT_CHECK(p.min <= p.max, "parameter '" << p.name << "': range " << range_text(p)
                                                    << " is reversed (min > max)");
    KOLMO_INPUT_CHECK(
        p.scale != Scale::log || p.min > 0,
        "parameter '" << p.name << "': log scale needs a positive range, got " << range_text(p));
  }
}

std::vector<std::string> ParameterSpace::names() const {
  std::vector<std::string> out;
  out.reserve(parameters_.size());
  for (const auto& p : parameters_) out.push_back(p.name);
  return out;
}

std::optional<std::size_t> ParameterSpace::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    if (parameters_[i].name == name) return i;
  return std::nullopt;
}

namespace {
bool in_range(const Parameter& p, double value) {
  const double width = p.max - p.min;
  const double tolerance = 1e-12 * (width > 0 ? width : std::max(1.0, std::abs(p.min)));
  return value >= p.min - tolerance && value <= p.max + tolerance;
}
}  // namespace

bool ParameterSpace::contains(const Mu& mu) const {
  if (mu.size() != parameters_.size()) return false;
  for (std::size_t i = 0; i < mu.size(); ++i)
    if (!std::isfinite(mu[i]) || !in_range(parameters_[i], mu[i])) return false;
  return true;
}

void ParameterSpace::check(const Mu& mu, std::string_view where) const {
  KOLMO_INPUT_CHECK(mu.size() == parameters_.size(),
                    where << ": expected " << count_text(parameters_.size()) << " ("
                          << join_names(parameters_) << "), got " << mu.size());
  for (std::size_t i = 0; i < mu.size(); ++i) {
    const Parameter& p = parameters_[i];
    KOLMO_INPUT_CHECK(std::isfinite(mu[i]) && in_range(p, mu[i]),
                      where << ": parameter '" << p.name << "' = " << format_number(mu[i])
                            << " is outside its range " << range_text(p));
  }
}

Mu ParameterSpace::from_unit(std::span<const double> t) const {
  KOLMO_CHECK(t.size() == parameters_.size(),
              "from_unit: expected " << parameters_.size() << " coordinates, got " << t.size());
  Mu mu(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const Parameter& p = parameters_[i];
    KOLMO_CHECK(t[i] >= 0.0 && t[i] <= 1.0,
                "from_unit: coordinate " << i << " = " << t[i] << " is outside [0, 1]");
    // The bounds are returned exactly (grids include them, and contains() must accept them).
    if (t[i] == 0.0) {
      mu[i] = p.min;
    } else if (t[i] == 1.0) {
      mu[i] = p.max;
    } else if (p.scale == Scale::log) {
      const double value = std::exp(std::log(p.min) + t[i] * (std::log(p.max) - std::log(p.min)));
      mu[i] = std::clamp(value, p.min, p.max);
    } else {
      mu[i] = std::clamp(p.min + t[i] * (p.max - p.min), p.min, p.max);
    }
  }
  return mu;
}

std::vector<double> ParameterSpace::to_unit(const Mu& mu) const {
  KOLMO_CHECK(mu.size() == parameters_.size(),
              "to_unit: expected " << parameters_.size() << " values, got " << mu.size());
  std::vector<double> t(mu.size());
  for (std::size_t i = 0; i < mu.size(); ++i) {
    const Parameter& p = parameters_[i];
    if (p.max == p.min) {
      t[i] = 0.0;
    } else if (p.scale == Scale::log) {
      t[i] = (std::log(mu[i]) - std::log(p.min)) / (std::log(p.max) - std::log(p.min));
    } else {
      t[i] = (mu[i] - p.min) / (p.max - p.min);
    }
  }
  return t;
}

Mu ParameterSpace::parse(std::string_view text, std::string_view where) const {
  const std::string original(text);
  std::vector<std::string_view> fields;
  for (std::string_view rest = trim(text);;) {
    const auto comma = rest.find(',');
    fields.push_back(trim(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (fields.size() == 1 && fields.front().empty()) fields.clear();

  const bool named = std::any_of(fields.begin(), fields.end(), [](std::string_view f) {
    return f.find('=') != std::string_view::npos;
  });
  Mu mu;
  if (!named) {
    KOLMO_INPUT_CHECK(fields.size() == parameters_.size(),
                      where << ": expected " << count_text(parameters_.size())
                            << " separated by commas (" << join_names(parameters_) << "), got "
                            << fields.size() << " in '" << original << "'");
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto value = parse_double(fields[i]);
      KOLMO_INPUT_CHECK(value, where << ": '" << fields[i] << "' is not a number (value " << i + 1
                                     << " of '" << original << "', parameter '"
                                     << parameters_[i].name << "')");
      mu.push_back(*value);
    }
  } else {
    // "name=value" pairs, in any order, each parameter exactly once.
    mu.assign(parameters_.size(), 0.0);
    std::vector<bool> given(parameters_.size(), false);
    for (const auto field : fields) {
      const auto equals = field.find('=');
      KOLMO_INPUT_CHECK(equals != std::string_view::npos,
                        where << ": '" << field << "' is not of the form name=value (in '"
                              << original << "'; either name every value or none)");
      const std::string name(trim(field.substr(0, equals)));
      const auto index = index_of(name);
      if (!index) {
        const std::string suggestion = nearest_word(name, names());
        throw InputError(
            std::string(where) + ": unknown parameter '" + name + "' (" +
            (suggestion.empty() ? "" : std::string("did you mean '") + suggestion + "'? ") +
            "parameters: " + join_names(parameters_) + ")");
      }
      KOLMO_INPUT_CHECK(!given[*index], where << ": parameter '" << name << "' is given twice");
      const auto value_text = trim(field.substr(equals + 1));
      const auto value = parse_double(value_text);
      KOLMO_INPUT_CHECK(value, where << ": '" << value_text << "' is not a number (parameter '"
                                     << name << "' in '" << original << "')");
      mu[*index] = *value;
      given[*index] = true;
    }
    for (std::size_t i = 0; i < given.size(); ++i)
      KOLMO_INPUT_CHECK(given[i], where << ": no value for parameter '" << parameters_[i].name
                                        << "' in '" << original << "'");
  }
  check(mu, where);
  return mu;
}

std::string format_mu(const ParameterSpace& space, const Mu& mu) {
  KOLMO_CHECK(mu.size() == space.dimension(),
              "format_mu: point has " << mu.size() << " values, the space " << space.dimension());
  std::string out;
  for (std::size_t i = 0; i < mu.size(); ++i) {
    if (i > 0) out += ", ";
    out += space.parameter(i).name;
    out += '=';
    out += format_number(mu[i]);
  }
  return out;
}

}  // namespace kolmo

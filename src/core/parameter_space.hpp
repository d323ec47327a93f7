#pragma once
/// @file
/// Named parameters with ranges and scales, and the parameter point type `Mu`.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kolmo {

/// A parameter point: one value per parameter, in the order of its ParameterSpace.
using Mu = std::vector<double>;

/// How a parameter is sampled between its bounds.
enum class Scale { linear, log };

/// One named parameter and its closed range [min, max]. Log scale needs 0 < min.
struct Parameter {
  std::string name;
  double min = 0.0;
  double max = 1.0;
  Scale scale = Scale::linear;
};

/// The parameter domain of a study: a box of named parameters, each on a linear or log scale.
/// A value type, identical on every rank. Not collective.
class ParameterSpace {
 public:
  ParameterSpace() = default;
  /// A parameter with min == max is allowed (a fixed value; the case file requires min < max).
  /// @throws InputError on duplicate or invalid names (see check_parameter_name), non-finite
  /// bounds, min > max, or log scale with min <= 0.
  explicit ParameterSpace(std::vector<Parameter> parameters);

  std::size_t dimension() const noexcept { return parameters_.size(); }
  const std::vector<Parameter>& parameters() const noexcept { return parameters_; }
  const Parameter& parameter(std::size_t i) const { return parameters_.at(i); }
  std::vector<std::string> names() const;
  /// Index of the parameter called `name`, if any.
  std::optional<std::size_t> index_of(std::string_view name) const;

  /// True iff mu has the right dimension and every value lies in its range (to a relative
  /// tolerance of 1e-12 of the range width).
  bool contains(const Mu& mu) const;
  /// @throws InputError naming the parameter, its value and its range when mu is not contained;
  /// `where` says where mu came from (e.g. "--mu", "samples.csv:3").
  void check(const Mu& mu, std::string_view where) const;

  /// Map a point of the unit cube [0,1]^d to the box, linearly or logarithmically per parameter.
  Mu from_unit(std::span<const double> t) const;
  /// Inverse of from_unit.
  std::vector<double> to_unit(const Mu& mu) const;

  /// Parse "a,b,c" (as given to --mu) into a point and check it. The named form
  /// "mu2=0.5, mu1=0.1" (every parameter once, any order; what format_mu prints) is accepted too.
  /// @throws InputError on a malformed number, a wrong count, an unknown or repeated name, or a
  /// value out of range; the message starts with `where`.
  Mu parse(std::string_view text, std::string_view where = "--mu") const;

 private:
  std::vector<Parameter> parameters_;
};

/// Format a point as "name=value, ..." for messages and logs (shortest round-trip numbers).
std::string format_mu(const ParameterSpace& space, const Mu& mu);

/// True iff `name` can be a variable of parameter expressions: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(std::string_view name);
/// Names a parameter may not take: the built-in functions and constants of expressions.
const std::vector<std::string>& reserved_parameter_names();
/// "" when `name` is a valid parameter name, otherwise the reason it is not (for messages).
std::string check_parameter_name(std::string_view name);

}  // namespace kolmo

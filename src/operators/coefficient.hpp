#pragma once
/// @file
/// The scalar coefficient theta_q(mu) of one affine term.
#include <functional>
#include <string>

#include "core/expression.hpp"
#include "core/parameter_space.hpp"

namespace kolmo::operators {

/// theta(mu), with a text that says what it is (the expression, or a description).
class Coefficient {
 public:
  /// A constant coefficient.
  static Coefficient constant(double value);
  /// An expression of the parameters of `space` (muparser syntax, parameter names as variables).
  /// @throws InputError when the expression does not parse or names an unknown parameter.
  static Coefficient expression(const std::string& text, const ParameterSpace& space);
  /// Any callable; `text` describes it in messages and output files.
  Coefficient(std::function<double(const Mu&)> function, std::string text);

  double operator()(const Mu& mu) const { return function_(mu); }
  const std::string& text() const noexcept { return text_; }

 private:
  std::function<double(const Mu&)> function_;
  std::string text_;
};

}  // namespace kolmo::operators

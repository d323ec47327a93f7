#pragma once
/// @file
/// Scalar expressions of the parameters, e.g. "mu1", "1/(1+Pe)", "exp(-k2)", parsed by muparser.
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kolmo {

/// An expression of named variables (the parameters), compiled once and evaluated many times.
/// Copies are independent; evaluation is not thread-safe on one object.
class ParameterExpression {
 public:
  /// @throws InputError with muparser's message and position when `text` does not parse or uses a
  /// name that is not in `variables`.
  ParameterExpression(std::string text, std::vector<std::string> variables);
  ~ParameterExpression();
  ParameterExpression(const ParameterExpression&);
  ParameterExpression& operator=(const ParameterExpression&);
  ParameterExpression(ParameterExpression&&) noexcept;
  ParameterExpression& operator=(ParameterExpression&&) noexcept;

  /// Value at `values` (one per variable, in the constructor's order).
  double operator()(std::span<const double> values) const;
  const std::string& text() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kolmo

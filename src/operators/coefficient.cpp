#include "operators/coefficient.hpp"

#include <memory>
#include <sstream>

namespace kolmo::operators {

Coefficient::Coefficient(std::function<double(const Mu&)> function, std::string text)
    : function_(std::move(function)), text_(std::move(text)) {}

Coefficient Coefficient::constant(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return Coefficient([value](const Mu&) { return value; }, text.str());
}

Coefficient Coefficient::expression(const std::string& text, const ParameterSpace& space) {
  auto compiled = std::make_shared<ParameterExpression>(text, space.names());
  return Coefficient([compiled](const Mu& mu) { return (*compiled)(mu); }, text);
}

}  // namespace kolmo::operators

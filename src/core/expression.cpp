#include "core/expression.hpp"

#include <muParser.h>

#include "core/exceptions.hpp"

namespace kolmo {

struct ParameterExpression::Impl {
  std::string text;
  std::vector<std::string> names;
  std::vector<double> values;  // muparser binds variables to these addresses
  mu::Parser parser;
};

ParameterExpression::ParameterExpression(std::string text, std::vector<std::string> variables)
    : impl_(std::make_shared<Impl>()) {
  impl_->text = std::move(text);
  impl_->names = std::move(variables);
  impl_->values.assign(impl_->names.size(), 0.0);
  try {
    for (std::size_t i = 0; i < impl_->names.size(); ++i)
      impl_->parser.DefineVar(impl_->names[i], &impl_->values[i]);
    impl_->parser.SetExpr(impl_->text);
    impl_->parser.Eval();  // compile now, so errors surface at construction
  } catch (const mu::Parser::exception_type& e) {
    std::string known;
    for (const auto& n : impl_->names) known += (known.empty() ? "" : ", ") + n;
    throw InputError("expression '" + impl_->text + "': " + e.GetMsg() + " (variables: " +
                     (known.empty() ? "none" : known) + ")");
  }
}

ParameterExpression::~ParameterExpression() = default;
ParameterExpression::ParameterExpression(ParameterExpression&&) noexcept = default;
ParameterExpression& ParameterExpression::operator=(ParameterExpression&&) noexcept = default;

// A copy gets its own parser: muparser binds variables by address, so sharing would alias values.
ParameterExpression::ParameterExpression(const ParameterExpression& other)
    : ParameterExpression(other.impl_->text, other.impl_->names) {}

ParameterExpression& ParameterExpression::operator=(const ParameterExpression& other) {
  if (this != &other) *this = ParameterExpression(other);
  return *this;
}

double ParameterExpression::operator()(std::span<const double> values) const {
  KOLMO_CHECK(values.size() == impl_->values.size(),
              "expression '" << impl_->text << "' takes " << impl_->values.size()
                             << " values, got " << values.size());
  std::copy(values.begin(), values.end(), impl_->values.begin());
  try {
    return impl_->parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw InputError("expression '" + impl_->text + "': " + e.GetMsg());
  }
}

const std::string& ParameterExpression::text() const noexcept { return impl_->text; }

}  // namespace kolmo

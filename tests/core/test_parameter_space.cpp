#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/parameter_space.hpp"

using kolmo::Parameter;
using kolmo::ParameterSpace;
using kolmo::Scale;

namespace {

ParameterSpace two_parameters() {
  return ParameterSpace({{"mu1", -1.0, 1.0, Scale::linear}, {"mu2", 0.1, 1.0, Scale::linear}});
}

std::string error_of_parse(const ParameterSpace& space, const std::string& text) {
  try {
    space.parse(text);
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("names, indices and membership", "[core][parameter_space]") {
  const auto space = two_parameters();
  CHECK(space.dimension() == 2);
  CHECK(space.names() == std::vector<std::string>{"mu1", "mu2"});
  CHECK(space.index_of("mu2") == std::optional<std::size_t>(1));
  CHECK_FALSE(space.index_of("mu3").has_value());
  CHECK(space.contains({-1.0, 1.0}));
  CHECK(space.contains({0.0, 0.1}));
  CHECK(space.contains({1.0 + 1e-13, 0.5}));  // within 1e-12 of the width
  CHECK_FALSE(space.contains({1.0 + 1e-9, 0.5}));
  CHECK_FALSE(space.contains({0.0, 1.5}));
  CHECK_FALSE(space.contains({0.0}));
  CHECK_FALSE(space.contains({NAN, 0.5}));
}

TEST_CASE("check() names the parameter, its value and its range", "[core][parameter_space]") {
  const auto space = two_parameters();
  CHECK_NOTHROW(space.check({0.5, 0.5}, "--mu"));
  CHECK_THROWS_WITH(space.check({0.5, 1.5}, "--mu"),
                    "--mu: parameter 'mu2' = 1.5 is outside its range [0.1, 1]");
  CHECK_THROWS_WITH(space.check({-2.0, 0.5}, "points.csv:3"),
                    "points.csv:3: parameter 'mu1' = -2 is outside its range [-1, 1]");
  CHECK_THROWS_WITH(space.check({0.5}, "--mu"), "--mu: expected 2 values (mu1, mu2), got 1");
  CHECK_THROWS_AS(space.check({0.5, 1.5}, "--mu"), kolmo::InputError);
}

TEST_CASE("from_unit and to_unit are inverse, linear or logarithmic", "[core][parameter_space]") {
  const ParameterSpace space({{"a", 2.0, 6.0, Scale::linear}, {"b", 1e-3, 1e3, Scale::log}});
  const std::vector<double> corner0 = {0.0, 0.0}, corner1 = {1.0, 1.0}, mid = {0.5, 0.5};
  CHECK(space.from_unit(corner0) == kolmo::Mu{2.0, 1e-3});  // bounds exactly
  CHECK(space.from_unit(corner1) == kolmo::Mu{6.0, 1e3});
  const auto m = space.from_unit(mid);
  CHECK(m[0] == Approx(4.0));
  CHECK(m[1] == Approx(1.0));  // geometric middle of [1e-3, 1e3]
  const std::vector<double> quarter = {0.25, 0.25};
  CHECK(space.from_unit(quarter)[1] == Approx(std::pow(10.0, -1.5)));
  const auto t = space.to_unit({3.0, 10.0});
  CHECK(t[0] == Approx(0.25));
  CHECK(t[1] == Approx(4.0 / 6.0));
  const auto back = space.from_unit(t);
  CHECK(back[0] == Approx(3.0));
  CHECK(back[1] == Approx(10.0));
}

TEST_CASE("parse reads --mu text, positional or named", "[core][parameter_space]") {
  const auto space = two_parameters();
  CHECK(space.parse("0.25,0.5") == kolmo::Mu{0.25, 0.5});
  CHECK(space.parse(" -1 , 1e-1 ") == kolmo::Mu{-1.0, 0.1});
  CHECK(space.parse("mu2=0.5, mu1=0.25") == kolmo::Mu{0.25, 0.5});
  CHECK(space.parse(kolmo::format_mu(space, {0.1, 0.3})) == kolmo::Mu{0.1, 0.3});

  CHECK(error_of_parse(space, "0.1") ==
        "--mu: expected 2 values separated by commas (mu1, mu2), got 1 in '0.1'");
  CHECK(error_of_parse(space, "0.1,0.2,0.3") ==
        "--mu: expected 2 values separated by commas (mu1, mu2), got 3 in '0.1,0.2,0.3'");
  CHECK(error_of_parse(space, "") ==
        "--mu: expected 2 values separated by commas (mu1, mu2), got 0 in ''");
  CHECK(error_of_parse(space, "0.1,abc") ==
        "--mu: 'abc' is not a number (value 2 of '0.1,abc', parameter 'mu2')");
  CHECK(error_of_parse(space, "0.1,0.5x") ==
        "--mu: '0.5x' is not a number (value 2 of '0.1,0.5x', parameter 'mu2')");
  CHECK(error_of_parse(space, "0.1,1.5") ==
        "--mu: parameter 'mu2' = 1.5 is outside its range [0.1, 1]");
  CHECK(error_of_parse(space, "mu1=0.1,mu3=0.2") ==
        "--mu: unknown parameter 'mu3' (did you mean 'mu1'? parameters: mu1, mu2)");
  CHECK(error_of_parse(space, "mu1=0.1,mu1=0.2") == "--mu: parameter 'mu1' is given twice");
  CHECK(error_of_parse(space, "mu1=0.1") == "--mu: no value for parameter 'mu2' in 'mu1=0.1'");
  CHECK(error_of_parse(space, "mu1=0.1,0.2") ==
        "--mu: '0.2' is not of the form name=value (in 'mu1=0.1,0.2'; either name every value "
        "or none)");
  CHECK_THROWS_WITH(space.parse("0,2", "row 4"),
                    "row 4: parameter 'mu2' = 2 is outside its range [0.1, 1]");
}

TEST_CASE("format_mu prints shortest round-trip numbers", "[core][parameter_space]") {
  const auto space = two_parameters();
  CHECK(kolmo::format_mu(space, {0.1, 1.0}) == "mu1=0.1, mu2=1");
  CHECK(kolmo::format_mu(space, {-1e-10, 0.30000000000000004}) ==
        "mu1=-1e-10, mu2=0.30000000000000004");
}

TEST_CASE("invalid parameter spaces are rejected", "[core][parameter_space]") {
  CHECK_THROWS_WITH(ParameterSpace({{"a", 0, 1, Scale::linear}, {"a", 0, 1, Scale::linear}}),
                    "parameter 'a' is defined twice");
  CHECK_THROWS_WITH(ParameterSpace({{"a", 2, 1, Scale::linear}}),
                    "parameter 'a': range [2, 1] is reversed (min > max)");
  CHECK_THROWS_WITH(ParameterSpace({{"a", 0, 1, Scale::log}}),
                    "parameter 'a': log scale needs a positive range, got [0, 1]");
  CHECK_THROWS_WITH(ParameterSpace({{"", 0, 1, Scale::linear}}),
                    Catch::StartsWith("parameter name '' is not a valid name"));
  CHECK_THROWS_WITH(ParameterSpace({{"my param", 0, 1, Scale::linear}}),
                    Catch::StartsWith("parameter name 'my param' is not a valid name"));
  CHECK_THROWS_WITH(ParameterSpace({{"sin", 0, 1, Scale::linear}}), Catch::Contains("is reserved"));
  CHECK_THROWS_AS(ParameterSpace({{"a", 0, INFINITY, Scale::linear}}), kolmo::InputError);
  // A fixed parameter (min == max) is allowed and maps every unit coordinate to its value.
  const ParameterSpace fixed({{"a", 3, 3, Scale::linear}});
  const std::vector<double> half = {0.5};
  CHECK(fixed.from_unit(half) == kolmo::Mu{3.0});
  CHECK(fixed.to_unit({3.0}) == std::vector<double>{0.0});
  CHECK(fixed.contains({3.0}));
  CHECK(kolmo::is_identifier("_k2"));
  CHECK_FALSE(kolmo::is_identifier("k-2"));
}

#include <catch2/catch.hpp>
#include <memory>

#include "core/config_node.hpp"
#include "core/error.hpp"

using kolmo::ConfigNode;
using kolmo::MapReader;

namespace {

ConfigNode load(const std::string& text) {
  return ConfigNode(YAML::Load(text), std::make_shared<const std::string>("t.yaml"), "");
}

template <class T>
std::string error_of_as(const ConfigNode& node) {
  try {
    node.as<T>();
  } catch (const kolmo::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("locations are 1-based file:line:col, key paths are dotted and indexed",
          "[core][config_node]") {
  const auto root = load("a:\n  b: [10, 20]\n  c:\n    - {d: x}\n");
  CHECK(root.location() == "t.yaml:1:1");
  const auto b = root.child("a").child("b");
  CHECK(b.key_path() == "a.b");
  CHECK(b.location() == "t.yaml:2:6");
  CHECK(b.key_location() == "t.yaml:2:3");
  CHECK(b.element(1).key_path() == "a.b[1]");
  CHECK(b.element(1).location() == "t.yaml:2:11");
  const auto d = root.child("a").child("c").element(0).child("d");
  CHECK(d.key_path() == "a.c[0].d");
  CHECK(d.location() == "t.yaml:4:11");
  CHECK(d.as<std::string>() == "x");

  // A missing child is undefined and reports where its parent is named.
  const auto missing = root.child("a").child("zz");
  CHECK_FALSE(missing.defined());
  CHECK(missing.key_path() == "a.zz");
  CHECK(missing.location() == "t.yaml:1:1");
  CHECK(error_of_as<int>(missing) == "t.yaml:1:1: 'a.zz': expected an integer, got nothing");
  CHECK_FALSE(b.element(5).defined());
  // Children of a scalar are undefined rather than a yaml-cpp exception.
  CHECK_FALSE(d.child("e").defined());
}

TEST_CASE("scalars convert strictly to the supported types", "[core][config_node]") {
  const auto n = load(
      "i: -42\nbig: 99999999999\nu: 7\nx: 2.5e-3\ns: hello\nb: true\n"
      "e:\nq: '12'\nf: 1.0\n");
  CHECK(n.child("i").as<int>() == -42);
  CHECK(n.child("i").as<long>() == -42L);
  CHECK(n.child("big").as<long>() == 99999999999L);
  CHECK(n.child("u").as<std::size_t>() == 7u);
  CHECK(n.child("x").as<double>() == 2.5e-3);
  CHECK(n.child("i").as<double>() == -42.0);
  CHECK(n.child("s").as<std::string>() == "hello");
  CHECK(n.child("b").as<bool>());
  CHECK(n.child("q").as<int>() == 12);

  CHECK(error_of_as<std::size_t>(n.child("i")) ==
        "t.yaml:1:4: 'i': expected a non-negative integer, got '-42'");
  CHECK(error_of_as<int>(n.child("big")) ==
        "t.yaml:2:6: 'big': expected an integer between -2147483648 and 2147483647, got "
        "'99999999999'");
  CHECK(error_of_as<int>(n.child("f")) == "t.yaml:9:4: 'f': expected an integer, got '1.0'");
  CHECK(error_of_as<double>(n.child("s")) == "t.yaml:5:4: 's': expected a number, got 'hello'");
  CHECK(error_of_as<bool>(n.child("s")) == "t.yaml:5:4: 's': expected true or false, got 'hello'");
  CHECK(error_of_as<std::string>(n.child("e")) ==
        "t.yaml:7:1: 'e': expected a string, got an empty value");
  CHECK(error_of_as<double>(load("v: .nan\n").child("v")) ==
        "t.yaml:1:4: 'v': expected a number, got '.nan'");
  CHECK(error_of_as<double>(load("v: [1]\n").child("v")) ==
        "t.yaml:1:4: 'v': expected a number, got a sequence");
}

TEST_CASE("vectors need sequences and check every element", "[core][config_node]") {
  const auto n = load("v: [1, 2, 3]\nw: [0.5, oops]\ns: 4\nm: {a: 1}\n");
  CHECK(n.child("v").as<std::vector<int>>() == std::vector<int>{1, 2, 3});
  CHECK(n.child("v").as<std::vector<std::size_t>>() == std::vector<std::size_t>{1, 2, 3});
  CHECK(n.child("v").as<std::vector<double>>() == std::vector<double>{1, 2, 3});
  CHECK(n.child("v").as<std::vector<std::string>>() == std::vector<std::string>{"1", "2", "3"});
  CHECK(error_of_as<std::vector<double>>(n.child("w")) ==
        "t.yaml:2:10: 'w[1]': expected a number, got 'oops'");
  CHECK(error_of_as<std::vector<int>>(n.child("s")) ==
        "t.yaml:3:4: 's': expected a sequence of integers, got '4'");
  CHECK(error_of_as<std::vector<std::string>>(n.child("m")) ==
        "t.yaml:4:4: 'm': expected a sequence of strings, got a map");
}

TEST_CASE("string maps keep values as text, empty values as empty strings", "[core][config_node]") {
  using StringMap = std::map<std::string, std::string>;
  const auto n = load("m:\n  a: 1e-3\n  b:\n  c: gmres\nbad: {x: {y: 1}}\n");
  CHECK(n.child("m").as<StringMap>() == StringMap{{"a", "1e-3"}, {"b", ""}, {"c", "gmres"}});
  CHECK(n.child("absent").as<StringMap>().empty());
  CHECK(error_of_as<StringMap>(n.child("bad")) ==
        "t.yaml:5:10: 'bad.x': expected a string, got a map");
}

TEST_CASE("MapReader reads, defaults, and rejects unknown keys", "[core][config_node]") {
  const auto root = load("sec:\n  alpha: 3\n  beta: x\n  gamma_ray: 1\n");
  MapReader reader(root.child("sec"));
  CHECK(reader.has("alpha"));
  CHECK_FALSE(reader.has("delta"));
  CHECK(reader.required<int>("alpha") == 3);
  CHECK(reader.optional<double>("delta", 1.5) == 1.5);
  CHECK(reader.choice("beta", {"x", "y"}, "y") == "x");
  CHECK(reader.keys() == std::vector<std::string>{"alpha", "beta", "gamma_ray"});
  try {
    reader.reject_unknown_keys();
    FAIL("gamma_ray was accepted");
  } catch (const kolmo::InputError& e) {
    CHECK(std::string(e.what()) ==
          "t.yaml:4:3: 'sec.gamma_ray': unknown key (allowed here: alpha, beta, delta)");
  }
  reader.allow("gamma_ray");
  CHECK_NOTHROW(reader.reject_unknown_keys());

  try {
    reader.required<int>("epsilon");
    FAIL("missing key accepted");
  } catch (const kolmo::InputError& e) {
    CHECK(std::string(e.what()) == "t.yaml:1:1: 'sec': missing required key 'epsilon'");
  }
  try {
    MapReader(root.child("sec")).choice("beta", {"xx", "yy"}, "yy");
    FAIL("bad choice accepted");
  } catch (const kolmo::InputError& e) {
    CHECK(std::string(e.what()) ==
          "t.yaml:3:9: 'sec.beta': unknown value 'x' (did you mean 'xx'? allowed: xx, yy)");
  }

  // An absent or empty section reads as an empty map; a scalar is an error.
  MapReader absent(root.child("nothing"));
  CHECK(absent.optional<int>("k", 7) == 7);
  CHECK_NOTHROW(absent.reject_unknown_keys());
  CHECK_THROWS_WITH(MapReader(root.child("sec").child("alpha")),
                    "t.yaml:2:10: 'sec.alpha': expected a map (key: value lines), got '3'");
  CHECK_THROWS_WITH(MapReader(load("a: 1\nb: 2\na: 3\n")),
                    "t.yaml:3:1: 'a': duplicate key (first given at t.yaml:1:1)");
}

TEST_CASE("fail() prefixes location and key path", "[core][config_node]") {
  const auto n = load("top:\n  key: 5\n");
  CHECK_THROWS_WITH(n.child("top").child("key").fail("too big"), "t.yaml:2:8: 'top.key': too big");
  CHECK_THROWS_WITH(n.fail("bad file"), "t.yaml:1:1: bad file");
  CHECK_THROWS_AS(n.fail("x"), kolmo::InputError);
}

TEST_CASE("nearest_word suggests close words only", "[core][config_node]") {
  const std::vector<std::string> keys = {"estimator", "max_size", "method", "model", "tolerance"};
  CHECK(kolmo::nearest_word("tolerence", keys) == "tolerance");
  CHECK(kolmo::nearest_word("max_szie", keys) == "max_size");  // transposition = 1
  CHECK(kolmo::nearest_word("Method", keys) == "method");
  CHECK(kolmo::nearest_word("modle", keys) == "model");
  CHECK(kolmo::nearest_word("tol", keys) == "tolerance");  // prefix
  CHECK(kolmo::nearest_word("basis_size", keys).empty());
  CHECK(kolmo::nearest_word("xyz", keys).empty());
  CHECK(kolmo::nearest_word("anything", {}).empty());
  // Threshold max(2, len/3): 3 edits are allowed for a 9+ letter word, not for a 6 letter one.
  CHECK(kolmo::nearest_word("abcdefxyz", {"abcdefghi"}) == "abcdefghi");
  CHECK(kolmo::nearest_word("abcxyz", {"abcdef"}).empty());
}

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/error.hpp"
#include "core/json.hpp"

TEST_CASE("JSON values are written compactly and indented", "[core][json]") {
  kolmo::Json json = kolmo::Json::object();
  json.set("name", "a \"quoted\"\\path\n\ttab\x01").set("count", 3).set("ok", true);
  json["nested"]["list"].push_back(1.5);
  json["nested"]["list"].push_back(nullptr);
  json["nested"]["empty"] = kolmo::Json::array();
  json.set("count", 4);  // replaced in place, order kept
  REQUIRE(json.dump(-1) == R"({"name":"a \"quoted\"\\path\n\ttab\u0001","count":4,"ok":true,)"
                           R"("nested":{"list":[1.5,null],"empty":[]}})");
  REQUIRE(json.dump(2) ==
          "{\n"
          "  \"name\": \"a \\\"quoted\\\"\\\\path\\n\\ttab\\u0001\",\n"
          "  \"count\": 4,\n"
          "  \"ok\": true,\n"
          "  \"nested\": {\n"
          "    \"list\": [\n"
          "      1.5,\n"
          "      null\n"
          "    ],\n"
          "    \"empty\": []\n"
          "  }\n"
          "}");
  REQUIRE(json.size() == 4);
  REQUIRE_THROWS_AS(json["name"].push_back(1), kolmo::Exception);
}

TEST_CASE("JSON numbers keep full precision and integers stay exact", "[core][json]") {
  const double values[] = {0.1, 1.0 / 3.0, 1e-300, -2.5e17, 6.02214076e23, 5e-324};
  for (const double value : values) {
    const std::string text = kolmo::json_number(value);
    REQUIRE(std::strtod(text.c_str(), nullptr) == value);
  }
  REQUIRE(kolmo::json_number(0.1) == "0.1");
  REQUIRE(kolmo::json_number(std::nan("")) == "null");
  REQUIRE(kolmo::json_number(std::numeric_limits<double>::infinity()) == "null");
  REQUIRE(kolmo::Json(9007199254740993LL).dump() == "9007199254740993");
  // Beyond int64 an unsigned value becomes the nearest double, 2^64.
  REQUIRE(kolmo::Json(std::numeric_limits<unsigned long long>::max()).dump() ==
          "18446744073709551616");
  REQUIRE(kolmo::Json(std::vector<double>{1, 2.5}).dump(-1) == "[1,2.5]");
  REQUIRE(kolmo::Json(std::vector<std::string>{"a"}).dump(-1) == R"(["a"])");
}

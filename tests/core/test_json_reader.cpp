#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/json_reader.hpp"

using namespace ln;

namespace {
std::string error_of(const std::string& text) {
  try {
    parse_json(text, "ctx");
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}
}  // namespace

TEST_CASE("json reader: values, order, exact big integers, escapes") {
  JsonValue v = parse_json(
      " {\"z\": [1, 18446744073709551615, 18446744073709551616, -3, 2.5e3], \"a\": {\"t\": true, \"f\": "
      "false, "
      "\"n\": null}, \"s\": \"q\\\" b\\\\ \\/ \\n \\u00e9 \\ud83d\\ude00\"}\n",
      "ctx");
  REQUIRE(v.is_object());
  CHECK(v.members[0].first == "z");  // file order kept
  CHECK(v.members[1].first == "a");
  const JsonValue& z = *v.find("z");
  CHECK(z.items[0].as_uint() == 1u);
  CHECK(z.items[1].as_uint() == 18446744073709551615ull);  // exact, no double rounding
  CHECK(!z.items[2].as_uint());                            // too big for uint64
  CHECK(!z.items[3].as_uint());
  CHECK(!z.items[4].as_uint());
  CHECK(z.items[4].text == "2.5e3");
  CHECK(v.find("a")->find("t")->boolean);
  CHECK(v.find("a")->find("n")->kind == JsonValue::Kind::null);
  CHECK(v.find("s")->text == "q\" b\\ / \n \xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(v.find("missing") == nullptr);
}

TEST_CASE("json reader refuses malformed text with the byte offset") {
  CHECK(error_of("{\"a\": 1,}") == "ctx: not valid JSON at byte 8: expected a string key");
  CHECK(error_of("{\"a\": 1} x") ==
        "ctx: not valid JSON at byte 9: unexpected text after the end of the value");
  CHECK(error_of("{\"a\": 1, \"a\": 2}").find("duplicate key \"a\"") != std::string::npos);
  CHECK(error_of("[01]").find("expected ']'") != std::string::npos);
  CHECK(error_of("\"abc").find("unexpected end of text") != std::string::npos);
  CHECK(error_of("\"\\ud800\"").find("unpaired surrogate") != std::string::npos);
  CHECK(error_of("\"\\x\"").find("unknown escape") != std::string::npos);
  CHECK(error_of("\"a\nb\"").find("control character") != std::string::npos);
  CHECK(error_of("-x").find("expected a digit") != std::string::npos);
  CHECK(error_of("").find("unexpected end of text") != std::string::npos);
  CHECK(error_of(std::string(100, '[') + std::string(100, ']')).find("nested more than 64 levels") !=
        std::string::npos);
  CHECK(error_of(std::string(60, '[') + std::string(60, ']')).empty());
}

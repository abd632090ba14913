#pragma once
// A small strict JSON reader for the files longnet reads back from disk: safetensors
// headers, checkpoint manifests, state.json, metrics.jsonl lines and eval outputs. Hand-written rather than
// yaml-cpp so that integers of any size up to 2^64-1 are exact, duplicate keys are refused, object order is
// kept, and a hostile header (deep nesting, truncated escapes) fails with a reason instead of a crash.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ln {

// One "key": value of an object. A struct rather than std::pair<std::string, JsonValue>: a pair
// of the still-incomplete JsonValue inside JsonValue does not compile with clang (the fuzz build).
struct JsonMember;

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;                 // string value, or the number exactly as written
  std::vector<JsonValue> items;     // array
  std::vector<JsonMember> members;  // object, in file order

  bool is_object() const { return kind == Kind::object; }
  bool is_array() const { return kind == Kind::array; }
  bool is_string() const { return kind == Kind::string; }
  // The member called `key`, or nullptr.
  const JsonValue* find(const std::string& key) const;
  // A non-negative integer written without sign, fraction or exponent that fits in uint64.
  std::optional<uint64_t> as_uint() const;
};

struct JsonMember {
  std::string first;  // the key
  JsonValue second;   // the value
};

const char* json_kind_name(JsonValue::Kind kind);  // "an object", "a string", ...

// Parses one JSON value followed only by whitespace. Throws ln::Error
// "<context>: not valid JSON at byte N: <reason>".
JsonValue parse_json(std::string_view text, const std::string& context);

}  // namespace ln

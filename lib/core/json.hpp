#pragma once
// A tiny ordered JSON object writer for bench lines, metrics.jsonl and state files.
//   std::cout << JsonObject().add("seq", 4096).add("ms", 1.5).str() << "\n";
// Reading JSON back: core/json_reader.hpp.
#include <cstdint>
#include <string>
#include <vector>

namespace ln {

std::string json_escape(const std::string& text);  // quoted, escaped string literal

class JsonObject {
 public:
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonObject& add(const std::string& key, double value);  // non-finite values become null
  JsonObject& add(const std::string& key, int64_t value);
  JsonObject& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
  JsonObject& add(const std::string& key, uint64_t value);
  JsonObject& add(const std::string& key, bool value);
  JsonObject& add_raw(const std::string& key, const std::string& json);  // nested object/array
  std::string str() const;                                               // one line, keys in insertion order

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace ln

// Fuzz target: a YAML config (lib/config). Properties: any text either loads or is refused with
// ln::Error; a config that loads prints as YAML that loads back to the same YAML.
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ln::Config config;
  try {
    config = ln::parse_config_yaml(text, "fuzz.yaml");
  } catch (const ln::Error&) {
    return 0;
  }
  const std::string yaml = ln::config_to_yaml(config);
  ln::Config again = ln::parse_config_yaml(yaml, "fuzz.yaml");  // must not throw
  LN_FUZZ_ASSERT(ln::config_to_yaml(again) == yaml);
  return 0;
}

// Fuzz target: `--set key=value` (lib/config apply_override). The first byte picks a key of the
// schema (so every key's typing is reached), the rest is the value; or, with a leading '=', the
// whole assignment is the input. Properties: refused only with ln::Error; an accepted config
// prints as YAML that loads back to the same YAML.
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& schema = ln::config_schema();
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string assignment = data[0] == '=' ? rest : schema[data[0] % schema.size()].name + "=" + rest;
  ln::Config config;
  try {
    ln::apply_override(config, assignment);
    ln::validate_config(config);
  } catch (const ln::Error&) {
    return 0;
  }
  const std::string yaml = ln::config_to_yaml(config);
  ln::Config again = ln::parse_config_yaml(yaml, config.source);  // must not throw
  LN_FUZZ_ASSERT(ln::config_to_yaml(again) == yaml);
  return 0;
}

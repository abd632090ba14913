// Fuzz target: a safetensors file (lib/run/safetensors: the 8-byte length, the JSON header,
// offsets and dtypes). Properties: refused only with ln::Error; what loads has one tensor per
// name, each holding exactly the bytes its shape needs.
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_util.hpp"
#include "run/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ln::fuzz::MemFile file("fuzz.safetensors");
  const std::string& path = file.write(data, size);
  try {
    ln::SafetensorsFile loaded = ln::load_safetensors(path);
    LN_FUZZ_ASSERT(loaded.names.size() == loaded.tensors.size());
    for (size_t i = 0; i < loaded.tensors.size(); ++i) {
      LN_FUZZ_ASSERT(loaded.contains(loaded.names[i]));
      (void)loaded.at(loaded.names[i]).numel();
    }
  } catch (const ln::Error&) {
  }
  return 0;
}

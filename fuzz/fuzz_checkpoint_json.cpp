// Fuzz target: the JSON files of a checkpoint. The input is written as MANIFEST.json into a
// checkpoint directory and verified (checkpoint_problem must report content problems, never
// throw or crash: a file name in the manifest must never lead outside the directory; only an
// unreadable file, which the fuzzer never makes, is an error), then read as state.json
// through read_run_state, the one reader (format, version, fields, config).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "fuzz_util.hpp"
#include "run/checkpoint.hpp"
#include "run/run_state.hpp"

namespace {

std::string checkpoint_dir() {
  static const std::string dir = [] {
    std::string d =
        (std::filesystem::temp_directory_path() / ("longnet-fuzz-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(d + "/step-000000001");
    return d + "/step-000000001";
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  { std::ofstream(checkpoint_dir() + "/MANIFEST.json", std::ios::binary | std::ios::trunc) << text; }
  (void)ln::checkpoint_problem(checkpoint_dir());  // returns the reason; throwing is a finding

  try {
    const ln::RunState state = ln::read_run_state(text, "state.json");  // the one reader
    (void)state.step;
  } catch (const ln::Error&) {
  }
  return 0;
}

// Fuzz target: the JSON files of a checkpoint. The input is written as MANIFEST.json into a
// checkpoint directory and verified (checkpoint_problem must report, never throw or crash: a
// file name in the manifest must never lead outside the directory), then read as state.json
// the way lib/train/trained_model.cpp reads it (config, tokenizer_sha256, step).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "fuzz_util.hpp"
#include "train/checkpoint.hpp"

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
    ln::JsonValue state = ln::parse_json(text, "state.json");
    if (const ln::JsonValue* step = state.find("step")) (void)step->as_uint();
    const ln::JsonValue* sha = state.find("tokenizer_sha256");
    if (sha && sha->is_string()) (void)sha->text.size();
    const ln::JsonValue* config = state.find("config");
    if (config && config->is_string()) (void)ln::parse_config_yaml(config->text, "state.json:config");
  } catch (const ln::Error&) {
  }
  return 0;
}

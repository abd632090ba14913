#pragma once
// RunState: what a checkpoint's state.json holds, typed. This file is its ONE writer
// (run_state_json) and its ONE reader (read_run_state): the trainer's resume and
// load_trained_model (eval, generate, --init-from) both read through it.
//
//   {"format": "longnet-train-state", "version": 1, "step": 1200, "seed": 1337,
//    "data_cursor": 1200, "tokenizer_sha256": "...", "token_cache": "...", "threads": 2,
//    "elapsed_s": 812.5, "lr_anchor_step": 300, "lr_anchor_lr": 0.00019, "config": "<YAML>"}
//
// The reader checks "format" and "version" before anything else: a file of another format,
// or of a newer version than this build writes, is refused with its path. The config is kept
// as YAML text in the file (readable, and parsed by the same strict schema as a config file)
// but is a typed Config once read: nothing above this layer parses it again.
//
// Every random stream is counter-based: batches are splitmix64(seed, step, row) and dropout
// masks splitmix64(seed, step, micro-step, layer, site); (seed, step) restores them all.
// elapsed_s is the training wall time of every session up to this step (metrics.jsonl's
// elapsed_s continues from it). lr_anchor_* is present once the schedule was changed on resume
// (config/lr_schedule.hpp, LrAnchor); doubles that must round-trip are written with 17 digits.
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/lr_schedule.hpp"

namespace ln {

// state.json's "format" and the newest "version" this build reads and writes.
inline constexpr const char* kRunStateFormat = "longnet-train-state";
inline constexpr int64_t kRunStateVersion = 1;

struct RunState {
  int64_t step = 0;
  int64_t seed = 0;
  std::string tokenizer_sha256;  // 64 hex digits
  std::string token_cache;
  int64_t threads = 0;
  double elapsed_s = 0;
  std::optional<LrAnchor> lr_anchor;
  Config config;  // the resolved config the run trains with
};

// The JSON text of state.json (the one writer).
std::string run_state_json(const RunState& state);

// The one reader. ln::Error naming `where` (".../state.json") for another format, an unknown
// version, a missing or malformed field, or a config the schema refuses.
RunState read_run_state(const std::string& json, const std::string& where);

}  // namespace ln

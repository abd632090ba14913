#pragma once
// state.json of a checkpoint: what a resumed run needs besides the weights and the optimizer.
//
//   {"format": "longnet-train-state", "version": 1, "step": 1200, "seed": 1337,
//    "data_cursor": 1200, "tokenizer_sha256": "...", "token_cache": "...", "threads": 2,
//    "elapsed_s": 812.5, "lr_anchor_step": 300, "lr_anchor_lr": 0.00019, "config": "<YAML>"}
//
// Every random stream is counter-based: batches are splitmix64(seed, step, row) and dropout
// masks splitmix64(seed, step, micro-step, layer, site); (seed, step) restores them all.
// elapsed_s is the training wall time of every session up to this step (metrics.jsonl's
// elapsed_s continues from it). lr_anchor_* is present once the schedule was changed on resume
// (lr_schedule.hpp, LrAnchor); doubles that must round-trip are written with 17 digits.
#include <cstdint>
#include <optional>
#include <string>

#include "train/lr_schedule.hpp"

namespace ln {

struct TrainState {
  int64_t step = 0;
  int64_t seed = 0;
  std::string tokenizer_sha256;
  std::string token_cache;
  int64_t threads = 0;
  double elapsed_s = 0;
  std::optional<LrAnchor> lr_anchor;
  std::string config_yaml;  // the resolved config the run trains with
};

std::string train_state_json(const TrainState& state);

// ln::Error naming `where` (".../state.json") when a field is missing or malformed.
TrainState parse_train_state(const std::string& json, const std::string& where);

}  // namespace ln

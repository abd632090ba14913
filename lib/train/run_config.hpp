#pragma once
// A run folder owns its config. Resuming compares the config given now with the one the
// checkpoint was trained with (state.json), key by key through the schema:
//
//   - a difference in model.*, attention.*, tokenizer.*, data.* or train.seed (what the weights
//     mean, what the data is, which documents are held out) is refused, listing every key;
//   - a difference in another train.* key (steps, lr, schedule, save_every, ...) is accepted
//     only when that key was given with --set, and is reported as a change;
//   - train.out_dir and data.cache_dir are where things are, not what they are: never compared;
//     nor is parallel.* (how the run is spread over MPI ranks: a checkpoint resumes at any
//     world size, and the launch's parallel.* is used, never the run's);
//     model.vocab_size 0 means "the tokenizer's", so it is compared only when both sides are set.
//
// Without --config (config_given false) the run's own config is the base and only the --set
// overrides are applied to it, so `longnet train` in a run's folder resumes it as it was
// (its data.cache_dir included); train.out_dir is the folder the run was found in.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace ln {

struct ConfigChange {
  std::string key, before, after;  // YAML text of the value in each config
  std::string text() const { return key + " " + before + " -> " + after; }
};

// Every schema key whose value differs between `before` and `after` (schema order), except the
// location keys train.out_dir and data.cache_dir, the parallel.* keys, and model.vocab_size when either is 0.
std::vector<ConfigChange> config_changes(const Config& before, const Config& after);

// True for keys that decide what the weights, the data or the split are (refused on resume).
bool is_run_identity_key(const std::string& key);

// The changes of config_changes(before, after) in run identity keys only: empty when a
// checkpoint trained with `after` belongs to a run configured as `before`.
std::vector<ConfigChange> identity_changes(const Config& before, const Config& after);

// The key of a "--set key=value" assignment ("train.steps").
std::string override_key(const std::string& assignment);

struct ResumedConfig {
  Config config;                      // the config the resumed run uses
  std::vector<ConfigChange> changes;  // accepted changes (train.* keys given with --set)
};

// ln::Error (one line listing the keys) for a refused difference. `run` names the checkpoint
// in messages. `given` has the overrides applied already (as load_config does).
ResumedConfig resolve_resumed_config(const Config& saved, const Config& given,
                                     const std::vector<std::string>& overrides, bool config_given,
                                     const std::string& run);

}  // namespace ln

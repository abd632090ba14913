#include "run/trained_model.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "run/checkpoint.hpp"
#include "run/model_builder.hpp"
#include "run/run_state.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

// Test hook (tests/reliability): LONGNET_TEST_LOAD_PAUSE_MS=N sleeps N ms between choosing a
// checkpoint and reading it, so a trainer saving every step prunes it meanwhile. Unset: no effect.
void test_pause_before_reading() {
  static const long ms = [] {
    const char* text = std::getenv("LONGNET_TEST_LOAD_PAUSE_MS");
    return text ? std::strtol(text, nullptr, 10) : 0L;
  }();
  if (ms > 0) ::usleep(static_cast<useconds_t>(ms) * 1000);
}

struct HeldCheckpoint {
  std::string dir;
  std::optional<CheckpointHold> hold;
};

// The newest intact checkpoint of a run folder, held against pruning (run/checkpoint.hpp). A
// trainer may save and prune while this looks: a checkpoint that vanishes before it is held was
// pruned, not damaged, so the folder is listed again.
HeldCheckpoint hold_newest_intact(const std::string& run_dir) {
  std::vector<std::string> skipped;  // damaged ones, newest first
  for (int attempt = 0; attempt < 100; ++attempt) {
    skipped.clear();
    bool vanished = false;
    const auto all = list_checkpoints(run_dir);
    for (auto it = all.rbegin(); it != all.rend() && !vanished; ++it) {
      std::optional<CheckpointHold> hold = CheckpointHold::take(it->path);
      if (!hold) {
        vanished = true;
        break;
      }
      if (auto problem = checkpoint_problem(it->path)) {
        skipped.push_back(fs::path(it->path).filename().string() + ": " + *problem);
        continue;
      }
      for (const auto& reason : skipped)
        std::cerr << "warning: skipping damaged checkpoint " << reason << "\n";
      return {it->path, std::move(hold)};
    }
    if (!vanished) break;
  }
  LN_FAIL(run_dir, " holds no intact checkpoint (no step-* directory that passes its manifest)",
          skipped.empty() ? std::string() : "; " + skipped.front());
}

// A run directory's newest intact checkpoint, or the checkpoint directory given, held.
HeldCheckpoint hold_checkpoint(const std::string& path) {
  LN_CHECK(fs::is_directory(path), path,
           " is not a directory; give a run directory "
           "(train.out_dir) or one of its step-* checkpoints");
  if (!fs::exists(fs::path(path) / "MANIFEST.json") && !fs::exists(fs::path(path) / "state.json"))
    return hold_newest_intact(path);
  HeldCheckpoint held{path, CheckpointHold::take(path)};
  LN_CHECK(held.hold, path,
           " was pruned by the run's trainer while being opened (train.keep_last); give the run "
           "directory to load its newest checkpoint");
  return held;
}

// The checkpoint's tokenizer, refused when it is not the one the model was trained with.
Tokenizer checked_tokenizer(const std::string& dir, const RunState& state) {
  Tokenizer tokenizer = Tokenizer::load(dir + "/tokenizer.model");
  LN_CHECK(tokenizer.sha256() == state.tokenizer_sha256, dir, "/tokenizer.model has sha256 ",
           tokenizer.sha256().substr(0, 12), "… but the model was trained with ",
           state.tokenizer_sha256.substr(0, 12),
           "…; the checkpoint's tokenizer was replaced — restore it, or use the tokenizer the model was "
           "trained with");
  return tokenizer;
}

}  // namespace

Tokenizer load_trained_tokenizer(const std::string& path) {
  if (fs::is_regular_file(path)) return Tokenizer::load(path);  // a tokenizer.model file itself
  LN_CHECK(fs::is_directory(path), path,
           " is neither a folder nor a file; give a run directory (train.out_dir), one of its step-* "
           "checkpoints or a tokenizer .model file");
  const HeldCheckpoint held = hold_checkpoint(path);
  if (auto problem = checkpoint_problem(held.dir))
    LN_FAIL("[checkpoint] ", held.dir, " is damaged: ", *problem);
  const std::string state_path = held.dir + "/state.json";
  return checked_tokenizer(held.dir, read_run_state(read_file(state_path), state_path));
}

TrainedModel load_trained_model(const std::string& path) {
  const HeldCheckpoint held = hold_checkpoint(path);
  const std::string& dir = held.dir;
  test_pause_before_reading();
  CheckpointData data = read_checkpoint(dir);  // verifies MANIFEST.json first
  // A manifest can be recomputed over bad weights: NaN/Inf would score "perplexity": null and
  // sample nothing, so refuse them here.
  if (auto bad = non_finite_tensor(data.model)) {
    LN_FAIL(dir, "/model.safetensors holds non-finite weights (tensor '", *bad,
            "' has NaN or Inf); use an earlier checkpoint of the run");
  }

  RunState state = read_run_state(data.state_json, dir + "/state.json");
  std::string tokenizer_bytes = read_file(dir + "/tokenizer.model");
  Tokenizer tokenizer = checked_tokenizer(dir, state);
  ModelSpec spec = model_spec_from_config(state.config, tokenizer.vocab_size());
  auto model = std::make_unique<LanguageModel>(spec, 0);
  model->load_parameters(data.model, dir + "/model.safetensors");
  return TrainedModel{dir,
                      state.step,
                      std::move(state.config),
                      std::move(spec),
                      std::move(tokenizer),
                      std::move(model),
                      std::move(tokenizer_bytes)};
}

}  // namespace ln

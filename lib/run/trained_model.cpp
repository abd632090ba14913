#include "run/trained_model.hpp"

#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "run/checkpoint.hpp"
#include "run/model_builder.hpp"
#include "run/run_state.hpp"

namespace ln {

namespace fs = std::filesystem;

TrainedModel load_trained_model(const std::string& path) {
  LN_CHECK(fs::is_directory(path), path,
           " is not a directory; give a run directory "
           "(train.out_dir) or one of its step-* checkpoints");
  std::string dir = path;
  if (!fs::exists(fs::path(path) / "MANIFEST.json") && !fs::exists(fs::path(path) / "state.json")) {
    std::vector<std::string> skipped;
    auto latest = latest_intact_checkpoint(path, &skipped);
    for (const auto& reason : skipped) std::cerr << "warning: skipping damaged checkpoint " << reason << "\n";
    LN_CHECK(latest, path, " holds no intact checkpoint (no step-* directory that passes its manifest)",
             skipped.empty() ? std::string() : "; " + skipped.front());
    dir = *latest;
  }
  CheckpointData data = read_checkpoint(dir);  // verifies MANIFEST.json first
  // A manifest can be recomputed over bad weights: NaN/Inf would score "perplexity": null and
  // sample nothing, so refuse them here.
  if (auto bad = non_finite_tensor(data.model)) {
    LN_FAIL(dir, "/model.safetensors holds non-finite weights (tensor '", *bad,
            "' has NaN or Inf); use an earlier checkpoint of the run");
  }

  RunState state = read_run_state(data.state_json, dir + "/state.json");
  Tokenizer tokenizer = Tokenizer::load(dir + "/tokenizer.model");
  LN_CHECK(tokenizer.sha256() == state.tokenizer_sha256, dir, "/tokenizer.model has sha256 ",
           tokenizer.sha256().substr(0, 12), "… but the model was trained with ",
           state.tokenizer_sha256.substr(0, 12),
           "…; the checkpoint's tokenizer was replaced — restore it, or use the tokenizer the model was "
           "trained with");
  ModelSpec spec = model_spec_from_config(state.config, tokenizer.vocab_size());
  auto model = std::make_unique<LanguageModel>(spec, 0);
  model->load_parameters(data.model, dir + "/model.safetensors");
  return TrainedModel{
      dir, state.step, std::move(state.config), std::move(spec), std::move(tokenizer), std::move(model)};
}

}  // namespace ln

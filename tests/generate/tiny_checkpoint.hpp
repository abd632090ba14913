#pragma once
// A tiny trained checkpoint for the end-to-end tests, trained once per test process (about a
// second): a 300-piece BPE tokenizer and a 2-layer dilated model on a generated corpus.
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "config/config.hpp"
#include "support/shell_run.hpp"
#include "support/temp_dir.hpp"
#include "train/trainer.hpp"

namespace ln::test {

struct TinyCheckpoint {
  TempDir dir;      // removed when the process exits
  std::string run;  // the run directory (train.out_dir)

  TinyCheckpoint() {
    std::filesystem::create_directories(dir.path() / "corpus");
    const char* words[] = {"the",   "quick", "brown", "fox",    "jumps", "over", "a",
                           "lazy",  "dog",   "and",   "then",   "runs",  "away", "from",
                           "small", "cat",   "who",   "sleeps", "under", "tree"};
    std::mt19937 rng(3);
    for (int f = 0; f < 3; ++f) {
      std::ofstream out(dir.path() / "corpus" / ("doc" + std::to_string(f) + ".txt"));
      for (int line = 0; line < 150; ++line) {
        for (int w = 0; w < 10; ++w) out << (w ? " " : "") << words[rng() % 20];
        out << ".\n";
      }
    }
    const std::string root = dir.path().string();
    run = root + "/run";
    const std::string yaml =
        "model: {d_model: 32, layers: 2, heads: 2, positions: xpos}\n"
        "attention: {kind: dilated, segments: [8, 16], dilations: [1, 2]}\n"
        "tokenizer: {vocab_size: 300}\n"
        "data: {train: [" +
        root + "/corpus], seq_len: 32, cache_dir: " + root +
        "/cache, val_fraction: 0.1}\n"
        "train: {steps: 20, batch_size: 4, warmup_steps: 2, eval_every: 20, eval_batches: 1, save_every: 20, "
        "out_dir: " +
        run + "}\n";
    train(parse_config_yaml(yaml, "tiny_checkpoint"), TrainOptions{"never", true});
  }
};

inline const TinyCheckpoint& tiny_checkpoint() {
  static TinyCheckpoint made;
  return made;
}

// The CLI argument that names it.
inline std::string tiny_checkpoint_arg() { return "--checkpoint " + shell_quote(tiny_checkpoint().run); }

}  // namespace ln::test

#pragma once
// Shared by the eval tests: one tiny trained run (tokenizer of ~300 pieces, a 1-layer model,
// a few steps) made once per test binary, and held-out text files.
#include <filesystem>
#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"
#include "train/trainer.hpp"

namespace ln::test {

struct TrainedRun {
  TempDir dir;
  std::string run_dir;
  std::string heldout;  // one held-out file
  TrainedRun() {
    write_corpus(dir / "corpus", "part", 3, 150, 10);
    heldout = dir / "heldout/a.txt";
    write_file(heldout, generated_text(40, 99));
    write_file(dir / "heldout/b.txt", generated_text(25, 98));
    Config config;
    config.model.d_model = 32;
    config.model.layers = 1;
    config.model.heads = 2;
    config.model.mlp_ratio = 2;
    config.attention.segments = {8, 16};
    config.attention.dilations = {1, 2};
    config.tokenizer.vocab_size = 300;
    config.data.train = {dir / "corpus"};
    config.data.cache_dir = dir / "cache";
    config.data.seq_len = 16;
    config.data.val_fraction = 0.34;  // one of the three files is held out
    config.train.steps = 4;
    config.train.batch_size = 2;
    config.train.warmup_steps = 1;
    config.train.eval_every = 0;
    config.train.save_every = 0;
    config.train.out_dir = dir / "run";
    validate_config(config);
    train(config, TrainOptions{"never", true});
    run_dir = config.train.out_dir;
  }
};

inline TrainedRun& trained_run() {
  static TrainedRun run;
  return run;
}

}  // namespace ln::test

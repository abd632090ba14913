#pragma once
// The tiny training run the trainer, run-folder and crash tests share: a 2-layer d32 dilated
// model on a generated 6-document corpus, so a step takes milliseconds. Tests change the few
// fields they exercise, then call validate_config.
#include <filesystem>
#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

namespace ln::test {

// The run writes to dir/run; the corpus (dir/corpus) is made on first use and shared.
inline Config tiny_run_config(const TempDir& dir, const std::string& run) {
  if (!std::filesystem::exists(dir / "corpus")) write_corpus(dir / "corpus", "doc", 6, 120, 1);
  Config c;
  c.model.d_model = 32;
  c.model.layers = 2;
  c.model.heads = 2;
  c.model.mlp_ratio = 2;
  c.attention.segments = {8, 16, 32};
  c.attention.dilations = {1, 2, 4};
  c.tokenizer.vocab_size = 400;
  c.data.train = {dir / "corpus"};
  c.data.cache_dir = dir / "cache";
  c.data.seq_len = 32;
  c.data.val_fraction = 0.2;
  c.train.steps = 6;
  c.train.batch_size = 2;
  c.train.lr = 3e-3;
  c.train.min_lr = 3e-4;
  c.train.warmup_steps = 2;
  c.train.eval_every = 3;
  c.train.eval_batches = 1;
  c.train.save_every = 2;
  c.train.keep_last = 5;
  c.train.out_dir = dir / run;
  return c;
}

}  // namespace ln::test

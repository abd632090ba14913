#pragma once
// Everything a run reads from disk before its first step: the tokenizer (loaded, or trained
// into the run directory), the token cache of the corpus, and its train/validation split.
#include <string>

#include "config/config.hpp"
#include "data/batch_sampler.hpp"
#include "data/split.hpp"
#include "data/token_file.hpp"
#include "data/tokenizer.hpp"

namespace ln {

struct RunData {
  Tokenizer tokenizer;
  std::string cache_path;
  TokenFile tokens;
  DataSplit split;
};

// tokenizer_path: a tokenizer to use as it is (a resumed checkpoint's); empty: the config's
// tokenizer.model, or one trained from data.train into <run_dir>/tokenizer.model.
RunData prepare_run_data(const Config& config, const std::string& run_dir, const std::string& tokenizer_path,
                         bool quiet = false);

TokenizerTrainOptions tokenizer_train_options(const TokenizerConfig& config);

}  // namespace ln

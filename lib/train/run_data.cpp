#include "train/run_data.hpp"

#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "data/corpus.hpp"

namespace ln {

TokenizerTrainOptions tokenizer_train_options(const TokenizerConfig& config) {
  TokenizerTrainOptions options;
  options.model_type = config.type;
  options.vocab_size = static_cast<int32_t>(config.vocab_size);
  options.byte_fallback = config.byte_fallback;
  options.character_coverage = config.character_coverage;
  options.input_sentence_size = config.sample_sentences;
  return options;
}

RunData prepare_run_data(const Config& config, const std::string& run_dir, const std::string& tokenizer_path,
                         bool quiet) {
  const std::vector<std::string>& sources = config.data.train;
  LN_CHECK(!sources.empty(), "data.train is empty; name the training corpus (files or directories)");
  for (const auto& source : sources) {
    LN_CHECK(
        corpus_source_exists(source), "data.train: ", source, " does not exist",
        source == "data/sotu" ? "; fetch the default corpus with data/fetch_sotu.sh (make demo does)" : "");
  }
  const std::vector<std::string> files = list_corpus_files(sources);

  Tokenizer tokenizer = [&] {
    if (!tokenizer_path.empty()) return Tokenizer::load(tokenizer_path);
    if (!config.tokenizer.model.empty()) return Tokenizer::load(config.tokenizer.model);
    return Tokenizer::load_or_train(run_dir + "/tokenizer.model", tokenizer_train_options(config.tokenizer),
                                    files);
  }();

  TokenCache cache =
      ensure_token_cache(sources, tokenizer, config.data.cache_dir, config.data.document_separator);
  TokenFile tokens = TokenFile::open(cache.path);
  DataSplit split = split_by_document(tokens.document_offsets(), config.data.val_fraction,
                                      static_cast<uint64_t>(config.train.seed));
  if (!quiet) {
    std::cerr << "data: " << files.size() << " files, " << tokens.size() << " tokens in "
              << tokens.document_count() << " documents; train " << total_tokens(split.train)
              << " tokens, validation " << total_tokens(split.val) << " tokens (" << cache.path << ")\n";
  }
  return RunData{std::move(tokenizer), cache.path, std::move(tokens), std::move(split)};
}

}  // namespace ln

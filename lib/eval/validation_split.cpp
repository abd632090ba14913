#include "eval/validation_split.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "data/split.hpp"
#include "data/token_file.hpp"

namespace ln {

std::vector<EvalText> validation_split_texts(const TrainedModel& trained) {
  const Config& config = trained.config;
  LN_CHECK(config.data.val_fraction > 0,
           "[eval] the validation split: the run was trained with data.val_fraction 0, so it "
           "has no held-out documents; evaluate held-out text files instead");
  for (const std::string& source : config.data.train) {
    LN_CHECK(
        corpus_source_exists(source), "[eval] the validation split: data.train source ", source,
        " (from the checkpoint's config) does not exist; run from the directory training ran in, or evaluate "
        "held-out text files instead");
  }
  const DocumentSeparator separator = config.data.document_separator;
  const TokenCache cache =
      ensure_token_cache(config.data.train, trained.tokenizer, config.data.cache_dir, separator);
  const TokenFile tokens = TokenFile::open(cache.path);
  LN_CHECK(tokens.document_count() >= 2,
           "[eval] the validation split: the corpus is a single document, whose validation "
           "part is a token range rather than text; evaluate held-out text files instead");
  const DataSplit split = split_by_document(tokens.document_offsets(), config.data.val_fraction,
                                            static_cast<uint64_t>(config.train.seed));
  const auto& offsets = tokens.document_offsets();

  std::vector<EvalText> texts;
  size_t next = 0;  // index into split.val_documents (ascending)
  for (const TokenSource& source : tokens.sources()) {
    const auto first = static_cast<int64_t>(source.first_document);
    const auto end = first + static_cast<int64_t>(source.document_count);
    std::vector<int64_t> held;
    while (next < split.val_documents.size() && split.val_documents[next] < end) {
      if (split.val_documents[next] >= first) held.push_back(split.val_documents[next]);
      ++next;
    }
    if (held.empty()) continue;
    EvalText text;
    text.path = source.path;
    text.documents = static_cast<int64_t>(held.size());
    text.tokens.push_back(trained.tokenizer.eos_id());
    for (int64_t d : held) {
      text.tokens.insert(text.tokens.end(), tokens.tokens() + offsets[static_cast<size_t>(d)],
                         tokens.tokens() + offsets[static_cast<size_t>(d) + 1]);
    }
    if (static_cast<int64_t>(held.size()) == end - first) {
      text.bytes = static_cast<int64_t>(source.size);
    } else {  // part of the file: count the held-out documents' own bytes
      std::vector<int64_t> bytes(static_cast<size_t>(source.document_count), 0);
      size_t doc = 0;
      read_documents(
          source.path, separator,
          [&](std::string_view piece) {
            bytes[std::min(doc, bytes.size() - 1)] += static_cast<int64_t>(piece.size());
          },
          [&] { ++doc; });
      for (int64_t d : held) text.bytes += bytes[static_cast<size_t>(d - first)];
    }
    texts.push_back(std::move(text));
  }
  LN_CHECK(!texts.empty(), "[eval] the validation split: no validation documents found");
  return texts;
}

}  // namespace ln

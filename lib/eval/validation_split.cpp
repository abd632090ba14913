#include "eval/validation_split.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "data/split.hpp"
#include "data/token_file.hpp"
#include "data/tokenizer.hpp"
#include "score/held_out.hpp"

namespace ln {

namespace {

// The UTF-8 bytes of the text a held-out stream scores (bits per byte divide by them).
int64_t held_out_bytes(const HeldOutStream& stream, const TokenFile& tokens, const Tokenizer& tokenizer,
                       DocumentSeparator separator) {
  if (stream.tail) {  // decode(encode(s)) == s (data/tokenizer.hpp): the tail's own text
    const std::vector<int32_t> tail(stream.tokens.begin() + 1, stream.tokens.end());
    return static_cast<int64_t>(tokenizer.decode(tail).size());
  }
  const auto source = std::find_if(tokens.sources().begin(), tokens.sources().end(),
                                   [&](const TokenSource& s) { return s.path == stream.path; });
  LN_CHECK(source != tokens.sources().end(), "[eval] the validation split: ", stream.path,
           " is not a source of the token cache");
  if (stream.whole_file) return static_cast<int64_t>(source->size);
  // Part of the file: count the held-out documents' own bytes.
  std::vector<int64_t> bytes(static_cast<size_t>(source->document_count), 0);
  size_t doc = 0;
  read_documents(
      source->path, separator,
      [&](std::string_view piece) {
        bytes[std::min(doc, bytes.size() - 1)] += static_cast<int64_t>(piece.size());
      },
      [&] { ++doc; });
  int64_t total = 0;
  for (int64_t d : stream.documents)
    total += bytes[static_cast<size_t>(d - static_cast<int64_t>(source->first_document))];
  return total;
}

}  // namespace

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
  const DataSplit split = split_by_document(tokens.document_offsets(), config.data.val_fraction,
                                            static_cast<uint64_t>(config.train.seed));

  std::vector<EvalText> texts;
  for (HeldOutStream& stream : held_out_streams(tokens, split, trained.tokenizer.eos_id())) {
    EvalText text;
    text.path = stream.path;
    text.documents = stream.tail ? 0 : static_cast<int64_t>(stream.documents.size());  // a tail: no whole one
    text.bytes = held_out_bytes(stream, tokens, trained.tokenizer, separator);
    text.tokens = std::move(stream.tokens);
    texts.push_back(std::move(text));
  }
  LN_CHECK(!texts.empty(), "[eval] the validation split: no validation documents found");
  return texts;
}

}  // namespace ln

#include "eval/eval_text.hpp"

#include <filesystem>
#include <functional>

#include "core/error.hpp"
#include "data/document_encoder.hpp"
#include "data/tokenizer.hpp"

namespace ln {

namespace {
constexpr size_t kChunkBytes = size_t(4) << 20;  // text encoded in parallel at a time
}  // namespace

EvalText read_eval_text(const std::string& path, const Tokenizer& tokenizer, DocumentSeparator separator,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
  EvalText text;
  text.path = path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  LN_CHECK(!ec, "[eval] cannot read the text file ", path, ": ", ec.message());
  LN_CHECK(size > 0, "[eval] text file ", path, " is empty (0 bytes); give files of UTF-8 text");
  text.bytes = static_cast<int64_t>(size);
  text.tokens.push_back(tokenizer.eos_id());
  DocumentEncoder encoder(tokenizer, text.tokens, kChunkBytes, {{}, [&](uint64_t done) {
                                                                  if (progress)
                                                                    progress(done,
                                                                             static_cast<uint64_t>(size));
                                                                }});
  int64_t text_bytes = 0;
  text.documents = read_documents(
      path, separator,
      [&](std::string_view piece) {
        text_bytes += static_cast<int64_t>(piece.size());
        encoder.add_text(piece);
      },
      [&] { encoder.end_document(); });
  // Bits per byte count the text scored: for .jsonl, the "text" fields, not the JSON around them.
  if (is_jsonl_path(path)) text.bytes = text_bytes;
  encoder.flush();
  LN_CHECK(text.documents > 0, "[eval] text file ", path, " holds only whitespace (", size,
           " bytes); give files of UTF-8 text");
  return text;
}

}  // namespace ln

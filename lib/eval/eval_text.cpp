#include "eval/eval_text.hpp"

#include <filesystem>
#include <functional>

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "data/tokenizer.hpp"

namespace ln {

namespace {

// Pieces and document ends in file order; encode() turns a batch of them into tokens in
// parallel and appends them in order (the same token sequence as encoding one by one).
class PieceEncoder {
 public:
  PieceEncoder(const Tokenizer& tokenizer, std::vector<int32_t>& out, std::function<void(uint64_t)> on_flush)
      : tokenizer_(tokenizer), out_(out), on_flush_(std::move(on_flush)) {}
  void add_text(std::string_view text) {
    items_.push_back({std::string(text), false});
    bytes_ += text.size();
    if (bytes_ >= kChunkBytes) {
      flush();
      if (on_flush_) on_flush_(encoded_bytes_);
    }
  }
  void end_document() { items_.push_back({std::string(), true}); }
  void flush() {
    std::vector<std::vector<int32_t>> encoded(items_.size());
    ln::parallel_for(size_t{0}, items_.size(), [&](size_t i) {
      if (!items_[i].document_end) tokenizer_.encode_append(items_[i].text, encoded[i]);
    });
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].document_end) {
        out_.push_back(tokenizer_.eos_id());
      } else {
        out_.insert(out_.end(), encoded[i].begin(), encoded[i].end());
      }
    }
    items_.clear();
    encoded_bytes_ += bytes_;
    bytes_ = 0;
  }

 private:
  static constexpr size_t kChunkBytes = size_t(4) << 20;
  struct Item {
    std::string text;
    bool document_end;
  };
  const Tokenizer& tokenizer_;
  std::vector<int32_t>& out_;
  std::function<void(uint64_t)> on_flush_;
  std::vector<Item> items_;
  size_t bytes_ = 0;
  uint64_t encoded_bytes_ = 0;  // text bytes encoded so far (whitespace-only lines not counted)
};

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
  PieceEncoder encoder(tokenizer, text.tokens, [&](uint64_t done) {
    if (progress) progress(done, static_cast<uint64_t>(size));
  });
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

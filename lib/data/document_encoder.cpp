#include "data/document_encoder.hpp"

#include <algorithm>

#include "core/parallel_for.hpp"
#include "data/tokenizer.hpp"

namespace ln {

DocumentEncoder::DocumentEncoder(const Tokenizer& tokenizer, std::vector<int32_t>& out, size_t chunk_bytes,
                                 Hooks hooks)
    : tokenizer_(tokenizer),
      out_(out),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 1)),
      hooks_(std::move(hooks)),
      eos_(tokenizer.eos_id()) {}

void DocumentEncoder::add_text(std::string_view text) {
  items_.push_back({std::string(text), false});
  pending_bytes_ += text.size();
  if (pending_bytes_ >= chunk_bytes_) {
    flush();
    if (hooks_.chunk_done) hooks_.chunk_done(encoded_bytes_);
  }
}

void DocumentEncoder::end_document() { items_.push_back({std::string(), true}); }

void DocumentEncoder::flush() {
  std::vector<std::vector<int32_t>> encoded(items_.size());
  ln::parallel_for(size_t{0}, items_.size(), [&](size_t i) {
    if (!items_[i].document_end) tokenizer_.encode_append(items_[i].text, encoded[i]);
  });
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].document_end) {
      out_.push_back(eos_);
      if (hooks_.document_end) hooks_.document_end();
    } else {
      out_.insert(out_.end(), encoded[i].begin(), encoded[i].end());
    }
  }
  items_.clear();
  encoded_bytes_ += pending_bytes_;
  pending_bytes_ = 0;
}

}  // namespace ln

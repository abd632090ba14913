#include "data/piece_encode.hpp"

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "data/tokenizer.hpp"

namespace ln {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Length of the first piece of an over-long line: just after the last whitespace within `max`
// bytes, else the last UTF-8 character boundary at or before `max`.
size_t cut_point(std::string_view text, size_t max) {
  for (size_t i = max; i-- > 0;) {
    if (is_space(text[i])) return i + 1;
  }
  size_t len = max;
  while (len > 0 && (static_cast<uint8_t>(text[len]) & 0xC0) == 0x80) --len;
  return len > 0 ? len : max;
}

constexpr size_t kBatchBytes = size_t(1) << 20;

}  // namespace

std::vector<std::string_view> cut_text_pieces(std::string_view text, size_t max_piece_bytes) {
  LN_CHECK(max_piece_bytes >= 16, "[tokenizer] piece size ", max_piece_bytes, " is too small; use >= 16");
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    const size_t window = std::min(text.size(), max_piece_bytes);
    const size_t newline = text.substr(0, window).find('\n');
    size_t length;
    if (newline != std::string_view::npos)
      length = newline + 1;
    else if (text.size() <= max_piece_bytes)
      length = text.size();
    else
      length = cut_point(text, max_piece_bytes);
    pieces.push_back(text.substr(0, length));
    text.remove_prefix(length);
  }
  return pieces;
}

std::vector<int32_t> encode_in_pieces(const Tokenizer& tokenizer, std::string_view text,
                                      const std::function<void(size_t, size_t)>& progress,
                                      size_t max_piece_bytes) {
  const std::vector<std::string_view> pieces = cut_text_pieces(text, max_piece_bytes);
  std::vector<int32_t> out;
  size_t done_bytes = 0;
  for (size_t first = 0; first < pieces.size();) {
    // One batch: pieces up to kBatchBytes, encoded in parallel, appended in order.
    size_t last = first, bytes = 0;
    while (last < pieces.size() && (last == first || bytes + pieces[last].size() <= kBatchBytes)) {
      bytes += pieces[last++].size();
    }
    std::vector<std::vector<int32_t>> encoded(last - first);
    ln::parallel_for(first, last, [&](size_t i) { tokenizer.encode_append(pieces[i], encoded[i - first]); });
    for (const auto& ids : encoded) out.insert(out.end(), ids.begin(), ids.end());
    done_bytes += bytes;
    first = last;
    if (progress && text.size() > kBatchBytes) progress(done_bytes, text.size());
  }
  return out;
}

}  // namespace ln

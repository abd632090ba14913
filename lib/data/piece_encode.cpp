#include "data/piece_encode.hpp"

#include "core/error.hpp"
#include "data/document_encoder.hpp"

namespace ln {

namespace {

bool is_space_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Length of the first piece of an over-long line: just after the last whitespace within `max`
// bytes, else the last UTF-8 character boundary at or before `max`.
size_t cut_point(std::string_view text, size_t max) {
  for (size_t i = max; i-- > 0;) {
    if (is_space_char(text[i])) return i + 1;
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
  const bool report = progress && text.size() > kBatchBytes;
  std::vector<int32_t> out;
  DocumentEncoder encoder(tokenizer, out, kBatchBytes, {{}, [&](uint64_t done) {
                                                          if (report) progress(done, text.size());
                                                        }});
  for (std::string_view piece : cut_text_pieces(text, max_piece_bytes)) encoder.add_text(piece);
  const uint64_t before = encoder.encoded_bytes();
  encoder.flush();
  if (report && encoder.encoded_bytes() > before) progress(encoder.encoded_bytes(), text.size());
  return out;
}

}  // namespace ln

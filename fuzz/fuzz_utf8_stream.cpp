// Fuzz target: UTF-8 text coming in pieces — the prompt reader's checks and piece cutting
// (lib/data/piece_encode, find_invalid_utf8) and generation's streaming decoder
// (lib/generate/utf8_stream). The first byte sets the cut positions.
// Properties: the pieces concatenate back to the text, each within the size limit, never
// cutting a character of valid text; the stream always emits valid UTF-8, and exactly the input
// when the input is valid.
#include <cstdint>
#include <string>
#include <string_view>

#include "data/corpus.hpp"
#include "data/piece_encode.hpp"
#include "fuzz_util.hpp"
#include "generate/utf8_stream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 7;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool valid = ln::find_invalid_utf8(text) < 0;

  const size_t max_piece = 16 + data[0] % 32;
  std::string joined;
  for (std::string_view piece : ln::cut_text_pieces(text, max_piece)) {
    LN_FUZZ_ASSERT(!piece.empty() && piece.size() <= max_piece);
    if (valid) LN_FUZZ_ASSERT(ln::find_invalid_utf8(piece) < 0);
    joined += piece;
  }
  LN_FUZZ_ASSERT(joined == text);

  ln::Utf8Stream stream;
  std::string out;
  for (size_t at = 0; at < text.size(); at += step) out += stream.push(text.substr(at, step));
  out += stream.flush();
  LN_FUZZ_ASSERT(ln::find_invalid_utf8(out) < 0);
  if (valid) LN_FUZZ_ASSERT(out == text);
  return 0;
}

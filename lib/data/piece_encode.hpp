#pragma once
// Tokenizing a long text in bounded time: cut it into pieces the way the corpus reader does
// (lib/data/corpus.hpp: lines, and a long line cut just after whitespace), encode the pieces in
// parallel a megabyte at a time with the one document encoder (data/document_encoder.hpp), and
// concatenate. So a prompt gets exactly the tokens the
// training token cache and eval give the same text (per-line encoding: README "How longnet eval
// scores a text"); a single call on a megabyte without newlines is what this avoids (its time
// grows faster than the length). A line of more than `max_piece_bytes`
// without any whitespace is cut at a character boundary, where one extra word boundary appears:
// the same as the training token cache does.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace ln {

class Tokenizer;

// The pieces of `text` (views into it), at most `max_piece_bytes` each (>= 16).
std::vector<std::string_view> cut_text_pieces(std::string_view text, size_t max_piece_bytes);

// `progress(bytes_done, bytes_total)` is called after each batch (1 MiB) of pieces when the
// text is longer than one batch.
std::vector<int32_t> encode_in_pieces(const Tokenizer& tokenizer, std::string_view text,
                                      const std::function<void(size_t, size_t)>& progress = {},
                                      size_t max_piece_bytes = size_t(1) << 16);

}  // namespace ln

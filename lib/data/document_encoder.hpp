#pragma once
// The one document encoder: pieces of text and document ends, in corpus order, in; their tokens,
// in the same order, out. The token cache (data/token_file.hpp), eval's text files
// (eval/eval_text.hpp) and prompts (data/piece_encode.hpp) all tokenize through it, so the same
// text gives the same tokens everywhere.
//
// Each piece is encoded on its own (SentencePiece encodes well under 1 MB/s per thread, so the
// pieces of a chunk of `chunk_bytes` are encoded in parallel) and the pieces' tokens are
// appended in order; each document end appends EOS. Memory is bounded by the chunk, whatever
// the length of the text.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ln {

class Tokenizer;

class DocumentEncoder {
 public:
  struct Hooks {
    // Right after a document's EOS was appended to `out` (the token cache records its offset).
    std::function<void()> document_end;
    // After each chunk that add_text encoded (not after an explicit flush()), with the text
    // bytes encoded so far: a progress point, or the moment to write `out` away.
    std::function<void(uint64_t encoded_bytes)> chunk_done;
  };
  DocumentEncoder(const Tokenizer& tokenizer, std::vector<int32_t>& out, size_t chunk_bytes,
                  Hooks hooks = {});

  void add_text(std::string_view text);  // encodes the pending chunk once it holds chunk_bytes
  void end_document();                   // EOS after the pieces added so far
  void flush();                          // encodes whatever is pending
  uint64_t encoded_bytes() const { return encoded_bytes_; }

 private:
  struct Item {
    std::string text;
    bool document_end;
  };
  const Tokenizer& tokenizer_;
  std::vector<int32_t>& out_;
  size_t chunk_bytes_;
  Hooks hooks_;
  int32_t eos_;
  std::vector<Item> items_;
  size_t pending_bytes_ = 0;
  uint64_t encoded_bytes_ = 0;  // text bytes encoded so far
};

}  // namespace ln

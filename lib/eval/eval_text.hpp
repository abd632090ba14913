#pragma once
// One evaluation file as a token stream, tokenized exactly as the training token cache does
// (data/document_encoder.hpp, the one encoder): the file is cut into documents (data.document_separator of
// the model's config), each document's pieces are encoded one by one and concatenated, and every document
// ends with EOS. One EOS is put in front as well, so that the file's first token is predicted too (from "a
// document starts here", as every document after the first one is in training) and the loss covers all of the
// file's tokens: bits per byte then divides the loss of the whole text by the whole text's bytes.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/corpus.hpp"

namespace ln {

class Tokenizer;

struct EvalText {
  std::string path;
  int64_t bytes = 0;  // the file's size: its UTF-8 bytes
  int64_t documents = 0;
  std::vector<int32_t> tokens;  // EOS, document 1, EOS, document 2, EOS, ...
  int64_t predictions() const { return static_cast<int64_t>(tokens.size()) - 1; }
};

// ln::Error (one line naming the file) for an empty file, a file of only whitespace, and
// invalid UTF-8 (with its byte offset, from the corpus reader). Pieces are encoded in
// parallel a few MB at a time; after each batch `progress(bytes_done, file_bytes)` is called
// (never for a file of one batch), so a caller can show a progress line for a large file.
EvalText read_eval_text(const std::string& path, const Tokenizer& tokenizer, DocumentSeparator separator,
                        const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace ln

#pragma once
// `longnet eval --per-token FILE`: every scored prediction on one line, so users can build
// their own probes (loss on the second half of a repeated passage, on a key, by distance
// since a name last appeared, ...). Tab-separated, one header line:
//
//   file  index  position  token  piece  loss
//
//   file      the evaluated file, as in the report
//   index     the predicted token's index in the file's stream (eval's stream starts with
//             the document-start </s> at index 0, so index t is the t-th token after it)
//   position  tokens of history the prediction had (its row in the window, plus one)
//   token     the predicted token's id; piece its text, JSON-escaped (quotes included), so a
//             tab or newline in a piece never breaks the columns
//   loss      −ln p(token | history) in nats
//
// The losses are those of the report's last method: the sliding window when --stride is given,
// else the non-overlapping windows.
#include <cstdint>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"
#include "score/perplexity.hpp"

namespace ln {

struct TokenLossStream {
  std::string path;
  const std::vector<int32_t>* tokens = nullptr;  // the stream (EvalText::tokens)
  const StreamResult* result = nullptr;          // scored with keep_token_losses
};

// Writes `path` atomically (a reader never sees half of it). ln::Error naming the path.
void write_token_losses(const std::string& path, const std::string& method, int64_t context, int64_t stride,
                        const std::vector<TokenLossStream>& streams, const Tokenizer& tokenizer);

}  // namespace ln

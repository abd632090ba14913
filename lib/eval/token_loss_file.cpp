#include "eval/token_loss_file.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "data/corpus.hpp"

namespace ln {

void write_token_losses(const std::string& path, const std::string& method, int64_t context, int64_t stride,
                        const std::vector<TokenLossStream>& streams, const Tokenizer& tokenizer) {
  std::string out = "# longnet eval --per-token: " + method + " windows, context " + std::to_string(context) +
                    ", stride " + std::to_string(stride) + "\nfile\tindex\tposition\ttoken\tpiece\tloss\n";
  char number[32];
  for (const TokenLossStream& s : streams) {
    LN_CHECK(s.tokens && s.result && s.result->token_loss.size() + 1 == s.tokens->size(),
             "[eval] per-token losses of ", s.path, " were not kept");
    for (size_t t = 0; t < s.result->token_loss.size(); ++t) {
      const float loss = s.result->token_loss[t];
      if (std::isnan(loss)) continue;  // not scored (cannot happen with every window planned)
      const int32_t token = (*s.tokens)[t + 1];
      // A byte-fallback piece is one byte of a UTF-8 character: shown as SentencePiece names it.
      std::string piece = tokenizer.decode_piece(token);
      if (find_invalid_utf8(piece) >= 0) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "<0x%02X>",
                      static_cast<unsigned>(static_cast<unsigned char>(piece[0])));
        piece = hex;
      }
      std::snprintf(number, sizeof number, "%.6f", static_cast<double>(loss));
      out += s.path + "\t" + std::to_string(t + 1) + "\t" + std::to_string(s.result->token_position[t]) +
             "\t" + std::to_string(token) + "\t" + json_escape(piece) + "\t" + number + "\n";
    }
  }
  write_file_atomic(path, out);
}

}  // namespace ln

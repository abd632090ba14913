#pragma once
// SentencePiece tokenizer: load a model file, or train one from corpus files.
//
// Ids are SentencePiece's: unk 0, bos 1, eos 2 (no pad). With byte fallback (default) every
// UTF-8 string encodes without <unk>. A tokenizer trained now keeps text as it is (identity
// normalisation, no whitespace collapsing, no dummy prefix): decode(encode(s)) == s for any
// UTF-8 s, newlines, tabs and runs of spaces included (a newline absent from the learned pieces
// is its byte-fallback token <0x0A>; a literal U+2581, SentencePiece's space marker, is encoded
// as its three byte tokens), and encoding a text in consecutive pieces gives the same
// text back when the pieces' tokens are joined. A model file carries its own normalisation
// rules, so models trained before this (nmt_nfkc: NFKC, whitespace runs collapsed, newlines
// turned into spaces, a leading space added) load and behave as they always did.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_names.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ln {

// SentencePiece's training algorithm (tokenizer.type).
enum class TokenizerType { bpe, unigram };
// The names: the only list of them (core/enum_names.hpp), the default first.
inline constexpr EnumName<TokenizerType> kTokenizerTypeNames[] = {{"bpe", TokenizerType::bpe},
                                                                  {"unigram", TokenizerType::unigram}};
TokenizerType parse_tokenizer_type(const std::string& text);  // ln::Error for another name
const char* to_string(TokenizerType type);

struct TokenizerTrainOptions {
  TokenizerType model_type = TokenizerType::bpe;
  int32_t vocab_size = 8000;
  bool byte_fallback = true;
  double character_coverage = 0.9995;
  // Sample cap: at most this many sentences are kept (reservoir-sampled when shuffle is on).
  // Lines are fed to SentencePiece cut at whitespace into pieces of at most 2 KB, so the
  // sample holds at most input_sentence_size x 2 KB of text (600 MB; typically far less)
  // whatever the corpus size. Cutting at whitespace loses nothing: SentencePiece never
  // learns pieces across whitespace.
  int64_t input_sentence_size = 300'000;
  bool shuffle_input_sentence = true;
  // SentencePiece skips sentences longer than this (bytes); pieces are cut shorter.
  int32_t max_sentence_length = 4192;
  std::string normalization_rule = "identity";  // identity | nmt_nfkc | nfkc | ...
  // Keep whitespace exactly: no collapsing of runs, no leading-space marker added, and
  // whitespace-only pieces (indentation) may be learned. Off = SentencePiece's defaults.
  bool keep_whitespace = true;
  uint32_t seed = 1234;     // sampling/shuffling inside the trainer
  int32_t num_threads = 0;  // 0 = hardware concurrency
  bool verbose = false;     // SentencePiece's own progress log on stderr
};

class Tokenizer {
 public:
  // ln::Error with the path and the reason when the file is missing or not a model.
  static Tokenizer load(const std::string& model_path);
  // Trains on the lines of `corpus_files` (streamed), writes the model to `out_model_path`
  // (temporary name + rename) and returns it loaded.
  static Tokenizer train(const TokenizerTrainOptions& options, const std::vector<std::string>& corpus_files,
                         const std::string& out_model_path);

  // The model at `model_path` if it exists, else one trained on `corpus_files` and saved
  // there (saying so on stderr): what `longnet train` does with data.tokenizer.
  static Tokenizer load_or_train(const std::string& model_path, const TokenizerTrainOptions& options,
                                 const std::vector<std::string>& corpus_files);

  std::vector<int32_t> encode(std::string_view text) const;
  // Appends to `out` (no allocation per call when `out` has capacity).
  void encode_append(std::string_view text, std::vector<int32_t>& out) const;
  std::string decode(const std::vector<int32_t>& ids) const;
  // The text of one token for streaming output: "▁" becomes a space, a byte-fallback token
  // is its single raw byte (a UTF-8 character may span several calls: buffer until valid),
  // control tokens (bos/eos) are empty, <unk> is " ⁇ ".
  std::string decode_piece(int32_t id) const;

  // SentencePiece's own text of a piece ("▁the", "<0x0A>", "</s>"), as `longnet tokenize` shows it.
  std::string piece(int32_t id) const;

  int32_t vocab_size() const;
  int32_t eos_id() const;
  int32_t bos_id() const;
  int32_t unk_id() const;
  // sha256 of the model file's bytes: identifies the tokenizer in caches and checkpoints.
  const std::string& sha256() const { return sha256_; }
  const std::string& path() const { return path_; }

 private:
  Tokenizer() = default;
  std::shared_ptr<const sentencepiece::SentencePieceProcessor> processor_;
  std::string sha256_;
  std::string path_;
  // For a model that keeps text exactly: the byte-fallback ids of U+2581 "▁" (E2 96 81), which
  // SentencePiece would otherwise read as its own space marker and decode as " ". Empty for
  // models with the old rules (their encoding stays as it was) or without byte fallback.
  std::vector<int32_t> space_marker_bytes_;
};

}  // namespace ln

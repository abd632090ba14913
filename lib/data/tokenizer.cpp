#include "data/tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "core/error.hpp"
#include "core/number_format.hpp"
#include "data/corpus.hpp"
#include "data/sha256.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LN_CHECK(in, "[tokenizer] cannot open tokenizer model ", path, ": ", std::strerror(errno),
           "; check data.tokenizer, or let training create it");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  LN_CHECK(!in.bad(), "[tokenizer] error reading ", path);
  return bytes.str();
}

// Feeds SentencePiece the corpus lines one at a time, cut at whitespace to at most
// kTrainingPieceBytes (and max_sentence_length) bytes: SentencePiece silently skips longer
// sentences, so a corpus of one-line documents would otherwise train on nothing, and short
// pieces keep the sampled input small.
// An ln::Error while reading is stashed and rethrown after training, rather than thrown
// through SentencePiece's code.
constexpr size_t kTrainingPieceBytes = 2048;

class CorpusSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  CorpusSentenceIterator(const std::vector<std::string>& files, size_t max_bytes, bool keep_whitespace)
      : files_(files), max_bytes_(max_bytes), keep_whitespace_(keep_whitespace) {
    advance();
  }
  bool done() const override { return done_; }
  void Next() override { advance(); }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return status_; }
  const std::string& error() const { return error_; }
  int64_t sentences() const { return sentences_; }

 private:
  void advance() {
    try {
      for (;;) {
        if (!reader_) {
          if (next_file_ == files_.size()) {
            done_ = true;
            return;
          }
          reader_ = std::make_unique<CorpusFileReader>(files_[next_file_++], max_bytes_);
        }
        LineReader::Piece piece;
        if (!reader_->next(piece)) {
          reader_.reset();
          continue;
        }
        std::string_view text = piece.text;
        const bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
        if (blank) continue;
        // Keeping whitespace, indentation and inner runs stay (so pieces like "    " can be
        // learned); only the line break goes, as SentencePiece trains on single lines.
        const char* trim = keep_whitespace_ ? "\r\n" : " \t\r\n";
        while (!text.empty() && std::strchr(trim, text.back())) text.remove_suffix(1);
        if (!keep_whitespace_) {
          while (!text.empty() && std::strchr(trim, text.front())) text.remove_prefix(1);
        }
        value_.assign(text);
        ++sentences_;
        return;
      }
    } catch (const Error& e) {
      error_ = e.message();
      status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal, error_);
      done_ = true;
    }
  }

  const std::vector<std::string>& files_;
  size_t max_bytes_;
  bool keep_whitespace_;
  size_t next_file_ = 0;
  std::unique_ptr<CorpusFileReader> reader_;  // a .jsonl file yields its "text" fields
  std::string value_;
  bool done_ = false;
  sentencepiece::util::Status status_;
  std::string error_;
  int64_t sentences_ = 0;
};

// SentencePiece's status text ("Internal: src/trainer_interface.cc(592) [(...) <= (...)] Vocabulary
// size is smaller than required_chars. 300 vs 346. Increase vocab_size or decrease
// character_coverage with --character_coverage option.") as one line in the config's words.
std::string training_failure(const std::string& status, const TokenizerTrainOptions& o) {
  const std::string vocab = "tokenizer.vocab_size " + std::to_string(o.vocab_size);
  long long have = 0, need = 0;
  if (const size_t at = status.find("required_chars.");
      at != std::string::npos &&
      std::sscanf(status.c_str() + at, "required_chars. %lld vs %lld", &have, &need) == 2) {
    return vocab + " is too small for this corpus: its characters (tokenizer.character_coverage " +
           format_number(o.character_coverage) + ") and the " +
           (o.byte_fallback ? "256 byte pieces and " : "") + "unk/bos/eos need " + std::to_string(need) +
           " pieces; use a larger tokenizer.vocab_size (at least " + std::to_string(need) + ")";
  }
  if (const size_t at = status.find("Vocabulary size too high");
      at != std::string::npos && std::sscanf(status.c_str() + at,
                                             "Vocabulary size too high (%lld). "
                                             "Please set it to a value <= %lld",
                                             &have, &need) == 2) {
    return vocab + " is more than this corpus can fill (at most " + std::to_string(need) +
           " pieces); use a smaller tokenizer.vocab_size (at most " + std::to_string(need) +
           "), or train on more text";
  }
  if (status.find("pieces_size()") != std::string::npos) {
    return vocab +
           " is more than this corpus can fill with pieces; use a smaller tokenizer.vocab_size, or "
           "train on more text";
  }
  // Anything else: SentencePiece's message without its source location and condition.
  std::string text = status;
  if (const size_t bracket = text.find("] "); bracket != std::string::npos) text = text.substr(bracket + 2);
  return "SentencePiece could not train a tokenizer on this corpus: " + text;
}

}  // namespace

Tokenizer Tokenizer::load(const std::string& model_path) {
  const std::string bytes = read_file(model_path);
  LN_CHECK(
      !bytes.empty(), "[tokenizer] ", model_path,
      " is empty, not a SentencePiece model; delete it to retrain, or point data.tokenizer at a .model file");
  auto processor = std::make_shared<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(bytes);
  LN_CHECK(status.ok() && processor->GetPieceSize() > 0, "[tokenizer] ", model_path,
           " is not a valid SentencePiece model (", status.ok() ? "no pieces" : status.ToString(),
           "); delete it to retrain, or point data.tokenizer at a .model file");
  Tokenizer tokenizer;
  // A model trained to keep text exactly gives whitespace back as it was; one with the old
  // rules (nmt_nfkc, collapsed whitespace, a dummy prefix) does not.
  std::vector<int> probe;
  std::string back;
  const bool exact =
      processor->Encode("a  b\n", &probe).ok() && processor->Decode(probe, &back).ok() && back == "a  b\n";
  if (exact) {
    for (const char* byte : {"<0xE2>", "<0x96>", "<0x81>"}) {
      const int id = processor->PieceToId(byte);
      if (!processor->IsByte(id)) {
        tokenizer.space_marker_bytes_.clear();
        break;
      }
      tokenizer.space_marker_bytes_.push_back(id);
    }
  }
  tokenizer.processor_ = std::move(processor);
  tokenizer.sha256_ = sha256_hex(bytes);
  tokenizer.path_ = model_path;
  return tokenizer;
}

TokenizerType parse_tokenizer_type(const std::string& text) {
  if (auto type = enum_from_name(kTokenizerTypeNames, text)) return *type;
  LN_FAIL("[tokenizer] model type '", text, "' is not supported; use ",
          enum_names_text(kTokenizerTypeNames, " or "));
}

const char* to_string(TokenizerType type) { return enum_name(kTokenizerTypeNames, type); }

Tokenizer Tokenizer::train(const TokenizerTrainOptions& options, const std::vector<std::string>& corpus_files,
                           const std::string& out_model_path) {
  LN_CHECK(options.byte_fallback || options.vocab_size >= 8, "[tokenizer] vocab size ", options.vocab_size,
           " is too small; use at least 8");
  LN_CHECK(!options.byte_fallback || options.vocab_size > 259, "[tokenizer] vocab size ", options.vocab_size,
           " leaves no room beside the 256 byte-fallback pieces and unk/bos/eos; "
           "use a larger vocab size (259 plus one piece per distinct character of the corpus), or turn "
           "byte_fallback off");
  LN_CHECK(options.input_sentence_size > 0 && options.max_sentence_length >= 16,
           "[tokenizer] input_sentence_size must be > 0 and max_sentence_length >= 16");
  LN_CHECK(!corpus_files.empty(), "[tokenizer] no corpus files to train the tokenizer on");

  const unsigned threads = options.num_threads > 0 ? unsigned(options.num_threads)
                                                   : std::max(1u, std::thread::hardware_concurrency());
  std::unordered_map<std::string, std::string> args = {
      {"model_type", to_string(options.model_type)},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"byte_fallback", options.byte_fallback ? "true" : "false"},
      {"character_coverage", std::to_string(options.character_coverage)},
      {"input_sentence_size", std::to_string(options.input_sentence_size)},
      {"shuffle_input_sentence", options.shuffle_input_sentence ? "true" : "false"},
      {"max_sentence_length", std::to_string(options.max_sentence_length)},
      {"normalization_rule_name", options.normalization_rule},
      {"num_threads", std::to_string(threads)},
      // SentencePiece's own log (the whole spec, per-iteration progress, warnings) only when
      // asked for: its failures come back as a status, which training_failure words for the user.
      {"minloglevel", options.verbose ? "0" : "3"},
  };
  if (options.keep_whitespace) {
    args["remove_extra_whitespaces"] = "false";
    args["add_dummy_prefix"] = "false";
    args["allow_whitespace_only_pieces"] = "true";
  }
  sentencepiece::SetRandomGeneratorSeed(options.seed);
  CorpusSentenceIterator sentences(corpus_files,
                                   std::min(kTrainingPieceBytes, size_t(options.max_sentence_length)),
                                   options.keep_whitespace);
  std::string model_bytes;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &sentences, &model_bytes);
  if (!sentences.error().empty()) LN_FAIL(sentences.error());
  LN_CHECK(sentences.sentences() > 0, "[tokenizer] the corpus has no text to train a tokenizer on");
  LN_CHECK(status.ok(), "[tokenizer] ", training_failure(status.ToString(), options));
  LN_CHECK(!model_bytes.empty(), "[tokenizer] SentencePiece training produced no model");

  // Write under a temporary name and rename, so a crash never leaves half a model behind.
  const fs::path out(out_model_path);
  std::error_code ec;
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  const std::string tmp = out_model_path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    LN_CHECK(file, "[tokenizer] cannot write ", tmp, ": ", std::strerror(errno));
    file.write(model_bytes.data(), std::streamsize(model_bytes.size()));
    file.flush();
    LN_CHECK(file, "[tokenizer] error writing ", tmp, ": ", std::strerror(errno));
  }
  fs::rename(tmp, out, ec);
  LN_CHECK(!ec, "[tokenizer] cannot rename ", tmp, " to ", out_model_path, ": ", ec.message());
  return load(out_model_path);
}

Tokenizer Tokenizer::load_or_train(const std::string& model_path, const TokenizerTrainOptions& options,
                                   const std::vector<std::string>& corpus_files) {
  std::error_code ec;
  if (fs::exists(model_path, ec)) return load(model_path);
  std::cerr << "training tokenizer: " << to_string(options.model_type) << ", vocab " << options.vocab_size
            << ", " << corpus_files.size() << " files -> " << model_path << std::endl;
  return train(options, corpus_files, model_path);
}

void Tokenizer::encode_append(std::string_view text, std::vector<int32_t>& out) const {
  static constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581
  thread_local std::vector<int> ids;
  for (;;) {
    // A literal U+2581 would come back as a space: encode it as its bytes instead.
    const size_t marker = space_marker_bytes_.empty() ? std::string_view::npos : text.find(kSpaceMarker);
    ids.clear();
    const auto status = processor_->Encode(text.substr(0, marker), &ids);
    LN_CHECK(status.ok(), "[tokenizer] encoding failed with ", path_, ": ", status.ToString());
    out.insert(out.end(), ids.begin(), ids.end());
    if (marker == std::string_view::npos) return;
    out.insert(out.end(), space_marker_bytes_.begin(), space_marker_bytes_.end());
    text.remove_prefix(marker + kSpaceMarker.size());
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<int32_t> out;
  encode_append(text, out);
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  const int32_t vocab = vocab_size();
  std::vector<int> as_int(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    LN_CHECK(ids[i] >= 0 && ids[i] < vocab, "[tokenizer] token id ", ids[i], " at position ", i,
             " is outside the vocabulary [0, ", vocab, ") of ", path_);
    as_int[i] = ids[i];
  }
  std::string text;
  const auto status = processor_->Decode(as_int, &text);
  LN_CHECK(status.ok(), "[tokenizer] decoding failed with ", path_, ": ", status.ToString());
  return text;
}

std::string Tokenizer::decode_piece(int32_t id) const {
  LN_CHECK(id >= 0 && id < vocab_size(), "[tokenizer] token id ", id, " is outside the vocabulary [0, ",
           vocab_size(), ") of ", path_);
  if (processor_->IsControl(id)) return {};
  if (processor_->IsUnknown(id)) return " \xE2\x81\x87 ";
  const std::string& piece = processor_->IdToPiece(id);
  if (processor_->IsByte(id)) {  // "<0xAB>"
    return std::string(1, char(std::stoi(piece.substr(3, 2), nullptr, 16)));
  }
  static const std::string kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's word boundary
  std::string text;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kSpace.size(), kSpace) == 0) {
      text.push_back(' ');
      i += kSpace.size();
    } else {
      text.push_back(piece[i++]);
    }
  }
  return text;
}

std::string Tokenizer::piece(int32_t id) const {
  LN_CHECK(id >= 0 && id < vocab_size(), "[tokenizer] token id ", id, " is outside the vocabulary [0, ",
           vocab_size(), ") of ", path_);
  return processor_->IdToPiece(id);
}

int32_t Tokenizer::vocab_size() const { return processor_->GetPieceSize(); }
int32_t Tokenizer::eos_id() const { return processor_->eos_id(); }
int32_t Tokenizer::bos_id() const { return processor_->bos_id(); }
int32_t Tokenizer::unk_id() const { return processor_->unk_id(); }

}  // namespace ln

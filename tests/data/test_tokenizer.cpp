#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "core/error.hpp"
#include "data/retrieval_mixture.hpp"
#include "data/sha256.hpp"
#include "data/tokenizer.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using ln::test::error_of;

namespace {

ln::TokenizerTrainOptions small_options(const char* type = "bpe", int vocab = 400) {
  ln::TokenizerTrainOptions options;
  options.model_type = ln::parse_tokenizer_type(type);
  options.vocab_size = vocab;
  options.num_threads = 2;
  return options;
}

// Captures what is written to file descriptor 2 (SentencePiece logs there directly).
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }

 private:
  int saved_ = -1;
};

}  // namespace

TEST_CASE("tokenizer: train bpe, load, round trip with non-ASCII and byte fallback") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "corpus/a.txt", ln::test::generated_text(1500, 1));
  ln::test::write_file(dir / "corpus/b.txt", ln::test::generated_text(1500, 2));
  const auto start = std::chrono::steady_clock::now();
  ln::Tokenizer trained = [&] {
    StderrCapture capture(dir / "stderr.txt");
    return ln::Tokenizer::train(small_options(), {dir / "corpus/a.txt", dir / "corpus/b.txt"},
                                dir / "tok/model.model");
  }();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("bpe vocab 400 trained in " << seconds << " s");
  // SentencePiece's own logging is silenced unless verbose.
  CHECK(ln::test::read_file(dir / "stderr.txt").empty());
  CHECK(seconds < 10.0);

  CHECK(trained.vocab_size() == 400);
  CHECK(trained.unk_id() == 0);
  CHECK(trained.bos_id() == 1);
  CHECK(trained.eos_id() == 2);
  // Uniform induction rows draw from every piece but these three (data.induction_tokens).
  const std::vector<int32_t> pieces = ln::induction_pieces(trained);
  REQUIRE(pieces.size() == 397);
  CHECK(pieces.front() == 3);
  CHECK(pieces.back() == 399);
  CHECK(trained.path() == dir / "tok/model.model");
  CHECK(trained.sha256() == ln::sha256_file(dir / "tok/model.model"));

  const ln::Tokenizer loaded = ln::Tokenizer::load(dir / "tok/model.model");
  CHECK(loaded.sha256() == trained.sha256());
  CHECK(loaded.vocab_size() == 400);

  const std::string seen = "the nation and the people of the states, café über Größe.";
  const std::string unseen = "Жизнь 日本語 😀 naïve ∑";  // characters never in the training text
  for (const std::string& text : {seen, unseen}) {
    const std::vector<int32_t> ids = loaded.encode(text);
    CHECK(ids == trained.encode(text));
    CHECK(!ids.empty());
    for (int32_t id : ids) {
      CHECK(id >= 0);
      CHECK(id < loaded.vocab_size());
      CHECK(id != loaded.unk_id());  // byte fallback: nothing is unknown
    }
    CHECK(loaded.decode(ids) == text);
    // Streaming: the pieces joined are the text itself (no leading word marker is added).
    std::string streamed;
    for (int32_t id : ids) streamed += loaded.decode_piece(id);
    CHECK(streamed == text);
  }
  // Frequent words compress; unseen characters cost one token per UTF-8 byte at most.
  CHECK(loaded.encode(seen).size() < seen.size() / 2);
  CHECK(loaded.encode("😀").size() <= 5);
  CHECK(loaded.decode_piece(loaded.eos_id()).empty());
  CHECK(error_of([&] { loaded.decode({5, 400}); }).find("outside the vocabulary") != std::string::npos);
}

TEST_CASE("tokenizer: unigram trains too, and one huge line is cut into sentences") {
  ln::test::TempDir dir;
  // A single 120 KB line: SentencePiece skips sentences over max_sentence_length, so this
  // only trains because the corpus reader cuts lines at whitespace.
  std::string one_line = ln::test::generated_text(2500, 3);
  for (char& c : one_line) {
    if (c == '\n') c = ' ';
  }
  REQUIRE(one_line.size() > 100000);
  ln::test::write_file(dir / "one_line.txt", one_line);
  const ln::Tokenizer unigram =
      ln::Tokenizer::train(small_options("unigram", 360), {dir / "one_line.txt"}, dir / "u.model");
  CHECK(unigram.vocab_size() == 360);
  const std::string text = "the government of the people.";
  CHECK(unigram.decode(unigram.encode(text)) == text);
  CHECK(unigram.encode(text).size() < text.size() / 2);
}

TEST_CASE("tokenizer: training is deterministic for a seed") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "c.txt", ln::test::generated_text(800, 4));
  const auto a = ln::Tokenizer::train(small_options("bpe", 320), {dir / "c.txt"}, dir / "a.model");
  const auto b = ln::Tokenizer::train(small_options("bpe", 320), {dir / "c.txt"}, dir / "b.model");
  CHECK(a.sha256() == b.sha256());
}

TEST_CASE("tokenizer: bad model files and options are clear errors") {
  ln::test::TempDir dir;
  CHECK(error_of([&] { ln::Tokenizer::load(dir / "nope.model"); }).find(dir / "nope.model") !=
        std::string::npos);
  ln::test::write_file(dir / "garbage.model", std::string("this is not a protobuf \x01\x02\xff", 27));
  const std::string garbage = error_of([&] { ln::Tokenizer::load(dir / "garbage.model"); });
  CHECK(garbage.find(dir / "garbage.model") != std::string::npos);
  CHECK(garbage.find("not a valid SentencePiece model") != std::string::npos);
  ln::test::write_file(dir / "empty.model", "");
  CHECK(error_of([&] { ln::Tokenizer::load(dir / "empty.model"); }).find("empty") != std::string::npos);

  ln::test::write_file(dir / "c.txt", ln::test::generated_text(50, 5));
  CHECK(error_of([&] {
          ln::Tokenizer::train(small_options("bpe", 200), {dir / "c.txt"}, dir / "x.model");
        }).find("byte") != std::string::npos);
  CHECK(error_of([&] {
          ln::Tokenizer::train(small_options("word", 400), {dir / "c.txt"}, dir / "x.model");
        }).find("bpe or unigram") != std::string::npos);
  // Far more pieces than a tiny text can supply: SentencePiece's refusal, passed on.
  ln::test::write_file(dir / "tiny.txt", "a b c\n");
  CHECK(error_of([&] {
          ln::Tokenizer::train(small_options("unigram", 5000), {dir / "tiny.txt"}, dir / "x.model");
        }).find("vocab") != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "x.model"));
}

TEST_CASE("tokenizer: load_or_train trains once, then loads") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "c.txt", ln::test::generated_text(600, 6));
  const auto first =
      ln::Tokenizer::load_or_train(dir / "m/tok.model", small_options("bpe", 300), {dir / "c.txt"});
  REQUIRE(std::filesystem::exists(dir / "m/tok.model"));
  const auto written = std::filesystem::last_write_time(dir / "m/tok.model");
  // A different corpus and options do not matter once the model exists: it is loaded as is.
  const auto second =
      ln::Tokenizer::load_or_train(dir / "m/tok.model", small_options("unigram", 500), {dir / "missing.txt"});
  CHECK(second.sha256() == first.sha256());
  CHECK(second.vocab_size() == 300);
  CHECK(std::filesystem::last_write_time(dir / "m/tok.model") == written);
}

namespace {

// A random UTF-8 string: ASCII (newlines, tabs, runs of spaces and \r weighted up) mixed with
// 2-, 3- and 4-byte characters. Surrogates are excluded (they are not valid UTF-8).
std::string random_utf8(std::mt19937& rng, size_t chars) {
  static const std::vector<uint32_t> ascii_heavy = {'\n', '\t', ' ', ' ', ' ', '\r', 'a', 'e', '{', '}', ';'};
  std::string out;
  for (size_t i = 0; i < chars; ++i) {
    uint32_t cp;
    switch (rng() % 6) {
      case 0:
        cp = ascii_heavy[rng() % ascii_heavy.size()];
        break;
      case 1:
        cp = 0x20 + rng() % 0x5F;
        break;
      case 2:
        cp = 0x80 + rng() % 0x780;
        break;
      case 3:
        cp = rng() % 4 ? 0x800 + rng() % (0xD800 - 0x800) : 0x2581;
        break;  // U+2581: "▁"
      case 4:
        cp = 0xE000 + rng() % 0x2000;
        break;
      default:
        cp = 0x10000 + rng() % 0x100000;
        break;
    }
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("tokenizer: decode(encode(x)) == x for any UTF-8 text: newlines, tabs and runs of spaces kept") {
  ln::test::TempDir dir;
  // Code-like training text: indentation, tabs, blank lines.
  std::string code;
  for (int i = 0; i < 400; ++i) {
    code += "int f" + std::to_string(i) + "(int x) {\n    if (x > " + std::to_string(i % 7) +
            ") {\n        return x;\n    }\n\treturn  0;\n}\n\n";
  }
  ln::test::write_file(dir / "code.c", code);
  ln::test::write_file(dir / "prose.txt", ln::test::generated_text(800, 5));
  const ln::Tokenizer tok =
      ln::Tokenizer::train(small_options("bpe", 400), {dir / "code.c", dir / "prose.txt"}, dir / "t.model");
  const std::vector<std::string> texts = {
      "int main() {\n    return 0;\n}\n",
      "\n\nleading newlines, trailing spaces   \n\n\n",
      "  two leading spaces\tand\ttabs\t\tdoubled",
      "   ",
      "\n",
      "a\r\nwindows line ends\r\n",
      "the  nation   and    the     people",
      "SentencePiece's own space marker \xE2\x96\x81 and \xE2\x96\x81\xE2\x96\x81 written "
      "literally\xE2\x96\x81",
      code.substr(0, 2000),
  };
  for (const std::string& text : texts) {
    CAPTURE(text);
    const std::vector<int32_t> ids = tok.encode(text);
    CHECK(tok.decode(ids) == text);
    std::string streamed;  // what generate writes, token by token
    for (int32_t id : ids) streamed += tok.decode_piece(id);
    CHECK(streamed == text);
  }
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::string text = random_utf8(rng, 1 + rng() % 60);
    CAPTURE(trial);
    CHECK(tok.decode(tok.encode(text)) == text);
    // Encoding in consecutive pieces (as the token cache and eval do) joins up to the text too.
    const size_t cut = rng() % (text.size() + 1);
    const size_t at = cut < text.size() ? cut : text.size();
    size_t boundary = at;  // a character boundary
    while (boundary > 0 && boundary < text.size() &&
           (static_cast<unsigned char>(text[boundary]) & 0xC0) == 0x80)
      --boundary;
    std::vector<int32_t> joined = tok.encode(text.substr(0, boundary));
    const std::vector<int32_t> rest = tok.encode(text.substr(boundary));
    joined.insert(joined.end(), rest.begin(), rest.end());
    CHECK(tok.decode(joined) == text);
  }
  // Indentation is learned as pieces, not spelt out space by space.
  CHECK(tok.encode("        return x;\n").size() < 10);
}

TEST_CASE("tokenizer: a model trained with the old rules keeps them when loaded") {
  // Models carry their normaliser: one trained with whitespace collapsing (as every model
  // before keep_whitespace was) still collapses it, so existing runs keep their meaning.
  ln::test::TempDir dir;
  ln::test::write_file(dir / "c.txt", ln::test::generated_text(600, 6));
  ln::TokenizerTrainOptions old_rules = small_options("bpe", 320);
  old_rules.keep_whitespace = false;
  old_rules.normalization_rule = "nmt_nfkc";
  ln::Tokenizer::train(old_rules, {dir / "c.txt"}, dir / "old.model");
  const ln::Tokenizer old = ln::Tokenizer::load(dir / "old.model");
  CHECK(old.decode(old.encode("a\nb   c")) == "a b c");
  const ln::Tokenizer now =
      ln::Tokenizer::train(small_options("bpe", 320), {dir / "c.txt"}, dir / "new.model");
  CHECK(now.decode(now.encode("a\nb   c")) == "a\nb   c");
}

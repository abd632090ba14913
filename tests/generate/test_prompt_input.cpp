// The prompt's way in, bounded (issue 11): --prompt-file from a file, '-' (standard input), a
// directory or an endless device; a long prompt tokenized in pieces and cut to what dilated
// attention reads (generate/prompt_fit.hpp); absurd -n and --seed refused before any work.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>

#include "data/corpus.hpp"
#include "data/piece_encode.hpp"
#include "data/tokenizer.hpp"
#include "generate/generator.hpp"
#include "generate/prompt_fit.hpp"
#include "run/trained_model.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"
#include "tiny_checkpoint.hpp"

using namespace ln;
using ln::test::contains;
using ln::test::run_longnet;
using ln::test::shell_quote;

namespace {

// `longnet generate ARGS` must fail with exit code 2 and one line containing `expect`, within
// seconds: coreutils' timeout ends a regression that hangs (exit status 124), not the test run.
void check_refused(const std::string& args, const std::string& expect) {
  CAPTURE(args);
  const auto t0 = std::chrono::steady_clock::now();
  const ln::test::CommandResult r = ln::test::run_longnet("generate " + args, "timeout 30");
  CAPTURE(r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(contains(r.err, "longnet: error: "));
  CHECK(contains(r.err, expect));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

// A corpus-like text of `words` words on one line.
std::string one_line(int64_t words) {
  const char* vocab[] = {"the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and"};
  std::string text;
  for (int64_t i = 0; i < words; ++i) text += std::string(i ? " " : "") + vocab[(i * 7 + i / 3) % 10];
  return text;
}

}  // namespace

TEST_CASE(
    "longnet generate: prompt files that are not text, and counts that are absurd, are one clear error") {
  const std::string ck = ln::test::tiny_checkpoint_arg();
  const auto& dir = ln::test::tiny_checkpoint().dir;
  check_refused(ck + " --prompt-file " + shell_quote(dir.path().string()), "is a directory");
  check_refused(ck + " -f /dev/zero", "larger than the limit of 16 MiB");
  check_refused(ck + " --prompt-file " + shell_quote(dir.file("missing.txt")), "does not exist");
  check_refused(ck + " --prompt x -n 1e12", "must be an integer in [0, 1000000], got '1e12'");
  check_refused(ck + " --prompt x -n 18446744073709551616", "must be an integer in [0, 1000000]");
  check_refused(ck + " --prompt x -n 1000001", "must be an integer in [0, 1000000]");
  check_refused(ck + " --prompt x --seed 18446744073709551616",
                "must be an integer in [0, 9223372036854775807]");
  check_refused(ck + " --prompt x --seed -5", "must be an integer in [0, 9223372036854775807]");
}

TEST_CASE("longnet generate -f - reads the prompt from standard input") {
  const auto& dir = ln::test::tiny_checkpoint().dir;
  const std::string prompt_file = dir.write("stdin_prompt.txt", "the lazy dog");
  const std::string args = "generate " + ln::test::tiny_checkpoint_arg() + " -n 8 --temp 0 --ignore-eos";
  auto from_stdin = run_longnet(args + " -f - < " + shell_quote(prompt_file));
  auto from_text = run_longnet(args + " --prompt 'the lazy dog'");
  REQUIRE(from_stdin.code == 0);
  REQUIRE(from_text.code == 0);
  CHECK(from_stdin.out == from_text.out);
  CHECK(from_stdin.out.rfind("the lazy dog", 0) == 0);
}

// The tokens of the corpus reader (what training and eval see): each piece LineReader yields,
// encoded on its own, concatenated. Written independently of piece_encode's cutting.
std::vector<int32_t> corpus_reader_tokens(const Tokenizer& tokenizer, const std::string& text,
                                          size_t max_piece) {
  ln::test::TempDir dir;
  const std::string path = dir.write("prompt.txt", text);
  std::vector<int32_t> ids;
  LineReader reader(path, max_piece);
  LineReader::Piece piece;
  while (reader.next(piece)) {
    const std::vector<int32_t> part = tokenizer.encode(std::string(piece.text));
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

TEST_CASE("a prompt is tokenized in pieces exactly as the corpus reader tokenizes training text") {
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  const std::string lines = "the quick brown fox\njumps over  the lazy dog.\n\nand then   runs away\n";
  const std::vector<int32_t> line_ids = encode_in_pieces(tm.tokenizer, lines, {}, 16);
  CHECK(line_ids == corpus_reader_tokens(tm.tokenizer, lines, 16));
  CHECK(tm.tokenizer.decode(line_ids) == lines);  // and nothing of the text is lost
  const std::string long_line = one_line(3000);   // cut into ~64-byte pieces after whitespace
  CHECK(cut_text_pieces(long_line, 64).size() > 100);
  const std::vector<int32_t> long_ids = encode_in_pieces(tm.tokenizer, long_line, {}, 64);
  CHECK(long_ids == corpus_reader_tokens(tm.tokenizer, long_line, 64));
  CHECK(tm.tokenizer.decode(long_ids) == long_line);
  // Progress is reported for a text of several batches, ending at 100%.
  const std::string big = one_line(600000);  // ~2.6 MB
  size_t calls = 0, last = 0;
  const auto ids = encode_in_pieces(tm.tokenizer, big, [&](size_t done, size_t total) {
    ++calls;
    CHECK(total == big.size());
    CHECK(done > last);
    last = done;
  });
  CHECK(calls >= 2);
  CHECK(last == big.size());
  CHECK(ids.size() > 600000 / 2);
}

TEST_CASE("a prompt longer than the limit keeps its tail; with dilated attention nothing changes") {
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  const ModelSpec& spec = tm.model->spec();  // dilated, segments [8, 16]: w_max = 16
  const std::vector<int32_t> all = tm.tokenizer.encode(one_line(60));
  REQUIRE(all.size() >= 60);
  const int64_t n = static_cast<int64_t>(all.size());

  FittedPrompt whole = fit_prompt(all, spec, n);
  CHECK(whole.dropped == 0);
  CHECK(whole.ids == all);

  FittedPrompt cut = fit_prompt(all, spec, 40);
  CHECK(cut.exact);
  CHECK(cut.dropped % 16 == 0);
  CHECK(static_cast<int64_t>(cut.ids.size()) <= 40);
  CHECK(static_cast<int64_t>(cut.ids.size()) > 40 - 16);
  CHECK(std::equal(cut.ids.begin(), cut.ids.end(), all.begin() + cut.dropped));

  // The reference: the next-token logits after the whole prompt, then after a few more tokens.
  const int64_t extra = 20;  // crosses the next segment boundary
  Generator full(*tm.model, n + extra), part(*tm.model, static_cast<int64_t>(cut.ids.size()) + extra);
  Tensor a = full.prompt(all), b = part.prompt(cut.ids);
  for (int64_t step = 0;; ++step) {
    const int64_t V = spec.vocab_size;
    double worst = 0;
    for (int64_t v = 0; v < V; ++v) worst = std::max(worst, double(std::abs(a.data()[v] - b.data()[v])));
    CAPTURE(step);
    CHECK(worst < 1e-3);
    if (step == extra - 1) break;
    const int32_t next = static_cast<int32_t>((step * 37 + 11) % V);
    a = full.next(next);
    b = part.next(next);
  }
  // Dense attention reads everything: the cut is reported as not exact.
  ModelSpec dense = spec;
  dense.attention.kind = AttentionKind::dense;
  CHECK_FALSE(fit_prompt(all, dense, 40).exact);
}

TEST_CASE("longnet generate: a long one-line prompt file is tokenized and cut in bounded time") {
  const auto& dir = ln::test::tiny_checkpoint().dir;
  const std::string path = dir.write("long_prompt.txt", one_line(250000));  // ~1 MB, no newline
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_longnet("generate " + ln::test::tiny_checkpoint_arg() + " -f " + shell_quote(path) +
                       " -n 4 --temp 0 --ignore-eos --no-display-prompt");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  CHECK(contains(r.err, "tokens; using the last "));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
}

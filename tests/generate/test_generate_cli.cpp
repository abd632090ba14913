// End to end on a tiny trained checkpoint: the generation loop against greedy decoding by the
// full forward, UTF-8 streaming of byte-fallback pieces, `longnet generate` (determinism,
// seeds, clean stdout, every error path) and `longnet bench generate`.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

#include "autograd/var.hpp"
#include "data/corpus.hpp"
#include "generate/text_generation.hpp"
#include "generate/utf8_stream.hpp"
#include "ops/precision.hpp"
#include "run/trained_model.hpp"
#include "support/process.hpp"
#include "tiny_checkpoint.hpp"

using namespace ln;
using ln::test::run_longnet;
using ln::test::shell_quote;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("greedy generation with the KV cache equals greedy decoding by the full forward") {
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  const std::vector<int32_t> prompt = tm.tokenizer.encode("the quick brown fox");
  REQUIRE(!prompt.empty());
  GenerationOptions options;
  options.max_tokens = 40;  // crosses segment boundaries (w_max = 16) many times
  options.ignore_eos = true;
  options.sampler.temperature = 0;
  std::string text1, text2;
  GenerationResult r1 =
      generate_text(*tm.model, tm.tokenizer, prompt, options, [&](std::string_view s) { text1 += s; });
  GenerationResult r2 =
      generate_text(*tm.model, tm.tokenizer, prompt, options, [&](std::string_view s) { text2 += s; });
  REQUIRE(r1.tokens.size() == 40);
  CHECK(r1.tokens == r2.tokens);  // deterministic
  CHECK(text1 == text2);
  CHECK(r1.prompt_tokens == static_cast<int64_t>(prompt.size()));

  // Reference: the whole sequence through the parallel forward for every new token.
  std::vector<int32_t> seq = prompt;
  const int64_t V = tm.model->spec().vocab_size;
  const int32_t eos = tm.tokenizer.eos_id();
  for (size_t i = 0; i < r1.tokens.size(); ++i) {
    NoGradGuard no_grad;
    const int64_t T = static_cast<int64_t>(seq.size());
    Tensor logits = tm.model->logits(seq, 1, T).value();
    std::vector<float> last(logits.data() + (T - 1) * V, logits.data() + T * V);
    last[eos] = -std::numeric_limits<float>::infinity();
    std::vector<float> sorted = last;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
    const int32_t best = static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin());
    CAPTURE(i);
    if (sorted[0] - sorted[1] < 1e-4f) break;  // a near-tie: either choice is right
    CHECK(r1.tokens[i] == best);
    seq.push_back(best);
  }
  std::string expected;
  Utf8Stream stream;
  for (int32_t id : r1.tokens) expected += stream.push(tm.tokenizer.decode_piece(id));
  expected += stream.flush();
  CHECK(text1 == expected);
}

TEST_CASE("byte-fallback pieces stream as whole UTF-8 characters") {
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  const std::string text = "the fox naïve 🙂 жук €";  // none of these characters is in the corpus
  const std::vector<int32_t> ids = tm.tokenizer.encode(text);
  Utf8Stream stream;
  std::string streamed;
  int partial_bytes = 0;  // pieces that are a lone byte of a multi-byte character
  for (int32_t id : ids) {
    const std::string piece = tm.tokenizer.decode_piece(id);
    if (piece.size() == 1 && (static_cast<unsigned char>(piece[0]) & 0x80)) ++partial_bytes;
    const std::string out = stream.push(piece);
    CHECK(find_invalid_utf8(out) == -1);  // never half a character
    streamed += out;
  }
  streamed += stream.flush();
  CHECK(partial_bytes >= 10);  // the test exercises byte fallback: 🙂 alone is 4 byte pieces
  CHECK(stream.pending() == 0);
  // The tokenizer adds no leading space: streaming gives exactly the text, as decode() does.
  CHECK(streamed == text);
  CHECK(tm.tokenizer.decode(ids) == text);
}

TEST_CASE("longnet generate: greedy output is deterministic, stdout holds only the text") {
  const std::string args =
      "generate " + ln::test::tiny_checkpoint_arg() + " --prompt 'the lazy dog' -n 24 --temp 0 --ignore-eos";
  auto a = run_longnet(args);
  auto b = run_longnet(args);
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out.rfind("the lazy dog", 0) == 0);  // the prompt, then its continuation
  CHECK(a.out.size() > std::string("the lazy dog\n").size());
  CHECK(a.out.find("tokens/s") == std::string::npos);
  CHECK(a.err.find("generated: 24 tokens") != std::string::npos);
  CHECK(a.err.find("prompt: ") != std::string::npos);
  auto c = run_longnet(args + " --no-display-prompt");
  REQUIRE(c.code == 0);
  CHECK(a.out == "the lazy dog" + c.out);

  // The same continuation as the library's generation loop.
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  GenerationOptions options;
  options.max_tokens = 24;
  options.ignore_eos = true;
  options.sampler.temperature = 0;
  std::string text;
  generate_text(*tm.model, tm.tokenizer, tm.tokenizer.encode("the lazy dog"), options,
                [&](std::string_view s) { text += s; });
  // Exactly the text: into a pipe, no newline the model did not write (a terminal gets one).
  CHECK(c.out == text);
}

TEST_CASE("longnet generate: Ctrl-C stops with the text so far and the timings, marked partial") {
  test::TempDir dir;
  const pid_t pid =
      test::spawn_longnet({"generate", "-m", ln::test::tiny_checkpoint().run, "-p", "the lazy dog", "-n",
                           "200000", "--ignore-eos", "-s", "1", "--threads", "1"},
                          dir / "out.log");
  REQUIRE(test::wait_for_handler(pid, SIGINT, 60000));
  ::usleep(300000);  // some tokens are out
  ::kill(pid, SIGINT);
  const test::ExitStatus status = test::wait_for(pid);
  const std::string out = test::read_file(dir / "out.log");
  INFO(out.substr(0, 2000));
  CHECK(status.code == 128 + SIGINT);
  CHECK(out.find("\nthe lazy dog") != std::string::npos);  // stdout: the prompt, then the text so far
  CHECK(out.find("longnet: SIGINT received: stopping: printing the timings") != std::string::npos);
  CHECK(out.find(" tokens/s), interrupted (partial); KV cache ") != std::string::npos);
  CHECK(out.find("generated: 200000 tokens") == std::string::npos);
}

TEST_CASE("longnet generate --precision bf16: the library's bf16 generation, with half the KV cache") {
  const std::string args = "generate " + ln::test::tiny_checkpoint_arg() +
                           " --prompt 'the lazy dog' -n 24 --temp 0 --ignore-eos --no-display-prompt";
  auto bf = run_longnet(args + " --precision bf16");
  auto fp = run_longnet(args + " --precision fp32");
  REQUIRE(bf.code == 0);
  REQUIRE(fp.code == 0);
  // The cache bytes on the timing line: "...; KV cache N bytes (precision)".
  auto cache_bytes = [](const std::string& err, const std::string& precision) -> int64_t {
    const std::string key = "; KV cache ";
    const size_t at = err.find(key);
    REQUIRE(at != std::string::npos);
    size_t used = 0;
    const int64_t n = std::stoll(err.substr(at + key.size()), &used);
    CHECK(err.substr(at + key.size() + used, 9 + precision.size()) == " bytes (" + precision + ")");
    return n;
  };
  const int64_t b16 = cache_bytes(bf.err, "bf16"), b32 = cache_bytes(fp.err, "fp32");
  CHECK(b32 > 0);
  CHECK(2 * b16 == b32);

  // The same continuation as the library's loop run in bf16 (so the CLI does use it).
  TrainedModel tm = load_trained_model(ln::test::tiny_checkpoint().run);
  GenerationOptions options;
  options.max_tokens = 24;
  options.ignore_eos = true;
  options.sampler.temperature = 0;
  std::string text;
  PrecisionScope scope(Precision::bf16);
  GenerationResult r = generate_text(*tm.model, tm.tokenizer, tm.tokenizer.encode("the lazy dog"), options,
                                     [&](std::string_view s) { text += s; });
  CHECK(bf.out == text);
  CHECK(r.cache_bytes == b16);
}

TEST_CASE("longnet generate: seeded sampling is reproducible; a random seed is printed and replays") {
  const std::string args =
      "generate " + ln::test::tiny_checkpoint_arg() +
      " --prompt 'a small cat' -n 30 --temp 1.2 --top-k 0 --top-p 1 --min-p 0 --ignore-eos "
      "--no-display-prompt";
  auto a = run_longnet(args + " --seed 5");
  auto b = run_longnet(args + " --seed 5");
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(a.err.find("seed:") == std::string::npos);
  auto other = run_longnet(args + " --seed 6");
  CHECK(other.out != a.out);

  auto random = run_longnet(args);
  REQUIRE(random.code == 0);
  const size_t at = random.err.find("seed: ");
  REQUIRE(at != std::string::npos);
  const std::string seed = random.err.substr(at + 6, random.err.find('\n', at) - at - 6);
  auto replay = run_longnet(args + " --seed " + seed);
  CHECK(replay.out == random.out);
}

TEST_CASE("longnet generate: each bad input is one clear line and exit code 2") {
  const std::string ck = ln::test::tiny_checkpoint_arg();
  const auto& dir = ln::test::tiny_checkpoint().dir;
  {
    std::ofstream(dir.file("bad_utf8.txt"), std::ios::binary) << "the fox \xff\xfe jumps";
    std::ofstream(dir.file("empty.txt"), std::ios::binary) << "";
    std::filesystem::create_directories(dir.path() / "not_a_run");
  }
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {ck + " --prompt ''", "empty"},
      {ck + " --prompt-file " + shell_quote(dir.file("empty.txt")), "empty"},
      {ck + " --prompt-file " + shell_quote(dir.file("bad_utf8.txt")), "not valid UTF-8 (byte 8)"},
      {ck + " --prompt \"$(printf 'caf\\303')\"", "not valid UTF-8 (byte 3)"},
      {ck + " --prompt-file " + shell_quote(dir.file("missing.txt")), "does not exist"},
      {ck, "--prompt TEXT or --prompt-file"},
      {ck + " --prompt x --top-p 1.5", "--top-p"},
      {ck + " --prompt x --top-p 0", "--top-p"},
      {ck + " --prompt x --temp -1", "--temp"},
      {ck + " --prompt x --top-k -3", "--top-k"},
      {ck + " --prompt x --min-p 2", "--min-p"},
      {ck + " --prompt x --repeat-penalty 0", "--repeat-penalty"},
      {ck + " --prompt x --repeat-last-n -5", "--repeat-last-n"},
      {ck + " --prompt x -n -1", "must be an integer in [0, 1000000], got '-1'"},
      {"--checkpoint " + shell_quote(dir.file("no_such_run")) + " --prompt x", "not a directory"},
      {"--checkpoint " + shell_quote(dir.file("not_a_run")) + " --prompt x", "no intact checkpoint"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    auto r = run_longnet("generate " + c.args);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    const auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("longnet: error: ", 0) == 0);
    CHECK(lines[0].find(c.expect) != std::string::npos);
  }
}

TEST_CASE("longnet bench generate: one JSON line per context; the work per token does not grow") {
  // Contexts that are multiples of w_max = 16: the timed tokens sit at the same segment phase.
  auto r = run_longnet("bench generate " + ln::test::tiny_checkpoint_arg() +
                       " --context 48,160 --tokens 4 --warmup 1");
  REQUIRE(r.code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("\"context\": 48") != std::string::npos);
  CHECK(lines[1].find("\"context\": 160") != std::string::npos);
  auto reads = [](const std::string& line) {
    const size_t at = line.find("\"keys_read_per_token\": ");
    REQUIRE(at != std::string::npos);
    return std::stod(line.substr(at + 23));
  };
  for (const auto& line : lines) CHECK(line.find("\"ms_per_token\": ") != std::string::npos);
  CHECK(reads(lines[0]) == reads(lines[1]));
  CHECK(reads(lines[0]) > 0);
  CHECK(lines[0].find("\"precision\": \"fp32\"") != std::string::npos);
  // bf16: the same work per token in half the cache bytes.
  auto b = run_longnet("bench generate " + ln::test::tiny_checkpoint_arg() +
                       " --context 48 --tokens 4 --warmup 1 --precision bf16");
  REQUIRE(b.code == 0);
  CHECK(b.out.find("\"precision\": \"bf16\"") != std::string::npos);
  auto bytes = [](const std::string& line) {
    const size_t at = line.find("\"cache_bytes\": ");
    REQUIRE(at != std::string::npos);
    return std::stoll(line.substr(at + 15));
  };
  CHECK(2 * bytes(b.out) == bytes(lines[0]));
  CHECK(reads(b.out) == reads(lines[0]));
  auto bad = run_longnet("bench generate " + ln::test::tiny_checkpoint_arg() + " --context 4 --tokens 8");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("leaves no prompt") != std::string::npos);
}

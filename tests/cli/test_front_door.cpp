// The front door end to end: `longnet train tiny.yaml` (positional) on a corpus given by a glob
// and a folder holding a JSONL file and a binary file; eval and generate on that run with the
// short flags; mistyped commands and flags; one-line errors without source locations.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "autograd/var.hpp"
#include "core/json.hpp"
#include "core/json_reader.hpp"
#include "data/piece_encode.hpp"
#include "run/trained_model.hpp"
#include "support/shell_run.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using ln::test::contains;
using ln::test::count;

namespace {

std::string sentence(std::mt19937& rng) {
  static const char* words[] = {"the",   "quick", "brown", "fox",    "jumps", "over", "a",
                                "lazy",  "dog",   "and",   "then",   "runs",  "away", "from",
                                "small", "cat",   "who",   "sleeps", "under", "tree"};
  std::string s;
  for (int w = 0; w < 10; ++w) {
    if (w) s += ' ';
    s += words[rng() % 20];
  }
  return s + ".";
}

// A run trained once per process by `longnet train tiny.yaml`, on corpus/*.txt (a glob) plus
// the folder extra/ (a .jsonl file and a binary file).
struct FrontDoorRun {
  ln::test::TempDir dir;
  std::string config, run;
  ln::test::CommandResult train;

  FrontDoorRun() {
    std::mt19937 rng(11);
    for (int f = 0; f < 3; ++f) {
      std::string text;
      for (int line = 0; line < 120; ++line) text += sentence(rng) + (line % 10 == 9 ? "\n\n" : "\n");
      dir.write("corpus/doc" + std::to_string(f) + ".txt", text);
    }
    dir.write("corpus/notes.md", "not matched by the glob\n");
    std::string jsonl;
    for (int d = 0; d < 20; ++d)
      jsonl += "{\"id\": " + std::to_string(d) + ", \"text\": \"" + sentence(rng) + "\\n\"}\n";
    dir.write("extra/docs.jsonl", jsonl);
    dir.write("extra/model.bin", std::string("\x7f"
                                             "ELF\0\0\0\1binary",
                                             14));
    const std::string root = dir.path().string();
    run = root + "/run";
    config =
        dir.write("tiny.yaml",
                  "model: {d_model: 32, layers: 2, heads: 2}\n"
                  "attention: {kind: dilated, segments: [8, 16], dilations: [1, 2]}\n"
                  "tokenizer: {vocab_size: 300}\n"
                  "data: {train: ['" +
                      root + "/corpus/*.txt', '" + root + "/extra'], seq_len: 32, cache_dir: '" + root +
                      "/cache', val_fraction: 0.1, document_separator: blank_line}\n"
                      "train: {steps: 12, batch_size: 4, warmup_steps: 2, eval_every: 12, eval_batches: 1, "
                      "save_every: 12, out_dir: '" +
                      run + "'}\n");
    train = ln::test::run_longnet("--threads 2 train " + ln::test::shell_quote(config) + " -q");
  }
};

const FrontDoorRun& front_door_run() {
  static FrontDoorRun made;
  return made;
}

}  // namespace

TEST_CASE("longnet train tiny.yaml (positional) trains on a glob + folder corpus, skipping a binary file") {
  const FrontDoorRun& fr = front_door_run();
  INFO(fr.train.err);
  REQUIRE(fr.train.code == 0);
  // One warning line names the binary file, however often the corpus is listed.
  CHECK(count(fr.train.err, "model.bin") == 1);
  CHECK(contains(fr.train.err, "warning: data.train: skipping 1 binary file"));
  CHECK(std::filesystem::exists(fr.run + "/step-000000012/model.safetensors"));
  // The run folder's config holds the model's real vocabulary size and YAML 1.1 floats.
  const std::string saved = ln::test::read_file(fr.run + "/config.yaml");
  CHECK(contains(saved, "  vocab_size: 300\n"));
  CHECK(contains(saved, "norm_eps: 1.0e-05\n"));
  // ... and training from it resumes the run (its vocab_size 300 is the same model as 0).
  const ln::test::CommandResult resumed = ln::test::run_longnet(
      "--threads 2 train " + ln::test::shell_quote(fr.run + "/config.yaml") + " --set train.steps=14");
  INFO(resumed.err);
  CHECK(resumed.code == 0);
  CHECK(contains(resumed.err, "resuming from"));
  CHECK(contains(resumed.err, "trained to step 14"));
}

TEST_CASE("config and bench train take the config positionally, with -c, or with --config") {
  const FrontDoorRun& fr = front_door_run();
  const ln::test::CommandResult positional =
      ln::test::run_longnet("config " + ln::test::shell_quote(fr.config));
  const ln::test::CommandResult short_flag =
      ln::test::run_longnet("config -c " + ln::test::shell_quote(fr.config));
  const ln::test::CommandResult long_flag =
      ln::test::run_longnet("config --config " + ln::test::shell_quote(fr.config));
  REQUIRE(positional.code == 0);
  CHECK(contains(positional.out, "dilated"));
  CHECK(positional.out == short_flag.out);
  CHECK(positional.out == long_flag.out);
  const ln::test::CommandResult bench = ln::test::run_longnet(
      "--threads 1 bench train " + ln::test::shell_quote(fr.config) + " --steps 1 --warmup 0");
  INFO(bench.err);
  REQUIRE(bench.code == 0);
  CHECK(contains(bench.out, "\"bench\": \"train\""));
  CHECK(contains(bench.out, "tiny.yaml"));
  // --set takes one value, so the positional may follow it.
  const ln::test::CommandResult after_set =
      ln::test::run_longnet("config --set model.layers=3 " + ln::test::shell_quote(fr.config));
  CHECK(after_set.code == 0);
  CHECK(contains(after_set.out, "* model.layers"));
}

TEST_CASE("eval and generate use the run with llama.cpp-style short flags; a JSONL file scores as its text") {
  const FrontDoorRun& fr = front_door_run();
  REQUIRE(fr.train.code == 0);
  // The same three documents as a blank-line separated text file and as JSONL lines.
  std::mt19937 rng(5);
  std::string text, jsonl, bodies;
  for (int d = 0; d < 3; ++d) {
    const std::string s = sentence(rng);
    text += s + "\n\n";
    jsonl += "{\"text\": \"" + s + "\\n\"}\n";
    bodies += s + "\n";
  }
  const std::string txt_path = fr.dir.write("heldout/h.txt", text);
  const std::string jsonl_path = fr.dir.write("heldout/h.jsonl", jsonl);
  auto eval = [&](const std::string& path) {
    const ln::test::CommandResult r =
        ln::test::run_longnet("--threads 2 eval -m " + ln::test::shell_quote(fr.run) + " -f " +
                              ln::test::shell_quote(path) + " -c 16 --json -q");
    INFO(r.err);
    REQUIRE(r.code == 0);
    const ln::JsonValue v = ln::parse_json(r.out, "eval --json");
    const ln::JsonValue* files = v.find("methods") ? v.find("methods")->items[0].find("files") : nullptr;
    REQUIRE(files);
    REQUIRE(files->items.size() == 1);
    return files->items[0];
  };
  const ln::JsonValue from_text = eval(txt_path), from_jsonl = eval(jsonl_path);
  CHECK(from_jsonl.find("documents")->text == "3");
  CHECK(from_text.find("documents")->text == "3");
  CHECK(from_jsonl.find("tokens")->text == from_text.find("tokens")->text);
  CHECK(from_jsonl.find("mean_loss")->text == from_text.find("mean_loss")->text);
  // Bits per byte of a JSONL file count its texts' bytes, not the JSON around them.
  CHECK(from_jsonl.find("bytes")->text == std::to_string(bodies.size()));
  // A glob for --data too.
  const ln::test::CommandResult globbed =
      ln::test::run_longnet("eval -m " + ln::test::shell_quote(fr.run) + " -f " +
                            ln::test::shell_quote(fr.dir / "heldout/*.txt") + " -c 16 -q");
  CHECK(globbed.code == 0);
  CHECK(contains(globbed.out, "h.txt"));

  const std::string gen =
      "generate -m " + ln::test::shell_quote(fr.run) + " -p 'the quick' -n 6 -s 7 --temp 0.9";
  const ln::test::CommandResult a = ln::test::run_longnet(gen), b = ln::test::run_longnet(gen);
  INFO(a.err);
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);  // -s fixes the seed
  CHECK(a.out.rfind("the quick", 0) == 0);
  const ln::test::CommandResult other_seed = ln::test::run_longnet(
      "generate -m " + ln::test::shell_quote(fr.run) + " -p 'the quick' -n 6 --seed 7 --temp 0.9");
  CHECK(other_seed.out == a.out);  // -s is --seed
}

TEST_CASE("mistyped commands and flags get a suggestion in one line, exit 2") {
  const ln::test::CommandResult cmd = ln::test::run_longnet("trian x.yaml");
  CHECK(cmd.code == 2);
  CHECK(count(cmd.err, "\n") == 1);
  CHECK(contains(cmd.err, "unknown command 'trian'; did you mean 'train'?"));
  const ln::test::CommandResult yaml = ln::test::run_longnet("configs/x.yaml");
  CHECK(yaml.code == 2);
  CHECK(contains(yaml.err, "to train from a config: longnet train configs/x.yaml"));
  const ln::test::CommandResult sub = ln::test::run_longnet("bench genrate");
  CHECK(sub.code == 2);
  CHECK(contains(sub.err, "did you mean 'generate'?"));
  const ln::test::CommandResult flag = ln::test::run_longnet("eval -m somewhere --contxt 5");
  CHECK(flag.code == 2);
  CHECK(count(flag.err, "\n") == 1);
  CHECK(contains(flag.err, "unknown option --contxt for longnet eval; did you mean --context?"));
  const ln::test::CommandResult prefix =
      ln::test::run_longnet("generate -m somewhere -p hi --temperature 0.5");
  CHECK(contains(prefix.err, "did you mean --temp?"));
  const ln::test::CommandResult global = ln::test::run_longnet("generate --thread 2 -m somewhere -p hi");
  CHECK(contains(global.err, "did you mean --threads?"));
  const ln::test::CommandResult nothing = ln::test::run_longnet("");
  CHECK(nothing.code == 2);
  CHECK(contains(nothing.err, "longnet needs a command: "));
  CHECK(contains(nothing.err, "train"));
  const ln::test::CommandResult far = ln::test::run_longnet("eval -m somewhere --zzzzzzzz");
  CHECK(contains(far.err, "unknown option --zzzzzzzz"));
  CHECK(!contains(far.err, "did you mean"));
}

TEST_CASE("user errors are one line without a source location unless --verbose or LONGNET_DEBUG=1") {
  ln::test::TempDir dir;
  const std::string missing = ln::test::shell_quote(dir / "no-such-run");
  const ln::test::CommandResult plain =
      ln::test::run_longnet("eval -m " + missing + " -f " + ln::test::shell_quote(dir / "x.txt"));
  CHECK(plain.code == 2);
  CHECK(count(plain.err, "\n") == 1);
  CHECK(contains(plain.err, "longnet: error: "));
  CHECK(!contains(plain.err, "(at "));
  const ln::test::CommandResult debug = ln::test::run_longnet("eval -m " + missing, "LONGNET_DEBUG=1");
  CHECK(debug.code == 2);
  CHECK(contains(debug.err, "(at lib/"));
  const ln::test::CommandResult verbose = ln::test::run_longnet("--verbose eval -m " + missing);
  CHECK(contains(verbose.err, "(at lib/"));
  // A missing --data file is blamed on --data, the flag that named it.
  const FrontDoorRun& fr = front_door_run();
  const ln::test::CommandResult data = ln::test::run_longnet(
      "eval -m " + ln::test::shell_quote(fr.run) + " -f " + ln::test::shell_quote(dir / "absent.txt"));
  CHECK(data.code == 2);
  CHECK(contains(data.err, "--data"));
  CHECK(!contains(data.err, "data.corpus"));
  const ln::test::CommandResult stdin_data =
      ln::test::run_longnet("eval -m " + ln::test::shell_quote(fr.run) + " -f - < /dev/null");
  CHECK(stdin_data.code == 2);
  CHECK(contains(stdin_data.err, "eval -f -: standard input was empty"));
}

namespace {

// README "How `longnet eval` scores a text", implemented from that text alone: blank-line
// documents, line-by-line encoding, `</s> d1 </s> d2 </s>`, windows at k*S of length
// min(C, N-1-b) with positions from 0, each prediction scored once; a double-precision
// log-softmax. Returns {Σ loss, predictions}.
std::pair<double, int64_t> readme_eval(const ln::TrainedModel& tm, const std::string& text, int64_t C,
                                       int64_t S) {
  auto blank = [](const std::string& line) { return line.find_first_not_of(" \t\r\n") == std::string::npos; };
  std::vector<std::vector<std::string>> docs(1);
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size() - 1) + 1;
    const std::string line = text.substr(at, end - at);
    at = end;
    if (blank(line)) {
      if (!docs.back().empty()) docs.emplace_back();
    } else {
      docs.back().push_back(line);
    }
  }
  if (docs.back().empty()) docs.pop_back();
  const int32_t eos = tm.tokenizer.eos_id();
  std::vector<int32_t> stream = {eos};
  for (const auto& doc : docs) {
    for (const std::string& line : doc) {
      const std::vector<int32_t> ids = tm.tokenizer.encode(line);
      stream.insert(stream.end(), ids.begin(), ids.end());
    }
    stream.push_back(eos);
  }
  const int64_t N = static_cast<int64_t>(stream.size()), V = tm.model->spec().vocab_size;
  double sum = 0;
  int64_t scored = 0, scored_end = 0;  // predictions (targets) 1 .. scored_end are done
  for (int64_t b = 0; scored_end < N - 1; b += S) {
    const int64_t L = std::min(C, N - 1 - b);
    const std::vector<int32_t> ids(stream.begin() + b, stream.begin() + b + L);
    ln::NoGradGuard no_grad;
    const ln::Var logits = tm.model->logits(ids, 1, L);
    const float* z = logits.value().data();
    for (int64_t j = 0; j < L; ++j) {
      const int64_t target = b + j + 1;
      if (target <= scored_end) continue;
      double max = z[j * V];
      for (int64_t v = 1; v < V; ++v) max = std::max(max, double(z[j * V + v]));
      double total = 0;
      for (int64_t v = 0; v < V; ++v) total += std::exp(double(z[j * V + v]) - max);
      sum += max + std::log(total) - double(z[j * V + stream[size_t(target)]]);
      ++scored;
    }
    scored_end = b + L;
  }
  return {sum, scored};
}

}  // namespace

TEST_CASE("the README's description of eval reproduces longnet eval's numbers") {
  const FrontDoorRun& fr = front_door_run();
  REQUIRE(fr.train.code == 0);
  std::mt19937 rng(9);
  std::string text = "\n  \n";  // leading blank lines belong to no document
  for (int d = 0; d < 6; ++d) {
    for (int line = 0; line < 1 + d % 3; ++line) text += sentence(rng) + (line % 2 ? "  \n" : "\n");
    text += d % 2 ? "\n \t\n\n" : "\n";
  }
  const std::string path = fr.dir.write("framing/f.txt", text);
  const ln::test::CommandResult r =
      ln::test::run_longnet("--threads 2 eval -m " + ln::test::shell_quote(fr.run) + " -f " +
                            ln::test::shell_quote(path) + " -c 24 --stride 10 --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const ln::JsonValue v = ln::parse_json(r.out, "eval --json");
  const ln::JsonValue& methods = *v.find("methods");
  REQUIRE(methods.items.size() == 2);
  const ln::TrainedModel tm = ln::load_trained_model(fr.run);
  for (size_t m = 0; m < 2; ++m) {
    const ln::JsonValue& file = methods.items[m].find("files")->items.at(0);
    const auto [sum, count] = readme_eval(tm, text, 24, m == 0 ? 24 : 10);
    CAPTURE(methods.items[m].find("method")->text);
    CHECK(file.find("documents")->text == "6");
    CHECK(file.find("tokens")->text == std::to_string(count));
    CHECK(std::stod(file.find("mean_loss")->text) == doctest::Approx(sum / double(count)).epsilon(1e-5));
  }
}

TEST_CASE("every command's --help lists the global -t/--threads and --verbose") {
  for (const char* command : {"train", "eval", "generate", "tokenize", "config", "flops", "bench",
                              "bench train", "bench generate", "probe copy", "report paper"}) {
    CAPTURE(command);
    const ln::test::CommandResult r = ln::test::run_longnet(std::string(command) + " --help");
    CHECK(r.code == 0);
    CHECK(contains(r.out, "Global options (before or after the command):"));
    CHECK(contains(r.out, "-t,--threads INT"));
    CHECK(contains(r.out, "--verbose"));
  }
}

TEST_CASE("llama.cpp's flags: the long names that mean the same are accepted, the others explained") {
  const FrontDoorRun& fr = front_door_run();
  REQUIRE(fr.train.code == 0);
  // generate -c: no "did you mean -h?", but what generate does instead.
  const ln::test::CommandResult c =
      ln::test::run_longnet("generate -m " + ln::test::shell_quote(fr.run) + " -p hi -c 4096");
  CHECK(c.code == 2);
  CHECK(count(c.err, "\n") == 1);
  CHECK_FALSE(contains(c.err, "did you mean"));
  CHECK(contains(c.err, "unknown option -c for longnet generate: generate has no context size to set"));
  CHECK(contains(ln::test::run_longnet("generate -m x -p hi --ctx-size 4096").err,
                 "generate has no context size to set"));
  CHECK(contains(ln::test::run_longnet("eval -m x -f y -n 5").err, "eval generates nothing"));
  // A one-letter typo is no typo of another letter.
  CHECK_FALSE(contains(ln::test::run_longnet("eval -m x -f y -x 5").err, "did you mean"));

  // --n-predict and --file for generate, --ctx-size and --file for eval: the same as -n, -f, -c.
  const std::string prompt = fr.dir.write("prompt.txt", "the quick brown");
  const ln::test::CommandResult n_short = ln::test::run_longnet(
      "generate -m " + ln::test::shell_quote(fr.run) + " -f " + ln::test::shell_quote(prompt) + " -n 5 -s 3");
  const ln::test::CommandResult n_long =
      ln::test::run_longnet("generate -m " + ln::test::shell_quote(fr.run) + " --file " +
                            ln::test::shell_quote(prompt) + " --n-predict 5 -s 3");
  INFO(n_long.err);
  CHECK(n_long.code == 0);
  CHECK(n_long.out == n_short.out);
  const std::string text = fr.dir.write("heldout/llama.txt", "the lazy dog runs away from the small cat.\n");
  const ln::test::CommandResult e_short = ln::test::run_longnet(
      "eval -m " + ln::test::shell_quote(fr.run) + " -f " + ln::test::shell_quote(text) + " -c 16 --json -q");
  const ln::test::CommandResult e_long =
      ln::test::run_longnet("eval -m " + ln::test::shell_quote(fr.run) + " --file " +
                            ln::test::shell_quote(text) + " --ctx-size 16 --json -q");
  REQUIRE(e_long.code == 0);
  REQUIRE(e_short.code == 0);
  auto scored = [](const ln::test::CommandResult& r) {  // the report without its timing
    return r.out.substr(0, r.out.find("\"seconds\""));
  };
  CHECK(scored(e_long) == scored(e_short));
}

TEST_CASE("eval -f - scores standard input") {
  const FrontDoorRun& fr = front_door_run();
  REQUIRE(fr.train.code == 0);
  const std::string text = fr.dir.write("heldout/stdin.txt", "the quick brown fox jumps over a lazy dog.\n");
  auto mean_loss = [](const ln::test::CommandResult& r) {
    const ln::JsonValue v = ln::parse_json(r.out, "eval --json");
    return v.find("methods")->items[0].find("all")->find("mean_loss")->text;
  };
  const ln::test::CommandResult file = ln::test::run_longnet(
      "eval -m " + ln::test::shell_quote(fr.run) + " -f " + ln::test::shell_quote(text) + " -c 16 --json -q");
  const ln::test::CommandResult piped = ln::test::run_longnet(
      "eval -m " + ln::test::shell_quote(fr.run) + " -f - -c 16 --json -q < " + ln::test::shell_quote(text));
  INFO(piped.err);
  REQUIRE(piped.code == 0);
  CHECK(mean_loss(piped) == mean_loss(file));
  CHECK(contains(piped.out, "\"path\": \"<stdin>\""));
  const ln::test::CommandResult empty =
      ln::test::run_longnet("eval -m " + ln::test::shell_quote(fr.run) + " -f - -q < /dev/null");
  CHECK(empty.code == 2);
  CHECK(contains(empty.err, "eval -f -: standard input was empty"));
}

TEST_CASE("longnet tokenize shows ids and pieces as generate encodes the text") {
  const FrontDoorRun& fr = front_door_run();
  REQUIRE(fr.train.code == 0);
  const ln::TrainedModel tm = ln::load_trained_model(fr.run);
  const std::string text = "the quick\nfox \xc3\xa9";
  const std::vector<int32_t> ids = ln::encode_in_pieces(tm.tokenizer, text);  // as generate encodes a prompt
  const ln::test::CommandResult r = ln::test::run_longnet("tokenize -m " + ln::test::shell_quote(fr.run) +
                                                          " -p " + ln::test::shell_quote(text));
  INFO(r.err);
  REQUIRE(r.code == 0);
  std::string expected;
  for (int32_t id : ids)
    expected += std::to_string(id) + "\t" + ln::json_escape(tm.tokenizer.piece(id)) + "\n";
  CHECK(r.out == expected);
  CHECK(contains(r.out, "\"<0x0A>\""));  // the newline is a byte piece
  CHECK(r.err == std::to_string(ids.size()) + " tokens, " + std::to_string(text.size()) + " bytes\n");
  const ln::test::CommandResult only_ids =
      ln::test::run_longnet("tokenize -m " + ln::test::shell_quote(fr.run) + " -f - --ids < " +
                            ln::test::shell_quote(fr.dir.write("t.txt", text)));
  std::string list = "[";
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? ", " : "") + std::to_string(ids[i]);
  CHECK(only_ids.out == list + "]\n");
  // The tokenizer file itself works too.
  CHECK(ln::test::run_longnet("tokenize -m " + ln::test::shell_quote(fr.run + "/tokenizer.model") + " -p " +
                              ln::test::shell_quote(text))
            .out == expected);
  const ln::test::CommandResult missing =
      ln::test::run_longnet("tokenize -m " + ln::test::shell_quote(fr.dir / "nowhere") + " -p hi");
  CHECK(missing.code == 2);
  CHECK(contains(missing.err,
                 "is neither a folder nor a file; give a run directory (train.out_dir), one of its "
                 "step-* checkpoints or a tokenizer .model file"));
}

// longnet eval end to end: a tiny model trained in-process, evaluated by the binary.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "data/split.hpp"
#include "data/token_file.hpp"
#include "data/tokenizer.hpp"
#include "eval/eval_text.hpp"
#include "eval/validation_split.hpp"
#include "eval_fixture.hpp"
#include "run/checkpoint.hpp"
#include "run/trained_model.hpp"
#include "score/perplexity.hpp"
#include "support/process.hpp"
#include "support/shell_run.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;

namespace {

// `longnet --threads 2 args`.
ln::test::CommandResult eval_cli(const std::string& args) {
  return ln::test::run_longnet("--threads 2 " + args);
}

double number(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.find(key);
  REQUIRE(m);
  REQUIRE(m->kind == JsonValue::Kind::number);
  return std::stod(m->text);
}

}  // namespace

TEST_CASE("longnet eval --json on a tiny trained run: the library's numbers, both methods") {
  test::TrainedRun& run = test::trained_run();
  const ln::test::CommandResult r = eval_cli("eval --checkpoint " + run.run_dir + " --data " + run.heldout +
                                             " --context 32 --stride 8 --batch 3 --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find('\n') == r.out.size() - 1);  // one line
  const JsonValue j = parse_json(r.out, "eval output");
  CHECK(number(j, "context") == 32);
  CHECK(number(j, "stride") == 8);
  CHECK(number(j, "train_seq_len") == 16);
  REQUIRE(j.find("context_exceeds_training"));
  CHECK(j.find("context_exceeds_training")->boolean);
  REQUIRE(j.find("notes")->items.size() == 2);
  CHECK(contains(j.find("notes")->items[0].text, "more segments"));
  CHECK(contains(j.find("notes")->items[1].text, "largest attention segment is 16 tokens"));

  // The same numbers straight from the library, on the same checkpoint and file.
  TrainedModel trained = load_trained_model(run.run_dir);
  const EvalText text = read_eval_text(run.heldout, trained.tokenizer, DocumentSeparator::file);
  const auto& methods = j.find("methods")->items;
  REQUIRE(methods.size() == 2);
  const char* names[] = {"non_overlapping", "sliding"};
  const int64_t strides[] = {32, 8};
  for (size_t m = 0; m < 2; ++m) {
    CAPTURE(m);
    CHECK(methods[m].find("method")->text == names[m]);
    const JsonValue& all = *methods[m].find("all");
    const JsonValue& file = methods[m].find("files")->items.at(0);
    const StreamResult expected = evaluate_stream(
        *trained.model, text.tokens, plan_windows(int64_t(text.tokens.size()), 32, strides[m]), 1);
    CHECK(number(file, "tokens") == text.predictions());
    CHECK(number(file, "bytes") == double(std::filesystem::file_size(run.heldout)));
    CHECK(number(file, "mean_loss") == doctest::Approx(expected.loss.mean_loss()).epsilon(1e-5));
    CHECK(number(file, "perplexity") == doctest::Approx(std::exp(number(file, "mean_loss"))).epsilon(1e-7));
    CHECK(number(file, "perplexity_se") > 0);
    CHECK(number(file, "bits_per_byte") ==
          doctest::Approx(number(file, "mean_loss") * number(file, "tokens") / std::log(2.0) /
                          number(file, "bytes"))
              .epsilon(1e-7));
    CHECK(number(all, "mean_loss") == doctest::Approx(number(file, "mean_loss")));
    // A few steps of training: better than uniform over 300 pieces, far from perfect.
    CHECK(number(file, "mean_loss") < std::log(300.0));
    CHECK(number(file, "mean_loss") > 0.5);
  }
}

TEST_CASE("longnet eval: text table, directories, loss by position") {
  test::TrainedRun& run = test::trained_run();
  const std::string prefix = run.dir / "plots/pos";
  const ln::test::CommandResult r = eval_cli("eval --checkpoint " + run.run_dir + " --data " +
                                             (run.dir / "heldout") + " --by-position " + prefix + " -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "non-overlapping windows of 16 tokens"));
  CHECK(contains(r.out, "a.txt"));
  CHECK(contains(r.out, "b.txt"));
  CHECK(contains(r.out, "all 2 files"));
  CHECK(contains(r.out, "\u00b1"));
  CHECK(!contains(r.out, "sliding"));
  CHECK(!contains(r.out, "longer than the training"));
  CHECK(r.err.empty());

  const JsonValue table = parse_json(test::read_file(prefix + ".json"), prefix + ".json");
  const auto& series = table.find("series")->items;
  REQUIRE(series.size() == 3);  // all files, a.txt, b.txt
  double tokens = 0, loss = 0;
  int64_t last_to = 0;
  for (const JsonValue& b : series[0].find("buckets")->items) {
    CHECK(number(b, "from") == last_to + 1);
    last_to = int64_t(number(b, "to"));
    tokens += number(b, "tokens");
    loss += number(b, "tokens") * number(b, "mean_loss");
  }
  CHECK(last_to == 16);
  const ln::test::CommandResult j =
      eval_cli("eval --checkpoint " + run.run_dir + " --data " + (run.dir / "heldout") + " --json -q");
  const JsonValue all = *parse_json(j.out, "eval").find("methods")->items[0].find("all");
  CHECK(tokens == number(all, "tokens"));
  CHECK(loss / tokens == doctest::Approx(number(all, "mean_loss")).epsilon(1e-7));
  const std::string svg = test::read_file(prefix + ".svg");
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(contains(svg, "</svg>"));
  CHECK(!contains(svg, "training length"));  // marked only when the context goes past it
}

TEST_CASE("longnet eval: bad input is one line on stderr and exit status 2") {
  test::TrainedRun& run = test::trained_run();
  test::write_file(run.dir / "bad/empty.txt", "");
  test::write_file(run.dir / "bad/latin1.txt", "na\xefve text\n");
  const std::string ck = " --checkpoint " + run.run_dir;
  const std::string data = " --data " + run.heldout;
  struct Case {
    std::string args, message;
  } cases[] = {
      {"eval --checkpoint " + (run.dir / "nowhere") + data, "is not a directory"},
      {"eval --checkpoint " + (run.dir / "corpus") + data, "holds no intact checkpoint"},
      {"eval" + ck + " --data " + (run.dir / "bad/empty.txt"), "is empty (0 bytes)"},
      {"eval" + ck + " --data " + (run.dir / "bad/latin1.txt"), "is not valid UTF-8 (byte offset 2)"},
      {"eval" + ck + " --data " + (run.dir / "missing.txt"), "missing.txt"},
      {"eval" + ck + data + " --context 0", "--context is 0"},
      {"eval" + ck + data + " --stride 0", "--stride is 0"},
      {"eval" + ck + data + " --context 8 --stride 9", "--stride 9 is larger than --context 8"},
      {"eval" + ck + data + " --batch 0", "--batch is 0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const ln::test::CommandResult r = eval_cli(c.args + " -q");
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, c.message));
    CHECK(r.err.rfind("longnet: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("longnet eval --validation-split: the documents training held out") {
  test::TrainedRun& run = test::trained_run();
  const ln::test::CommandResult r =
      eval_cli("eval --checkpoint " + run.run_dir + " --validation-split --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const JsonValue j = parse_json(r.out, "eval output");
  const auto& files = j.find("methods")->items.at(0).find("files")->items;
  REQUIRE(files.size() == 1);  // 3 documents (one per file), val_fraction 0.34: one held out

  // Independently: the token cache training used, and its split.
  TrainedModel trained = load_trained_model(run.run_dir);
  const TokenCache cache =
      ensure_token_cache(trained.config.data.train, trained.tokenizer, trained.config.data.cache_dir);
  const TokenFile tokens = TokenFile::open(cache.path);
  const DataSplit split =
      split_by_document(tokens.document_offsets(), 0.34, uint64_t(trained.config.train.seed));
  REQUIRE(split.val_documents.size() == 1);
  const TokenSource& source = tokens.sources().at(size_t(split.val_documents[0]));
  CHECK(std::filesystem::path(files[0].find("path")->text).filename() ==
        std::filesystem::path(source.path).filename());
  CHECK(number(files[0], "tokens") == double(total_tokens(split.val)));
  CHECK(number(files[0], "bytes") == double(source.size));
  CHECK(contains(j.find("notes")->items.at(0).text, "validation split"));

  // A run without a validation split says so.
  trained.config.data.val_fraction = 0;
  try {
    validation_split_texts(trained);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(contains(e.message(), "data.val_fraction 0"));
  }
}

TEST_CASE("longnet eval: a checkpoint whose tokenizer was replaced is refused") {
  test::TrainedRun& run = test::trained_run();
  // A verified checkpoint (its manifest is rewritten) holding a different tokenizer than the
  // one its state.json records.
  TokenizerTrainOptions options;
  options.vocab_size = 320;
  options.num_threads = 2;
  Tokenizer::train(options, {run.dir / "corpus/part0.txt"}, run.dir / "other.model");
  CheckpointData data = read_checkpoint(*latest_intact_checkpoint(run.run_dir));
  data.tokenizer_path = run.dir / "other.model";
  const std::string swapped = write_checkpoint(run.dir / "swapped", data.step, data);
  const ln::test::CommandResult r =
      eval_cli("eval --checkpoint " + swapped + " --data " + run.heldout + " -q");
  CHECK(r.code == 2);
  CHECK(contains(r.err, "tokenizer.model has sha256"));
  CHECK(contains(r.err, "tokenizer was replaced"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE(
    "longnet eval --per-token: every prediction of the last method, the library's losses, JSON-escaped "
    "pieces") {
  test::TrainedRun& run = test::trained_run();
  const std::string path = run.dir / "per_token.tsv";
  const ln::test::CommandResult r = eval_cli("eval -m " + run.run_dir + " -f " + run.heldout +
                                             " -c 32 --stride 8 --per-token " + path + " --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "\"per_token_file\":"));
  TrainedModel trained = load_trained_model(run.run_dir);
  const EvalText text = read_eval_text(run.heldout, trained.tokenizer, DocumentSeparator::file);
  // The sliding method's losses, prediction by prediction (stream_token_losses scores each
  // prediction with the window that scores it).
  const std::vector<double> want =
      stream_token_losses(*trained.model, text.tokens, plan_windows(int64_t(text.tokens.size()), 32, 8), 1);
  const std::string tsv = test::read_file(path);
  std::vector<std::string> lines;
  for (size_t a = 0, b; a < tsv.size(); a = b + 1) {
    b = tsv.find('\n', a);
    lines.push_back(tsv.substr(a, b - a));
  }
  REQUIRE(lines.size() == want.size() + 2);
  CHECK(contains(lines[0], "sliding windows, context 32, stride 8"));
  CHECK(lines[1] == "file\tindex\tposition\ttoken\tpiece\tloss");
  for (size_t t = 0; t < want.size(); ++t) {
    CAPTURE(t);
    std::vector<std::string> cols;
    for (size_t a = 0, b = 0; b != std::string::npos; a = b + 1) {
      b = lines[t + 2].find('\t', a);
      cols.push_back(lines[t + 2].substr(a, b == std::string::npos ? b : b - a));
    }
    REQUIRE(cols.size() == 6);
    CHECK(std::stoll(cols[1]) == int64_t(t + 1));
    CHECK(std::stoi(cols[3]) == text.tokens[t + 1]);
    CHECK(cols[4].front() == '"');
    CHECK(std::stod(cols[5]) == doctest::Approx(want[t]).epsilon(1e-5));
    // History: the first window scores rows 1..32, later windows their last 8 (>= 25 tokens back).
    const int64_t position = std::stoll(cols[2]);
    CHECK((t < 32 ? position == int64_t(t + 1) : position >= 25));
  }
  // A folder that does not exist is refused before any work.
  const ln::test::CommandResult bad =
      eval_cli("eval -m " + run.run_dir + " -f " + run.heldout + " --per-token /nonexistent/x.tsv -q");
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "--per-token /nonexistent/x.tsv: the folder /nonexistent does not exist"));
}

TEST_CASE("longnet eval: Ctrl-C prints what was scored so far, marked partial, with the time") {
  test::TrainedRun& run = test::trained_run();
  const std::string long_text = run.dir / "long/long.txt";
  if (!std::filesystem::exists(long_text)) test::write_file(long_text, test::generated_text(4000, 5));
  for (const bool json : {false, true}) {
    CAPTURE(json);
    std::vector<std::string> args = {"eval", "-m",       run.run_dir, "-f",        long_text, "-c",
                                     "16",   "--stride", "1",         "--threads", "1"};
    if (json) args.push_back("--json");
    const std::string log = run.dir / (json ? "ctrl-c-json.log" : "ctrl-c.log");
    const pid_t pid = test::spawn_longnet(args, log);
    REQUIRE(test::wait_for_handler(pid, SIGINT, 60000));  // installed once the text is tokenized
    ::usleep(300000);
    ::kill(pid, SIGINT);
    const test::ExitStatus status = test::wait_for(pid);
    const std::string out = test::read_file(log);
    INFO(out.substr(0, 3000));
    CHECK(status.code == 128 + SIGINT);
    CHECK(contains(out, "longnet: SIGINT received: stopping: printing what was scored so far"));
    CHECK(contains(out, "partial: interrupted after "));
    if (json) {
      const size_t brace = out.find("{\"checkpoint\"");
      REQUIRE(brace != std::string::npos);
      const JsonValue report = parse_json(out.substr(brace, out.find('\n', brace) - brace), "eval --json");
      CHECK(report.find("partial")->boolean);
      const JsonValue& file = report.find("methods")->items[0].find("files")->items[0];
      CHECK(std::stoll(file.find("tokens")->text) > 0);  // what was scored so far
      CHECK(std::stod(report.find("seconds")->text) > 0);
    } else {
      CHECK(contains(out, "long.txt"));
      CHECK(contains(out, " s (partial: interrupted)\n"));
    }
  }
}

TEST_CASE("longnet eval --by-position x.svg writes x.svg and x.json, not x.svg.svg") {
  test::TrainedRun& run = test::trained_run();
  const ln::test::CommandResult r = eval_cli("eval --checkpoint " + run.run_dir + " --data " + run.heldout +
                                             " --by-position " + (run.dir / "named/curve.svg") + " -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::exists(run.dir / "named/curve.svg"));
  CHECK(std::filesystem::exists(run.dir / "named/curve.json"));
  CHECK_FALSE(std::filesystem::exists(run.dir / "named/curve.svg.svg"));
  CHECK_FALSE(std::filesystem::exists(run.dir / "named/curve.svg.json"));
}

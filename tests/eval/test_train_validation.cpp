// Training's end-of-run validation and `longnet eval --validation-split` score the same
// predictions the same way: their losses agree to 1e-6 (issue: two perplexities for one split).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "config/config.hpp"
#include "eval/eval_run.hpp"
#include "run/trained_model.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"
#include "train/trainer.hpp"

using namespace ln;

namespace {

// A tiny dilated model on dir/corpus, validated every 2 steps (one batch) and at the end.
Config tiny_config(const test::TempDir& dir, double val_fraction, int64_t steps) {
  Config c;
  c.model.d_model = 32;
  c.model.layers = 1;
  c.model.heads = 2;
  c.model.mlp_ratio = 2;
  c.attention.segments = {8, 16};
  c.attention.dilations = {1, 2};
  c.tokenizer.vocab_size = 300;
  c.data.train = {dir / "corpus"};
  c.data.cache_dir = dir / "cache";
  c.data.seq_len = 16;
  c.data.val_fraction = val_fraction;
  c.train.steps = steps;
  c.train.batch_size = 2;
  c.train.warmup_steps = 1;
  c.train.eval_every = 2;
  c.train.eval_batches = 1;
  c.train.save_every = 0;
  c.train.out_dir = dir / "run";
  validate_config(c);
  return c;
}

TrainResult train_quietly(const Config& c) {
  TrainOptions quiet;
  quiet.quiet = true;
  return train(c, quiet);
}

// `longnet eval --validation-split` of the run in `run_dir`, as a library call.
EvalReport eval_validation_split(const std::string& run_dir) {
  TrainedModel trained = load_trained_model(run_dir);
  EvalSettings settings;
  settings.validation_split = true;
  settings.progress = false;
  return run_eval(trained, settings);
}

}  // namespace

TEST_CASE("the final validation of training equals eval --validation-split to 1e-6") {
  test::TempDir dir;
  test::write_corpus(dir / "corpus", "part", 6, 90, 40);
  const Config c = tiny_config(dir, 0.34, 4);  // two of the six files held out
  TrainResult r = train_quietly(c);
  REQUIRE(r.val_whole_split);

  std::vector<MetricsRecord> vals;
  for (const auto& rec : read_metrics(c.train.out_dir + "/metrics.jsonl")) {
    if (rec.strings.count("kind") && rec.strings.at("kind") == "val") vals.push_back(rec);
  }
  REQUIRE(vals.size() == 2);
  CHECK(vals[0].strings.at("scope") == "subset");  // step 2: train.eval_batches windows
  CHECK(vals[0].number("val_tokens", 0) == 2 * 16);
  CHECK(vals[1].strings.at("scope") == "split");  // step 4, the end: every prediction

  const EvalReport report = eval_validation_split(c.train.out_dir);
  REQUIRE(!report.methods.empty());
  const MethodResult& m = report.methods.front();
  REQUIRE(m.name == "non_overlapping");
  CHECK(m.files.size() == 2);
  CHECK(r.val_tokens == m.all.loss.tokens());
  CHECK(std::fabs(r.val_loss - m.all.loss.mean_loss()) < 1e-6);
  CHECK(std::fabs(vals[1].number("val_loss", 0) - m.all.loss.mean_loss()) < 1e-6);
}

// Issue 20 point 2: with one training file (one document) the held-out part is the tail of that
// document. Training's final validation scored the whole file (training tokens too, "(N of M
// validation tokens, all)" with N >> M) while eval --validation-split refused the run. Both now
// read the held-out streams of score/held_out.hpp: only the tail is scored, and the two agree.
TEST_CASE("a one-document corpus: the final validation scores only the held-out tail and equals eval") {
  test::TempDir dir;
  test::write_corpus(dir / "corpus", "only", 1, 200, 7);
  const Config c = tiny_config(dir, 0.05, 2);
  TrainResult r = train_quietly(c);
  REQUIRE(r.val_whole_split);
  CHECK(r.val_split_tokens > 0);
  CHECK(r.val_tokens == r.val_split_tokens);  // the held-out tokens, each predicted once

  const EvalReport report = eval_validation_split(c.train.out_dir);
  REQUIRE(!report.methods.empty());
  const MethodResult& m = report.methods.front();
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0].documents == 0);  // a part of the one document
  CHECK(m.files[0].bytes > 0);
  CHECK(m.all.loss.tokens() == r.val_split_tokens);
  CHECK(r.val_loss == m.all.loss.mean_loss());  // the same scorer on the same streams
}

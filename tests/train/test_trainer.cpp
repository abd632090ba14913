// End-to-end tests of the training loop on a tiny generated corpus: the loss falls, resume is
// exact (bit-identical weights), a damaged checkpoint is skipped, bad data is refused.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "core/error.hpp"
#include "run/checkpoint.hpp"
#include "run/safetensors.hpp"
#include "score/held_out.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"
#include "train/metrics_log.hpp"
#include "train/trainer.hpp"

using namespace ln;
namespace fs = std::filesystem;

namespace {

// A tiny model on a tiny corpus: a full run takes well under a second per step.
Config tiny_config(const test::TempDir& dir, const std::string& run) {
  Config c = test::tiny_run_config(dir, run);
  c.model.dropout = 0.1;  // exercises the dropout streams in the resume test
  c.tokenizer.model = "";
  c.train.batch_size = 4;
  c.train.grad_accum = 2;
  c.train.eval_batches = 2;
  validate_config(c);
  return c;
}

std::vector<std::pair<std::string, std::vector<float>>> final_weights(const std::string& checkpoint) {
  SafetensorsFile file = load_safetensors(checkpoint + "/model.safetensors");
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (const auto& name : file.names) out.emplace_back(name, file.at(name).to_vector());
  return out;
}

}  // namespace

TEST_CASE("training on a tiny corpus lowers the validation loss") {
  test::TempDir dir;
  Config c = tiny_config(dir, "run");
  c.model.dropout = 0;
  c.train.steps = 40;
  c.train.warmup_steps = 4;
  c.train.eval_every = 20;
  c.train.save_every = 0;
  TrainResult r = train(c, TrainOptions{"never", true});
  CHECK(r.step == 40);
  auto records = read_metrics(c.train.out_dir + "/metrics.jsonl");
  std::vector<double> train_losses, val_losses;
  for (const auto& rec : records) {
    if (rec.has_number("loss")) train_losses.push_back(rec.number("loss", 0));
    if (rec.has_number("val_loss")) val_losses.push_back(rec.number("val_loss", 0));
  }
  REQUIRE(train_losses.size() == 40);
  REQUIRE(val_losses.size() == 2);
  // A uniform guess over 400 tokens costs ln 400 = 5.99 nats; the first step is near it.
  CHECK(train_losses.front() == doctest::Approx(std::log(400.0)).epsilon(0.1));
  CHECK(train_losses.back() < train_losses.front() - 1.0);
  CHECK(val_losses.back() < std::log(400.0) - 1.0);
  CHECK(fs::exists(c.train.out_dir + "/loss.svg"));
  CHECK(fs::exists(c.train.out_dir + "/config.yaml"));
}

TEST_CASE("the unigram baseline is the cross-entropy of add-one smoothed train frequencies") {
  // Train "0 0 1", validation "1 2", V = 3: smoothed counts 3, 2, 1 of 6, so the loss is
  // (-ln(2/6) - ln(1/6)) / 2 = (ln 3 + ln 6) / 2.
  const uint32_t tokens[] = {0, 0, 1, 1, 2};
  CHECK(unigram_loss(tokens, {{0, 3}}, {{3, 5}}, 3) == doctest::Approx((std::log(3.0) + std::log(6.0)) / 2));
  CHECK(std::isnan(unigram_loss(tokens, {{0, 5}}, {}, 3)));
}

TEST_CASE("resume is exact: k steps + resume + k steps equals 2k steps bit for bit") {
  test::TempDir dir;
  Config straight = tiny_config(dir, "straight");
  TrainResult a = train(straight, TrainOptions{"never", true});
  REQUIRE(a.step == 6);

  Config split = tiny_config(dir, "split");
  TrainResult first = train(split, TrainOptions{"auto", true, 3});
  CHECK(first.step == 3);
  CHECK(first.stopped_early);
  TrainResult second = train(split, TrainOptions{"auto", true});
  CHECK(second.step == 6);
  CHECK(final_weights(a.checkpoint) == final_weights(second.checkpoint));
  // The optimizer state matches too.
  SafetensorsFile oa = load_safetensors(a.checkpoint + "/optimizer.safetensors");
  SafetensorsFile ob = load_safetensors(second.checkpoint + "/optimizer.safetensors");
  REQUIRE(oa.names == ob.names);
  for (const auto& name : oa.names) CHECK(oa.at(name).to_vector() == ob.at(name).to_vector());
  // The resumed run's log has each step once.
  int steps_logged = 0;
  for (const auto& rec : read_metrics(split.train.out_dir + "/metrics.jsonl"))
    steps_logged += rec.has_number("loss");
  CHECK(steps_logged == 6);
}

TEST_CASE("resume skips a damaged checkpoint and falls back to the previous one") {
  test::TempDir dir;
  Config straight = tiny_config(dir, "straight");
  TrainResult a = train(straight, TrainOptions{"never", true});

  Config c = tiny_config(dir, "damaged");
  TrainResult first = train(c, TrainOptions{"auto", true, 4});  // checkpoints at steps 2 and 4
  REQUIRE(first.step == 4);
  const std::string newest = c.train.out_dir + "/" + checkpoint_dir_name(4);
  {
    std::fstream f(newest + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    char byte = 0;
    f.read(&byte, 1);
    f.seekp(200);
    byte ^= 0x5a;
    f.write(&byte, 1);
  }
  CHECK(checkpoint_problem(newest).has_value());
  TrainResult resumed = train(c, TrainOptions{"auto", true});  // from step 2
  CHECK(resumed.step == 6);
  CHECK(final_weights(a.checkpoint) == final_weights(resumed.checkpoint));
}

TEST_CASE("a checkpoint of another model is not resumed silently") {
  test::TempDir dir;
  Config c = tiny_config(dir, "run");
  train(c, TrainOptions{"auto", true, 2});
  Config other = c;
  other.model.layers = 3;
  CHECK_THROWS_WITH_AS(train(other, TrainOptions{"auto", true}),
                       doctest::Contains("model.layers (2 in the run, 3 now)"), Error);
  // An explicit --resume of a missing directory is refused too.
  CHECK_THROWS_AS(train(c, TrainOptions{dir / "nowhere", true}), Error);
}

TEST_CASE("training data problems are refused with a clear message") {
  test::TempDir dir;
  Config c = tiny_config(dir, "run");
  c.data.train = {dir / "missing-corpus"};
  CHECK_THROWS_WITH_AS(train(c, TrainOptions{"never", true}), doctest::Contains("does not exist"), Error);
  Config big = tiny_config(dir, "run2");
  big.data.seq_len = 1 << 20;  // longer than the corpus
  big.attention.segments = {8, 16, 1 << 20};
  CHECK_THROWS_AS(train(big, TrainOptions{"never", true}), Error);
}

// The life of a run folder (lib/train/trainer.hpp): resume keeps the run's config, schedule
// changes continue the curve, a finished run does nothing, --init-from, the folder lock,
// leftovers of a crash, and checkpoints that cannot be trusted are refused without losing a byte.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>

#include "config/config.hpp"
#include "config/lr_schedule.hpp"
#include "core/error.hpp"
#include "run/checkpoint.hpp"
#include "run/run_folder.hpp"
#include "run/run_state.hpp"
#include "run/safetensors.hpp"
#include "run/trained_model.hpp"
#include "support/error_message.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"
#include "train/metrics_log.hpp"
#include "train/trainer.hpp"

using namespace ln;
namespace fs = std::filesystem;

namespace {

Config checked_tiny_config(const test::TempDir& dir, const std::string& run) {
  Config c = test::tiny_run_config(dir, run);
  validate_config(c);
  return c;
}

TrainOptions quiet(const std::string& resume = "auto", int64_t stop_after = 0) {
  TrainOptions o;
  o.resume = resume;
  o.quiet = true;
  o.stop_after = stop_after;
  return o;
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = test::read_file(e.path().string());
  }
  return out;
}

void flip_byte(const std::string& path, std::streamoff at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(at);
  char byte = 0;
  f.read(&byte, 1);
  f.seekp(at);
  byte = static_cast<char>(byte ^ 0x5a);
  f.write(&byte, 1);
}

std::vector<float> weights_of(const std::string& checkpoint) {
  SafetensorsFile file = load_safetensors(checkpoint + "/model.safetensors");
  std::vector<float> all;
  for (const auto& name : file.names) {
    auto v = file.at(name).to_vector();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// The train rows' lr by step.
std::map<int64_t, double> lr_by_step(const std::string& run_dir) {
  std::map<int64_t, double> out;
  for (const auto& rec : read_metrics(run_dir + "/metrics.jsonl")) {
    if (rec.strings.count("kind") && rec.strings.at("kind") == "train")
      out[*rec.step()] = rec.number("lr", -1);
  }
  return out;
}

}  // namespace

TEST_CASE("a resumed run survives keep_last pruning the checkpoint it resumed from") {
  // Issue 11.1: the tokenizer was re-read at each save from the resumed checkpoint's folder.
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  c.train.save_every = 2;
  c.train.keep_last = 1;
  c.train.eval_every = 0;
  REQUIRE(train(c, quiet("auto", 2)).step == 2);
  TrainResult r = train(c, quiet());
  CHECK(r.step == 6);
  CHECK(list_checkpoints(c.train.out_dir).size() == 1);
  CHECK_FALSE(checkpoint_problem(r.checkpoint));
  CHECK(fs::exists(r.checkpoint + "/tokenizer.model"));
}

TEST_CASE("when every checkpoint is damaged, train refuses and keeps every byte") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  c.train.eval_every = 0;
  REQUIRE(train(c, quiet("auto", 4)).step == 4);  // step-2 and step-4
  for (const auto& entry : list_checkpoints(c.train.out_dir))
    flip_byte(entry.path + "/optimizer.safetensors", 100);
  const auto before = snapshot(c.train.out_dir);
  const std::string msg = ln::test::error_message([&] { train(c, quiet()); });
  CHECK(msg.find("no intact checkpoint in " + c.train.out_dir + "; 2 damaged: step-000000004: ") == 0);
  CHECK(msg.find("--resume never") != std::string::npos);
  CHECK(snapshot(c.train.out_dir) == before);
  // --resume never in the same folder is refused too: it would prune the damaged checkpoints.
  CHECK(ln::test::error_message([&] { train(c, quiet("never")); }).find("choose a new train.out_dir") !=
        std::string::npos);
  CHECK(snapshot(c.train.out_dir) == before);
}

TEST_CASE("damaged checkpoints are moved aside, never overwritten or pruned") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  c.train.save_every = 1;
  c.train.keep_last = 2;
  REQUIRE(train(c, quiet("auto", 4)).step == 4);  // keeps step-3 and step-4
  const std::string newest = c.train.out_dir + "/" + checkpoint_dir_name(4);
  flip_byte(newest + "/model.safetensors", 300);
  const auto damaged = snapshot(newest);
  TrainResult r = train(c, quiet());  // resumes from step 3
  CHECK(r.step == 6);
  const std::string aside = c.train.out_dir + "/damaged-" + checkpoint_dir_name(4);
  REQUIRE(fs::is_directory(aside));
  CHECK(snapshot(aside) == damaged);
  CHECK_FALSE(fs::exists(newest));  // pruned after step 4 was trained again: the copy aside stays

  // An older damaged checkpoint, with an explicit --resume: moved aside too, where pruning
  // would have deleted it.
  Config d = checked_tiny_config(dir, "other");
  d.train.save_every = 1;
  d.train.keep_last = 2;
  REQUIRE(train(d, quiet("auto", 2)).step == 2);  // step-1, step-2
  const std::string old_one = d.train.out_dir + "/" + checkpoint_dir_name(1);
  flip_byte(old_one + "/optimizer.safetensors", 100);
  const auto old_bytes = snapshot(old_one);
  REQUIRE(train(d, quiet(d.train.out_dir + "/" + checkpoint_dir_name(2))).step == 6);
  REQUIRE(fs::is_directory(d.train.out_dir + "/damaged-" + checkpoint_dir_name(1)));
  CHECK(snapshot(d.train.out_dir + "/damaged-" + checkpoint_dir_name(1)) == old_bytes);
}

TEST_CASE("checkpoints whose manifest was recomputed are still checked") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  c.train.eval_every = 0;
  REQUIRE(train(c, quiet("auto", 2)).step == 2);
  const std::string ckpt = c.train.out_dir + "/" + checkpoint_dir_name(2);
  const CheckpointData good = read_checkpoint(ckpt);

  SUBCASE("NaN weights are refused by train and by eval/generate's loader") {
    CheckpointData bad = good;
    bad.model[0].second.data()[0] = std::nanf("");
    write_checkpoint(c.train.out_dir, 2, bad);  // a fresh manifest over the bad weights
    CHECK(ln::test::error_message([&] {
            train(c, quiet());
          }).find("non-finite weights (tensor '" + bad.model[0].first) != std::string::npos);
    CHECK(ln::test::error_message([&] { load_trained_model(c.train.out_dir); }).find("non-finite weights") !=
          std::string::npos);
  }
  SUBCASE("a state.json step that disagrees with the folder is refused") {
    CheckpointData bad = good;
    const size_t at = bad.state_json.find("\"step\": 2");
    REQUIRE(at != std::string::npos);
    bad.state_json.replace(at, 9, "\"step\": 1000");
    write_checkpoint(c.train.out_dir, 2, bad);
    CHECK(checkpoint_problem(ckpt) == "state.json says step 1000 but MANIFEST.json says step 2");
    CHECK(ln::test::error_message([&] { train(c, quiet()); }).find("no intact checkpoint") == 0);
  }
  SUBCASE("a replaced tokenizer is refused by train") {
    CheckpointData bad = good;
    bad.tokenizer_path.clear();
    // Another valid tokenizer: the one of a run with a different vocabulary.
    Config other = checked_tiny_config(dir, "other");
    other.tokenizer.vocab_size = 300;
    other.data.cache_dir = dir / "cache2";
    other.train.eval_every = 0;
    train(other, quiet("auto", 1));
    bad.tokenizer_bytes = test::read_file(other.train.out_dir + "/tokenizer.model");
    write_checkpoint(c.train.out_dir, 2, bad);
    CHECK(ln::test::error_message([&] { train(c, quiet()); }).find("tokenizer.model has sha256") !=
          std::string::npos);
  }
}

TEST_CASE("a run folder has one trainer: a second is refused naming the holder") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  RunFolderLock held(c.train.out_dir);
  CHECK(ln::test::error_message([&] { train(c, quiet()); }) ==
        "run folder " + c.train.out_dir + " in use by pid " + std::to_string(::getpid()) +
            " (another longnet train); wait for it to finish, stop it, or use another train.out_dir");
  CHECK(list_checkpoints(c.train.out_dir).empty());
}

TEST_CASE("leftovers of a killed trainer are removed at start; live ones in the shared cache are kept") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  c.train.steps = 1;
  c.train.warmup_steps = 0;
  const std::string run = c.train.out_dir;
  test::write_file(run + "/config.yaml.tmp.4242", "x");
  test::write_file(run + "/metrics.jsonl.tmp.77", "x");
  test::write_file(run + "/tokenizer.model.tmp", "x");
  test::write_file(run + "/.tmp-step-000000002/model.safetensors", "x");
  test::write_file(c.data.cache_dir + "/tokens-abc.bin.tmp.4000000000", "dead writer");
  const std::string live = c.data.cache_dir + "/tokens-abc.bin.tmp." + std::to_string(::getpid());
  test::write_file(live, "live writer");
  test::write_file(run + "/notes.txt", "the user's");
  train(c, quiet());
  CHECK_FALSE(fs::exists(run + "/config.yaml.tmp.4242"));
  CHECK_FALSE(fs::exists(run + "/metrics.jsonl.tmp.77"));
  CHECK_FALSE(fs::exists(run + "/tokenizer.model.tmp"));
  CHECK_FALSE(fs::exists(run + "/.tmp-step-000000002"));
  CHECK_FALSE(fs::exists(c.data.cache_dir + "/tokens-abc.bin.tmp.4000000000"));
  CHECK(fs::exists(live));
  CHECK(fs::exists(run + "/notes.txt"));
}

TEST_CASE("an out_dir that cannot be created is one clear error") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  test::write_file(dir / "a-file", "not a directory");
  c.train.out_dir = dir / "a-file/run";
  CHECK(ln::test::error_message([&] {
          train(c, quiet());
        }).find("cannot create train.out_dir '" + c.train.out_dir + "'") == 0);
}

TEST_CASE("resume keeps the run's config: other model/data keys are refused, train keys need --set") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  REQUIRE(train(c, quiet("auto", 2)).step == 2);

  Config changed = c;
  changed.model.d_model = 64;
  changed.data.seq_len = 16;
  changed.attention.segments = {8, 16, 16};
  const std::string msg = ln::test::error_message([&] { train(changed, quiet()); });
  CHECK(msg.find("with a different model, data or tokenizer: model.d_model (32 in the run, 64 now)") !=
        std::string::npos);
  CHECK(msg.find("data.seq_len (32 in the run, 16 now)") != std::string::npos);

  Config longer = c;
  longer.train.steps = 10;
  CHECK(ln::test::error_message([&] { train(longer, quiet()); }).find("train.steps (6 in the run, 10 now)") !=
        std::string::npos);
  // A lower train.steps than the checkpoint is an error even with --set.
  Config shorter = c;
  shorter.train.steps = 1;
  TrainOptions o = quiet();
  o.overrides = {"train.steps=1"};
  CHECK(ln::test::error_message([&] { train(shorter, o); }).find("train.steps 1 is below the step of") == 0);
  CHECK(list_checkpoints(c.train.out_dir).back().step == 2);

  // Without --config the run's own config is used: the defaults' model does not matter.
  Config defaults;
  defaults.train.out_dir = c.train.out_dir;
  defaults.data.cache_dir = c.data.cache_dir;
  TrainOptions own = quiet();
  own.config_given = false;
  CHECK(train(defaults, own).step == 6);
}

TEST_CASE("extending train.steps on resume continues the schedule from the current step") {
  test::TempDir dir;
  Config straight = checked_tiny_config(dir, "straight");
  train(straight, quiet());
  const auto uninterrupted = lr_by_step(straight.train.out_dir);

  Config c = checked_tiny_config(dir, "extended");
  REQUIRE(train(c, quiet("auto", 3)).step == 3);
  Config longer = c;
  longer.train.steps = 10;
  TrainOptions o = quiet();
  o.overrides = {"train.steps=10"};
  TrainResult r = train(longer, o);
  CHECK(r.step == 10);
  const auto lr = lr_by_step(c.train.out_dir);
  REQUIRE(lr.size() == 10);
  // Row step s logs the lr of 0-based step s - 1. Steps before and at the resume: unchanged.
  for (int64_t s = 1; s <= 4; ++s) CHECK(lr.at(s) == doctest::Approx(uninterrupted.at(s)).epsilon(1e-8));
  // Then the cosine from lr(3) of the old schedule down to min_lr at step 10.
  LrSchedule old_s{LrScheduleKind::cosine, 3e-3, 3e-4, 2, 6, 1.0};
  const double l0 = learning_rate(3, old_s);
  for (int64_t s = 4; s <= 10; ++s) {
    const double p = static_cast<double>(s - 1 - 3) / 7.0;
    CHECK(lr.at(s) ==
          doctest::Approx(3e-4 + (l0 - 3e-4) * 0.5 * (1 + std::cos(std::numbers::pi * p))).epsilon(1e-6));
  }
  // Now at train.steps: the run is finished.
  Config more = c;
  more.train.steps = 10;
  TrainOptions o2 = quiet();
  o2.overrides = {"train.steps=10"};
  CHECK(train(more, o2).finished_already);
}

TEST_CASE("a finished run does nothing and says so") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  REQUIRE(train(c, quiet()).step == 6);
  const auto before = snapshot(c.train.out_dir);
  TrainResult again = train(c, quiet());
  CHECK(again.finished_already);
  CHECK(again.step == 6);
  CHECK(again.checkpoint == c.train.out_dir + "/" + checkpoint_dir_name(6));
  auto after = snapshot(c.train.out_dir);
  after.erase("train.lock");
  auto expected = before;
  expected.erase("train.lock");
  CHECK(after == expected);
}

TEST_CASE("--init-from starts a new run at step 0 from the source's weights and tokenizer") {
  test::TempDir dir;
  Config src = checked_tiny_config(dir, "source");
  TrainResult a = train(src, quiet());
  REQUIRE(a.step == 6);

  Config ft = checked_tiny_config(dir, "finetune");
  ft.train.steps = 1;
  ft.train.warmup_steps = 0;
  ft.train.lr = 1e-12;  // one step that barely moves the weights
  ft.train.min_lr = 0;
  ft.train.eval_every = 0;
  ft.tokenizer.vocab_size = 300;  // ignored: the tokenizer comes with the weights
  TrainOptions o = quiet();
  o.init_from = src.train.out_dir;
  TrainResult b = train(ft, o);
  CHECK(b.step == 1);
  auto rows = read_metrics(ft.train.out_dir + "/metrics.jsonl");
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0].strings.at("kind") == "run");
  CHECK(rows[0].strings.at("init_from") == a.checkpoint);
  CHECK(rows[1].number("step", -1) == 1);
  const auto wa = weights_of(a.checkpoint), wb = weights_of(b.checkpoint);
  REQUIRE(wa.size() == wb.size());
  double max_diff = 0;
  for (size_t i = 0; i < wa.size(); ++i) max_diff = std::max(max_diff, double(std::fabs(wa[i] - wb[i])));
  CHECK(max_diff < 1e-6);
  CHECK(test::read_file(b.checkpoint + "/tokenizer.model") ==
        test::read_file(a.checkpoint + "/tokenizer.model"));

  Config wrong = checked_tiny_config(dir, "wrong");
  wrong.model.layers = 3;
  TrainOptions ow = quiet();
  ow.init_from = src.train.out_dir;
  CHECK(ln::test::error_message([&] {
          train(wrong, ow);
        }).find("its model has a different shape: model.layers (2 in the source, 3 now)") !=
        std::string::npos);

  // Attention patterns carry no weights: a dilated source continues as a dense model (and back),
  // the curriculum of docs/retrieval.md. The weights arrive unchanged.
  Config dense = checked_tiny_config(dir, "dense");
  dense.attention.kind = AttentionKind::dense;
  dense.train.steps = 1;
  dense.train.warmup_steps = 0;
  dense.train.lr = 1e-12;
  dense.train.min_lr = 0;
  dense.train.eval_every = 0;
  validate_config(dense);
  TrainResult c = train(dense, o);
  CHECK(c.step == 1);
  const auto wc = weights_of(c.checkpoint);
  REQUIRE(wc.size() == wa.size());
  double dense_diff = 0;
  for (size_t i = 0; i < wa.size(); ++i) dense_diff = std::max(dense_diff, double(std::fabs(wa[i] - wc[i])));
  CHECK(dense_diff < 1e-6);
}

TEST_CASE("model.q_conv: a run trains its query taps and reloads with them; --init-from needs the same") {
  test::TempDir dir;
  auto conv_config = [&](const std::string& run, bool q_conv) {
    Config c = test::tiny_run_config(dir, run);
    c.model.kv_conv = 3;
    c.model.q_conv = q_conv;
    validate_config(c);
    return c;
  };
  Config with = conv_config("with", true);
  TrainResult a = train(with, quiet());
  REQUIRE(a.step == 6);
  TrainedModel loaded = load_trained_model(a.checkpoint);
  CHECK(loaded.spec.q_conv);
  CHECK(loaded.spec.kv_conv == 3);
  const SafetensorsFile file = load_safetensors(a.checkpoint + "/model.safetensors");
  int q_taps = 0;
  for (const auto& [name, var] : loaded.model->parameters()) {
    if (name.find("q_conv.taps") == std::string::npos) continue;
    ++q_taps;
    CAPTURE(name);
    const std::vector<float> taps = var.value().to_vector();
    CHECK(taps == file.at(name).to_vector());
    // Started at 0; the optimizer moved them.
    CHECK(std::any_of(taps.begin(), taps.end(), [](float t) { return t != 0.0f; }));
  }
  CHECK(q_taps == 2);

  // The query taps are weights: a run without them cannot start from one with them, nor back.
  Config plain = conv_config("plain", false);
  TrainResult b = train(plain, quiet());
  REQUIRE(b.step == 6);
  TrainOptions from_plain = quiet(), from_with = quiet();
  from_plain.init_from = plain.train.out_dir;
  from_with.init_from = with.train.out_dir;
  CHECK(ln::test::error_message([&] {
          train(conv_config("into_with", true), from_plain);
        }).find("its model has a different shape: model.q_conv (false in the source, true now)") !=
        std::string::npos);
  CHECK(ln::test::error_message([&] {
          train(conv_config("into_plain", false), from_with);
        }).find("its model has a different shape: model.q_conv (true in the source, false now)") !=
        std::string::npos);
}

TEST_CASE("metrics.jsonl: a kind on every row, a run header, cumulative elapsed_s, a summary") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  REQUIRE(train(c, quiet("auto", 3)).step == 3);
  train(c, quiet());
  const auto rows = read_metrics(c.train.out_dir + "/metrics.jsonl");
  REQUIRE(!rows.empty());
  std::map<std::string, int> kinds;
  double last_elapsed = 0;
  for (const auto& r : rows) {
    REQUIRE(r.strings.count("kind"));
    const std::string kind = r.strings.at("kind");
    ++kinds[kind];
    if (kind == "train") {
      CHECK(r.number("elapsed_s", -1) >= last_elapsed);  // never restarts at a resume
      last_elapsed = r.number("elapsed_s", -1);
    }
  }
  CHECK(rows.front().strings.at("kind") == "run");
  CHECK(rows.front().strings.at("version") == "0.1.0");
  CHECK(rows.front().strings.at("config_sha256").size() == 64);
  CHECK(kinds["run"] == 2);
  CHECK(kinds["train"] == 6);
  CHECK(kinds["val"] == 2);         // step 3 (eval_every and the stop), step 6
  CHECK(kinds["checkpoint"] >= 3);  // 2, 3 (stop), 4, 6
  CHECK(kinds["summary"] == 2);
  const auto& summary = rows.back();
  CHECK(summary.strings.at("kind") == "summary");
  CHECK(summary.number("step", 0) == 6);
  CHECK(std::isfinite(summary.number("best_val_loss", NAN)));
  CHECK(std::isfinite(summary.number("baseline_val_loss", NAN)));
  CHECK(summary.number("tokens", 0) == 6 * 2 * 32);

  // The resolved config, with the tokenizer's vocabulary size, is in the weights' metadata.
  SafetensorsFile weights =
      load_safetensors(c.train.out_dir + "/" + checkpoint_dir_name(6) + "/model.safetensors");
  Config stored = parse_config_yaml(weights.metadata.at("config"), "metadata");
  CHECK(stored.model.vocab_size == weights.at("tok_embeddings.weight").shape()[0]);
  CHECK(stored.model.layers == 2);
}

TEST_CASE("elapsed_s keeps the time the run spent after its last checkpoint when it resumes") {
  test::TempDir dir;
  Config c = checked_tiny_config(dir, "run");
  REQUIRE(train(c, quiet("auto", 3)).step == 3);
  // After the checkpoint at step 3 the run went on (its final validation, or steps a crash lost):
  // metrics.jsonl holds that time. Here it is made long, so that the resumed rows must show it.
  const std::string metrics = c.train.out_dir + "/metrics.jsonl";
  {
    std::ofstream out(metrics, std::ios::app);
    out << "{\"kind\": \"train\", \"step\": 3, \"loss\": 3.0, \"lr\": 0.001, \"grad_norm\": 1.0, \"tokens\": "
           "192, "
           "\"elapsed_s\": 1000.0}\n";
  }
  train(c, quiet());
  bool resumed = false;
  for (const auto& row : read_metrics(metrics)) {
    if (row.strings.count("kind") && row.strings.at("kind") == "train" && row.number("step", 0) > 3) {
      resumed = true;
      CHECK(row.number("elapsed_s", 0) > 1000.0);
    }
  }
  CHECK(resumed);
  const auto checkpoint = read_run_state(
      test::read_file(c.train.out_dir + "/" + checkpoint_dir_name(6) + "/state.json"), "state.json");
  CHECK(checkpoint.elapsed_s > 1000.0);
}

// `longnet train` end to end: a finished run exits 0 saying so, a second trainer on a running
// folder exits at once naming the holder, file-system failures are one line with status 2.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "config/config.hpp"
#include "run/checkpoint.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"

using namespace ln;
namespace fs = std::filesystem;

namespace {

std::string write_config(const test::TempDir& dir, const std::string& run, int64_t steps) {
  if (!fs::exists(dir / "corpus")) test::write_corpus(dir / "corpus", "doc", 4, 80, 7);
  Config c;
  c.model.d_model = 16;
  c.model.layers = 1;
  c.model.heads = 2;
  c.model.mlp_ratio = 2;
  c.attention.segments = {8, 16};
  c.attention.dilations = {1, 2};
  c.tokenizer.vocab_size = 300;
  c.data.train = {dir / "corpus"};
  c.data.cache_dir = dir / "cache";
  c.data.seq_len = 16;
  c.data.val_fraction = 0.25;
  c.train.steps = steps;
  c.train.batch_size = 2;
  c.train.warmup_steps = 1;
  c.train.eval_every = 0;
  c.train.save_every = 1;
  c.train.out_dir = dir / run;
  validate_config(c);
  return dir.write(run + ".yaml", config_to_yaml(c));
}

}  // namespace

TEST_CASE("train on a finished run says 'finished at step N' and exits 0 without starting") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 2);
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "first.log").code == 0);
  test::ExitStatus again = test::run_longnet({"train", "-c", config, "--threads", "1"}, dir / "again.log");
  const std::string out = test::read_file(dir / "again.log");
  INFO(out);
  CHECK(again.code == 0);
  CHECK(out.find("finished at step 2") != std::string::npos);
  CHECK(out.find("memory estimate") == std::string::npos);
  CHECK(out.find("trained to step") == std::string::npos);
  // The same without --config, from the run folder alone: the run's own config is used.
  test::ExitStatus bare = test::run_longnet(
      {"train", "--set", "train.out_dir=" + (dir / "run"), "--threads", "1"}, dir / "bare.log");
  CHECK(bare.code == 0);
  CHECK(test::read_file(dir / "bare.log").find("finished at step 2") != std::string::npos);
}

TEST_CASE("a second train on a running folder exits at once naming the holder's pid") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 50);
  // Slow saves keep the first trainer running while the second one tries.
  const pid_t first = test::spawn_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "first.log",
                                          {{"LONGNET_TEST_SAVE_PAUSE_MS", "200"}});
  const std::string lock = dir / "run/train.lock";
  for (int i = 0; i < 600 && !(fs::exists(lock) && fs::file_size(lock) > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  test::ExitStatus second =
      test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "second.log");
  ::kill(first, SIGKILL);
  test::wait_for(first);
  const std::string out = test::read_file(dir / "second.log");
  INFO(out);
  CHECK(second.code == 2);
  CHECK(
      out.rfind("longnet: error: run folder " + (dir / "run") + " in use by pid " + std::to_string(first) +
                    " (another longnet train); wait for it to finish, stop it, or use another train.out_dir",
                0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("an out_dir that cannot be created is one line with status 2") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 1);
  test::write_file(dir / "blocker", "a file");
  test::ExitStatus r = test::run_longnet(
      {"train", "-c", config, "--set", "train.out_dir=" + (dir / "blocker/run"), "-q"}, dir / "out.log");
  const std::string out = test::read_file(dir / "out.log");
  INFO(out);
  CHECK(r.code == 2);
  CHECK(out.rfind("longnet: error: cannot create train.out_dir '" + (dir / "blocker/run") + "': ", 0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("SIGTERM during set-up stops with a message, status 0 and nothing written") {
  test::TempDir dir;
  // A larger corpus: training its tokenizer keeps the set-up busy for a while.
  test::write_corpus(dir / "corpus", "doc", 8, 1500, 11);
  const std::string config = write_config(dir, "run", 5);
  const pid_t pid = test::spawn_longnet({"train", "-c", config, "--threads", "1"}, dir / "out.log");
  // The lock file holds the pid once the signal handlers are installed (they come first).
  const std::string lock = dir / "run/train.lock";
  for (int i = 0; i < 600 && !(fs::exists(lock) && fs::file_size(lock) > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGTERM);
  test::ExitStatus status = test::wait_for(pid);
  const std::string out = test::read_file(dir / "out.log");
  INFO(out);
  CHECK(status.exited);
  CHECK(status.code == 0);
  CHECK(out.find("SIGTERM received") != std::string::npos);
  CHECK(out.find("stopped by signal before the first step; nothing to save") != std::string::npos);
  bool any_checkpoint = false;
  for (const auto& e : fs::directory_iterator(dir / "run"))
    any_checkpoint |= e.path().filename().string().rfind("step-", 0) == 0;
  CHECK_FALSE(any_checkpoint);
  CHECK_FALSE(fs::exists(dir / "run/metrics.jsonl"));  // the run's files are not started either
}

TEST_CASE("a file-system error no command catches is still one line with status 2") {
  test::TempDir dir;
  std::string long_path;
  for (int i = 0; i < 3000; ++i) long_path += "a/";  // longer than PATH_MAX: ENAMETOOLONG
  test::ExitStatus r = test::run_longnet({"eval", "--checkpoint", long_path}, dir / "out.log");
  const std::string out = test::read_file(dir / "out.log");
  INFO(out.substr(0, 200));
  CHECK(r.code == 2);
  CHECK(out.rfind("longnet: error: File name too long: 'a/a/", 0) == 0);
  CHECK(out.find("internal error") == std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("an unreadable newest checkpoint is an error, not damage: nothing is moved aside or redone") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 4);  // a checkpoint every step, keep_last 3
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "first.log").code == 0);
  const std::string newest = dir / "run/step-000000004";
  const std::string weights = newest + "/model.safetensors";
  fs::permissions(weights, fs::perms::none);
  const test::SpawnOptions strict{true};  // the modes bind even when the tests run as root
  const std::string refused = "longnet: error: [checkpoint] cannot read " + weights + ": Permission denied";

  test::ExitStatus resume =
      test::run_longnet({"train", "-c", config, "--set", "train.steps=6", "-q", "--threads", "1"},
                        dir / "resume.log", {}, strict);
  std::string out = test::read_file(dir / "resume.log");
  INFO(out);
  CHECK(resume.code == 2);
  CHECK(out.rfind(refused, 0) == 0);
  CHECK(out.find("not damage") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK(fs::exists(weights));  // not moved aside
  CHECK_FALSE(fs::exists(dir / "run/damaged-step-000000004"));
  CHECK_FALSE(fs::exists(dir / "run/step-000000005"));

  // A reader says the same instead of quietly loading an older checkpoint.
  test::ExitStatus eval =
      test::run_longnet({"eval", "-m", dir / "run", "-f", dir / "corpus", "-q", "--threads", "1"},
                        dir / "eval.log", {}, strict);
  out = test::read_file(dir / "eval.log");
  CHECK(eval.code == 2);
  CHECK(out.rfind(refused, 0) == 0);

  // Readable again, the run resumes from step 4: no step is redone.
  fs::permissions(weights, fs::perms::owner_read | fs::perms::owner_write);
  REQUIRE(test::run_longnet({"train", "-c", config, "--set", "train.steps=6", "--threads", "1"},
                            dir / "again.log", {}, strict)
              .code == 0);
  out = test::read_file(dir / "again.log");
  INFO(out);
  CHECK(out.find("resuming from " + newest + " (step 4)") != std::string::npos);
}

TEST_CASE("resuming without a config checks --set against the run's own config, not the defaults") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 2);  // warm-up 1 (the defaults: 100)
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "first.log").code == 0);
  const std::string at = "train.out_dir=" + (dir / "run");
  test::ExitStatus longer = test::run_longnet(
      {"train", "--set", at, "--set", "train.steps=3", "--threads", "1"}, dir / "longer.log");
  std::string out = test::read_file(dir / "longer.log");
  INFO(out);
  CHECK(longer.code == 0);
  CHECK(out.find("train.steps 2 -> 3") != std::string::npos);
  CHECK(out.find("trained to step 3") != std::string::npos);
  // A --set that breaks the run's own config is refused against it, located at the --set.
  test::ExitStatus broken = test::run_longnet(
      {"train", "--set", at, "--set", "train.warmup_steps=50", "--threads", "1"}, dir / "broken.log");
  out = test::read_file(dir / "broken.log");
  CHECK(broken.code == 2);
  CHECK(out ==
        "longnet: error: --set train.warmup_steps=50: train.warmup_steps (50) must not exceed "
        "train.steps (3)\n");
}

TEST_CASE("train without a config on a folder that holds no run says so and creates nothing") {
  test::TempDir dir;
  const std::string missing = dir / "runs/typo";
  test::ExitStatus r = test::run_longnet(
      {"train", "--set", "train.out_dir=" + missing, "-q", "--threads", "1"}, dir / "out.log");
  std::string out = test::read_file(dir / "out.log");
  INFO(out);
  CHECK(r.code == 2);
  CHECK(out.rfind("longnet: error: there is no run in " + missing + " (no such folder), and without a config",
                  0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(missing));
  CHECK_FALSE(fs::exists(dir / "runs"));

  // A run folder that never saved a checkpoint points at its own config.yaml.
  test::write_file(dir / "early/config.yaml", "model:\n  layers: 1\n");
  r = test::run_longnet({"train", "--set", "train.out_dir=" + (dir / "early"), "-q"}, dir / "early.log");
  out = test::read_file(dir / "early.log");
  CHECK(r.code == 2);
  CHECK(out.find("holds no checkpoint yet (its run never saved one), so there is nothing to resume; start it "
                 "again from its config: longnet train " +
                 (dir / "early/config.yaml")) != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "early/train.lock"));

  // A refused start with a config leaves no folder holding only train.lock.
  const std::string config = write_config(dir, "fresh", 2);
  r = test::run_longnet({"train", "-c", config, "--set", "data.train=" + (dir / "nowhere"), "-q"},
                        dir / "fresh.log");
  out = test::read_file(dir / "fresh.log");
  INFO(out);
  CHECK(r.code == 2);
  CHECK(out.find("does not exist") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "fresh"));
}

TEST_CASE("a checkpoint of another run copied into a run folder is refused, and never prunes the run's own") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 3);  // checkpoints 1, 2, 3 (keep_last 3)
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "run.log").code == 0);
  // Another run, of another model shape, whose step-50 checkpoint is copied into the run.
  const std::string other = write_config(dir, "other", 50);
  REQUIRE(test::run_longnet({"train", "-c", other, "--set", "model.d_model=32", "--set",
                             "train.save_every=50", "-q", "--threads", "1"},
                            dir / "other.log")
              .code == 0);
  fs::copy(dir / "other/step-000000050", dir / "run/step-000000050", fs::copy_options::recursive);

  // Without a config the newest checkpoint would decide the config: refused, nothing changed.
  test::ExitStatus bare = test::run_longnet(
      {"train", "--set", "train.out_dir=" + (dir / "run"), "--set", "train.steps=60", "-q", "--threads", "1"},
      dir / "bare.log");
  std::string out = test::read_file(dir / "bare.log");
  INFO(out);
  CHECK(bare.code == 2);
  CHECK(out.find("cannot resume " + (dir / "run") +
                 " from step-000000050: it is a checkpoint of another run: "
                 "model.d_model (16 in the run's config.yaml, 32 in step-000000050)") != std::string::npos);
  CHECK(list_checkpoints(dir / "run").size() == 4);

  // Resuming the run's own checkpoint with its config: keep_last counts only the run's own
  // checkpoints (keep_last 1 here), so the new ones stay and the copied one is left alone.
  test::ExitStatus own =
      test::run_longnet({"train", "-c", config, "--resume", dir / "run/step-000000003", "--set",
                         "train.steps=5", "--set", "train.keep_last=1", "-q", "--threads", "1"},
                        dir / "own.log");
  out = test::read_file(dir / "own.log");
  CHECK(own.code == 0);
  const auto left = list_checkpoints(dir / "run");
  REQUIRE(left.size() == 2);
  CHECK(left[0].step == 5);
  CHECK(left[1].step == 50);
}

TEST_CASE(
    "--init-from on a folder with checkpoints is refused; a new --init-from run has its tokenizer.model") {
  test::TempDir dir;
  const std::string config = write_config(dir, "source", 2);
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "source.log").code == 0);
  // A finished run, quiet: still refused, not silently ignored.
  test::ExitStatus again =
      test::run_longnet({"train", "-c", config, "--init-from", dir / "source", "-q"}, dir / "again.log");
  std::string out = test::read_file(dir / "again.log");
  INFO(out);
  CHECK(again.code == 2);
  CHECK(out ==
        "longnet: error: --init-from starts a new run, but " + (dir / "source") +
            " already holds 2 checkpoint(s) (newest step-000000002); choose a new train.out_dir (--set "
            "train.out_dir=DIR) for the new run, or drop --init-from to resume this one\n");

  const std::string tuned = write_config(dir, "tuned", 1);
  REQUIRE(test::run_longnet({"train", "-c", tuned, "--init-from", dir / "source", "-q", "--threads", "1"},
                            dir / "tuned.log")
              .code == 0);
  REQUIRE(fs::exists(dir / "tuned/tokenizer.model"));
  CHECK(test::read_file(dir / "tuned/tokenizer.model") == test::read_file(dir / "source/tokenizer.model"));
}

TEST_CASE("a tokenizer that cannot be trained is one line with the right advice, no SentencePiece log") {
  test::TempDir dir;
  // 400 distinct characters (CJK), each frequent: they need more pieces than vocab_size 300.
  std::string text;
  for (int line = 0; line < 200; ++line) {
    for (int i = 0; i < 400; i += 1 + line % 3) {
      const char32_t cp = 0x4E00 + static_cast<char32_t>(i);
      text += static_cast<char>(0xE0 | (cp >> 12));
      text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (cp & 0x3F));
      if (i % 7 == 0) text += ' ';
    }
    text += "\n";
  }
  test::write_file(dir / "corpus/cjk.txt", text);
  const std::string config = write_config(dir, "run", 1);
  test::ExitStatus r = test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "out.log");
  const std::string out = test::read_file(dir / "out.log");
  INFO(out);
  CHECK(r.code == 2);
  // The announcement of the tokenizer's training, then the error: nothing of SentencePiece's own.
  const std::string announced =
      "training tokenizer: bpe, vocab 300, 1 files -> " + (dir / "run/tokenizer.model") + "\n";
  REQUIRE(out.rfind(announced, 0) == 0);
  CHECK(
      out.find(
          "longnet: error: [tokenizer] tokenizer.vocab_size 300 is too small for this corpus: its "
          "characters (tokenizer.character_coverage 0.9995) and the 256 byte pieces and unk/bos/eos need ") ==
      announced.size());
  CHECK(out.find("use a larger tokenizer.vocab_size (at least ") != std::string::npos);
  CHECK(out.find("smaller") == std::string::npos);
  CHECK(out.find(".cc(") == std::string::npos);  // no SentencePiece source location or log line
  CHECK(out.find("Internal") == std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);
}

TEST_CASE(
    "extending a finished run says the rate is flat at min_lr, and a warm-up past the step re-warms it") {
  test::TempDir dir;
  const std::string config = write_config(dir, "run", 4);  // cosine, warm-up 1: at min_lr by step 4
  REQUIRE(test::run_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "first.log").code == 0);
  const std::string at = "train.out_dir=" + (dir / "run");
  REQUIRE(test::run_longnet(
              {"train", "--set", at, "--set", "train.steps=6", "--stop-after", "1", "--threads", "1"},
              dir / "flat.log")
              .code == 0);
  std::string out = test::read_file(dir / "flat.log");
  INFO(out);
  CHECK(out.find("train.steps 4 -> 6") != std::string::npos);
  CHECK(out.find("note: the learning rate is already train.min_lr 0.0001 at step 4 (the run's schedule had "
                 "ended), so steps 5..6 train at that flat rate. For a new warm-up and decay add --set "
                 "train.warmup_steps=W with W > 4") != std::string::npos);
  // The advice works: a warm-up past the current step climbs back towards train.lr.
  REQUIRE(test::run_longnet({"train", "--set", at, "--set", "train.steps=12", "--set", "train.warmup_steps=8",
                             "--threads", "1"},
                            dir / "rewarm.log")
              .code == 0);
  out = test::read_file(dir / "rewarm.log");
  CHECK(out.find("the learning rate climbs from ") != std::string::npos);
  double highest = 0;
  for (const auto& row : read_metrics(dir / "run/metrics.jsonl")) {
    if (row.strings.count("kind") && row.strings.at("kind") == "train" && row.number("step", 0) > 6)
      highest = std::max(highest, row.number("lr", 0));
  }
  CHECK(highest > 5e-4);  // min_lr 1e-4, lr 1e-3
}

// Crash campaign: `longnet train` killed with SIGKILL at seeded random moments, including
// inside checkpoint writes (LONGNET_TEST_SAVE_PAUSE_MS stretches a save; save_every 1 and
// keep_last 1 so every step writes and rotates), resumed each time. Checks after every kill
// that no step was lost beyond one save interval, and at the end that the weights and the
// optimizer state are bit-identical to an uninterrupted run and no temporary is left.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "config/config.hpp"
#include "run/checkpoint.hpp"
#include "run/safetensors.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"
#include "train/metrics_log.hpp"

using namespace ln;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kSteps = 80;  // more than 12 kills can cover even on an idle machine

std::string write_tiny_config(const test::TempDir& dir, const std::string& run) {
  Config c = test::tiny_run_config(dir, run);
  c.model.dropout = 0.1;  // the dropout streams must resume exactly too
  c.train.steps = kSteps;
  c.train.eval_every = 10;
  c.train.save_every = 1;
  c.train.keep_last = 1;  // every save prunes the one before: rotation under fire
  validate_config(c);
  return dir.write(run + ".yaml", config_to_yaml(c));
}

std::vector<std::string> train_args(const std::string& config) {
  return {"train", "--config", config, "--quiet", "--threads", "1"};
}

// The largest step of a train row in metrics.jsonl (0 if none).
int64_t last_logged_step(const std::string& run_dir) {
  int64_t last = 0;
  for (const auto& rec : read_metrics(run_dir + "/metrics.jsonl")) {
    if (rec.strings.count("kind") && rec.strings.at("kind") == "train")
      last = std::max(last, rec.step().value_or(0));
  }
  return last;
}

void check_same_tensors(const std::string& a, const std::string& b) {
  SafetensorsFile fa = load_safetensors(a), fb = load_safetensors(b);
  REQUIRE(fa.names == fb.names);
  for (const auto& name : fa.names) {
    INFO(a, " ", name);
    CHECK(fa.at(name).to_vector() == fb.at(name).to_vector());
  }
}

}  // namespace

TEST_CASE("SIGKILL at random moments, resume each time: bit-identical to an uninterrupted run") {
  test::TempDir dir;
  const std::string ref_config = write_tiny_config(dir, "ref");
  test::ExitStatus ref = test::run_longnet(train_args(ref_config), dir / "ref.log");
  INFO(test::read_file(dir / "ref.log"));
  REQUIRE(ref.exited);
  REQUIRE(ref.code == 0);
  const std::string ref_ckpt = dir / ("ref/" + checkpoint_dir_name(kSteps));
  REQUIRE_FALSE(checkpoint_problem(ref_ckpt));

  const std::string config = write_tiny_config(dir, "crash");
  const std::string run = dir / "crash";
  std::mt19937 rng(20261130);
  int kills = 0, inside_saves = 0;
  for (int attempt = 0; attempt < 60 && kills < 12; ++attempt) {
    // Saves are stretched (a pause between their files, longer every other launch) so that a
    // kill often lands inside a checkpoint write; the pause changes no result.
    const std::vector<std::pair<std::string, std::string>> env = {
        {"LONGNET_TEST_SAVE_PAUSE_MS", attempt % 2 ? "40" : "10"}};
    const pid_t pid = test::spawn_longnet(train_args(config), dir / "crash.log", env);
    const int delay_ms = std::uniform_int_distribution<int>(30, 500)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    test::ExitStatus status;
    if (test::poll_exit(pid, status)) {
      INFO(test::read_file(dir / "crash.log"));
      REQUIRE(status.exited);
      REQUIRE(status.code == 0);
      if (last_logged_step(run) == kSteps) break;  // finished before the kill
      continue;
    }
    ::kill(pid, SIGKILL);
    status = test::wait_for(pid);
    REQUIRE(status.signal == SIGKILL);
    ++kills;
    bool in_save = false;
    std::error_code no_folder;  // a kill before the first launch created the run folder (slow start-up, ASan)
    for (const auto& e : fs::directory_iterator(run, no_folder))
      in_save |= e.path().filename().string().rfind(".tmp-", 0) == 0;
    inside_saves += in_save;

    // No step lost beyond one save interval: the newest intact checkpoint is at most
    // save_every (1) behind the last step the log shows as trained.
    const int64_t logged = last_logged_step(run);
    auto latest = latest_intact_checkpoint(run);
    const int64_t saved = latest ? read_checkpoint(*latest).step : 0;
    INFO("kill ", kills, " after ", delay_ms, " ms: logged step ", logged, ", newest intact checkpoint ",
         saved);
    CHECK(saved >= logged - 1);
    if (logged == kSteps && saved == kSteps) break;
  }
  MESSAGE("crash campaign: ", kills, " kills, ", inside_saves, " inside a checkpoint write, up to step ",
          last_logged_step(run), " of ", kSteps);
  CHECK(kills >= 10);

  // Finish the run (or find it finished) and compare with the uninterrupted one.
  test::ExitStatus last = test::run_longnet(train_args(config), dir / "crash-final.log");
  INFO(test::read_file(dir / "crash-final.log"));
  REQUIRE(last.code == 0);
  const std::string ckpt = run + "/" + checkpoint_dir_name(kSteps);
  REQUIRE_FALSE(checkpoint_problem(ckpt));
  check_same_tensors(ref_ckpt + "/model.safetensors", ckpt + "/model.safetensors");
  check_same_tensors(ref_ckpt + "/optimizer.safetensors", ckpt + "/optimizer.safetensors");
  // Every train step is logged exactly once, and nothing temporary is left.
  std::vector<int64_t> steps;
  for (const auto& rec : read_metrics(run + "/metrics.jsonl")) {
    if (rec.strings.count("kind") && rec.strings.at("kind") == "train") steps.push_back(*rec.step());
  }
  std::vector<int64_t> expected(kSteps);
  for (int64_t s = 0; s < kSteps; ++s) expected[s] = s + 1;
  CHECK(steps == expected);
  for (const auto& e : fs::directory_iterator(run)) {
    INFO(e.path().string());
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  }
}

// Readers while `longnet train` saves every step with keep_last 1 (issue 20, point 1): every
// `eval -m RUN` and `generate -m RUN` gets a complete checkpoint. LONGNET_TEST_LOAD_PAUSE_MS
// makes each reader wait between choosing its checkpoint and reading it, long enough for the
// trainer to save the next step and prune the chosen one, so the race happens on every try.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "config/config.hpp"
#include "run/checkpoint.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

using namespace ln;
namespace fs = std::filesystem;

TEST_CASE("readers during saves with keep_last 1 always load a complete checkpoint") {
  test::TempDir dir;
  Config c = test::tiny_run_config(dir, "run");
  c.train.steps = 100000;  // stopped by the test
  c.train.eval_every = 0;
  c.train.save_every = 1;
  c.train.keep_last = 1;
  validate_config(c);
  const std::string config = dir.write("run.yaml", config_to_yaml(c));
  const std::string run = dir / "run";
  const pid_t trainer =
      test::spawn_longnet({"train", "-c", config, "-q", "--threads", "1"}, dir / "train.log");
  // Wait for the second checkpoint: the trainer is in its save-every-step rhythm.
  for (int i = 0; i < 1200 && list_checkpoints(run).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE_FALSE(list_checkpoints(run).empty());

  // Each reader waits 400 ms holding its choice: with steps of a few ms, the trainer saves and
  // prunes past it meanwhile (the old reader then failed with "... is missing").
  const std::vector<std::pair<std::string, std::string>> pause = {{"LONGNET_TEST_LOAD_PAUSE_MS", "400"}};
  int failures = 0;
  for (int i = 0; i < 6; ++i) {
    const std::string log = dir / ("reader" + std::to_string(i) + ".log");
    const std::vector<std::string> args =
        i % 2 == 0 ? std::vector<std::string>{"eval", "-m",        run, "-f", dir / "corpus/doc0.txt",
                                              "-q",   "--threads", "1"}
                   : std::vector<std::string>{"generate", "-m", run, "-p",        "the", "-n",
                                              "4",        "-s", "1", "--threads", "1"};
    const test::ExitStatus status = test::run_longnet(args, log, pause);
    if (status.code != 0) {
      ++failures;
      MESSAGE(args[0], " failed: ", test::read_file(log));
    }
  }
  const int64_t steps_seen = list_checkpoints(run).empty() ? 0 : list_checkpoints(run).back().step;
  ::kill(trainer, SIGKILL);
  test::wait_for(trainer);
  CHECK(failures == 0);
  CHECK(steps_seen > 6);  // the trainer really saved (and pruned) while the readers read
}

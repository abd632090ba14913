// Counts on the command line are checked as typed (apps/longnet/cli_checks.hpp): CLI11's own
// conversion used to wrap 18446744073709551616 into a small number and take 1e12 as a count.
// Each absurd value is one line, exit status 2, before any work; and OS errors about a path
// (a file where a directory belongs) are one line too, not "internal error".
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "support/temp_dir.hpp"

namespace {

struct StderrRun {
  int status = -1;
  std::string output;  // stderr (stdout is dropped)
};

StderrRun run_for_stderr(const std::string& args) {
  const std::string cmd = std::string(LONGNET_BINARY) + " " + args + " 2>&1 >/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  StderrRun r;
  for (int ch; (ch = std::fgetc(pipe)) != EOF;) r.output += static_cast<char>(ch);
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

void check_refused(const std::string& args, const std::string& expect) {
  CAPTURE(args);
  const StderrRun r = run_for_stderr(args);
  CAPTURE(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.rfind("longnet: error: ", 0) == 0);
  CHECK(r.output.find('\n') == r.output.size() - 1);  // exactly one line
  CHECK(r.output.find(expect) != std::string::npos);
}

}  // namespace

TEST_CASE("absurd counts are refused as typed, with the accepted range") {
  // No checkpoint or config is needed: the values are refused while parsing.
  check_refused("eval --checkpoint nowhere --data x --context 18446744073709551616",
                "--context: must be an integer in [0, 16777216], got '18446744073709551616'");
  check_refused("eval --checkpoint nowhere --data x --context 1e12", "must be an integer in [0, 16777216]");
  check_refused("eval --checkpoint nowhere --data x --stride -1",
                "--stride: must be an integer in [0, 16777216]");
  check_refused("eval --checkpoint nowhere --data x --batch 99999999999",
                "--batch: must be an integer in [0, 65536]");
  check_refused("train --stop-after 18446744073709551616",
                "--stop-after: must be an integer in [0, 1000000000000]");
  check_refused("--threads 18446744073709551616 config", "--threads: must be an integer in [0, 4096]");
  check_refused("generate --checkpoint nowhere -p x -n 18446744073709551616",
                "must be an integer in [0, 1000000]");
  check_refused("generate --checkpoint nowhere -p x --seed 18446744073709551616",
                "--seed: must be an integer in [0, 9223372036854775807]");
  check_refused("train --set train.seed=18446744073709551616",
                "train.seed must be an integer in [0, 4294967295]");
  // In range, the same flags are accepted (the command then fails for its own reason).
  const StderrRun ok = run_for_stderr("config --set model.layers=2");
  CHECK(ok.status == 0);
}

TEST_CASE("a path the OS refuses is one clear line, not an internal error") {
  ln::test::TempDir dir;
  const std::string file = dir.write("a_file", "x");
  const std::string config = dir.write("c.yaml", "model:\n  layers: 1\n");
  // train prints its resolved config to stderr first; the error is its last line.
  const StderrRun r =
      run_for_stderr("train -c " + config + " --set train.out_dir=" + file + "/run --set data.train=" + file);
  CAPTURE(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("internal error") == std::string::npos);
  const size_t last = r.output.rfind('\n', r.output.size() - 2);
  CHECK(r.output.substr(last + 1) ==
        "longnet: error: cannot create train.out_dir '" + file +
            "/run': Not a directory; choose a writable train.out_dir (--set train.out_dir=DIR)\n");
}

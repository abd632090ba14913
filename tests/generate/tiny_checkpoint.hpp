#pragma once
// A tiny trained checkpoint for the end-to-end tests, trained once per test process (about a
// second): a 300-piece BPE tokenizer and a 2-layer dilated model on a generated corpus.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"
#include "train/trainer.hpp"

namespace ln::test {

struct TinyCheckpoint {
  TempDir dir;      // removed when the process exits
  std::string run;  // the run directory (train.out_dir)

  TinyCheckpoint() {
    std::filesystem::create_directories(dir.path() / "corpus");
    const char* words[] = {"the",   "quick", "brown", "fox",    "jumps", "over", "a",
                           "lazy",  "dog",   "and",   "then",   "runs",  "away", "from",
                           "small", "cat",   "who",   "sleeps", "under", "tree"};
    std::mt19937 rng(3);
    for (int f = 0; f < 3; ++f) {
      std::ofstream out(dir.path() / "corpus" / ("doc" + std::to_string(f) + ".txt"));
      for (int line = 0; line < 150; ++line) {
        for (int w = 0; w < 10; ++w) out << (w ? " " : "") << words[rng() % 20];
        out << ".\n";
      }
    }
    const std::string root = dir.path().string();
    run = root + "/run";
    const std::string yaml =
        "model: {d_model: 32, layers: 2, heads: 2, positions: xpos}\n"
        "attention: {kind: dilated, segments: [8, 16], dilations: [1, 2]}\n"
        "tokenizer: {vocab_size: 300}\n"
        "data: {train: [" +
        root + "/corpus], seq_len: 32, cache_dir: " + root +
        "/cache, val_fraction: 0.1}\n"
        "train: {steps: 20, batch_size: 4, warmup_steps: 2, eval_every: 20, eval_batches: 1, save_every: 20, "
        "out_dir: " +
        run + "}\n";
    train(parse_config_yaml(yaml, "tiny_checkpoint"), TrainOptions{"never", true});
  }
};

inline const TinyCheckpoint& tiny_checkpoint() {
  static TinyCheckpoint made;
  return made;
}

struct CommandResult {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs the longnet binary with `args` (already shell-quoted where needed).
inline CommandResult run_longnet(const std::string& args) {
  static TempDir io;
  static int counter = 0;
  const std::string out = io.file("out" + std::to_string(counter)),
                    err = io.file("err" + std::to_string(counter));
  ++counter;
  const std::string cmd = shell_quote(LONGNET_BINARY) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(out);
  r.err = read_all(err);
  return r;
}

}  // namespace ln::test

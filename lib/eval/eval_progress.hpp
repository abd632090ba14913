#pragma once
// The evaluation progress line on stderr, over the whole job (all files, all methods):
//   eval 2/12 2019_trump.txt sliding | 45% | loss 3.412 | ppl 30.3 | 12.3k tok/s | ETA 1m02s
// The work is counted in input tokens (the planned windows' lengths), known up front, so
// the ETA is remaining tokens / speed since the start. On a terminal the line is redrawn in
// place at most 5 times a second and ends with a newline in finish(); into a file or pipe it
// prints one plain line every 30 s, so short evaluations leave stderr clean.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ln {

struct EvalProgressStats {
  std::string label;            // "2/12 2019_trump.txt sliding"
  int64_t done = 0, total = 0;  // input tokens
  double loss = 0;              // running mean loss of the current file and method
  double tokens_per_s = -1;     // < 0: unknown
  double eta_s = -1;
};
std::string format_eval_progress(const EvalProgressStats& stats);

class EvalProgress {
 public:
  // tty: 1 / 0 forces terminal / plain mode, -1 asks isatty(out). enabled = false: silent.
  EvalProgress(int64_t total_input_tokens, bool enabled = true, FILE* out = stderr, int tty = -1);
  ~EvalProgress();  // finish()
  void set_label(const std::string& label) { label_ = label; }
  // `done` input tokens of the whole job are processed; `loss` is the current running mean.
  void update(int64_t done, double loss);
  void update_at(double now_s, int64_t done, double loss);  // explicit clock (tests)
  void finish();
  const EvalProgressStats& last() const { return last_; }

 private:
  int64_t total_;
  bool enabled_;
  FILE* out_;
  bool tty_;
  bool live_ = false;
  double last_print_ = 0;  // nothing before 0.2 s (terminal) or 30 s (file)
  std::string label_;
  EvalProgressStats last_;
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace ln

#pragma once
// The live training progress line:
//   step 120/1000 | loss 3.412 | ppl 30.3 | lr 8.0e-04 | 12.3k tok/s | MFU 41.2% | ETA 4m12s
// On a terminal it is redrawn in place ("\r" + erase-to-end-of-line) after every step; when
// stderr is a file or pipe (CI, `2> log`), it prints one plain line every `log_every` steps
// and at the last step, so logs stay readable. Speed and ETA come from a sliding window of
// the last 20 updates (not from the start of the run, which includes warm-up costs), counted
// only over the steps of this process (a resumed run does not claim the earlier steps). The
// session's first step is never timed: it pays one-time costs (oneDNN primitives, first-touch
// memory) several times a step's, so the first line shows "? tok/s | ETA ?" and the speed is
// measured from the end of that step.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>

#include "core/number_format.hpp"  // format_count, format_duration, format_lr

namespace ln {

struct ProgressStats {
  int64_t step = 0, total_steps = 0;
  double loss = 0, lr = 0;
  double tokens_per_s = -1;  // < 0: unknown (shown as "?")
  double eta_s = -1;         // < 0: unknown
  double mfu = -1;           // a fraction of the peak (train/mfu.hpp); < 0: not shown
};
// One progress line without a newline. ppl = exp(loss), shown with format_count.
std::string format_progress(const ProgressStats& stats);

class ProgressLine {
 public:
  // tty: 1 / 0 forces terminal / plain mode, -1 asks isatty(out). start_step is the number of
  // steps already done before this process (a resumed run).
  explicit ProgressLine(int64_t total_steps, int log_every = 1, FILE* out = stderr, int tty = -1,
                        int64_t start_step = 0);
  ~ProgressLine();  // finish()

  // `step` optimizer steps are now done (1-based), this last one processed `tokens` tokens.
  void update(int64_t step, double loss, double lr, int64_t tokens);
  // The same with an explicit clock reading in seconds (tests).
  void update_at(double now_s, int64_t step, double loss, double lr, int64_t tokens);
  // Show MFU from the speed: model FLOPs per token over the peak's FLOPs per second.
  void set_mfu(double flops_per_token, double peak_flops_per_s);
  // Prints a whole line (e.g. validation results) without garbling the live line.
  void message(const std::string& line);
  // Ends the live line with a newline (terminal mode); safe to call twice.
  void finish();

  bool is_tty() const { return tty_; }
  const ProgressStats& last() const { return last_; }

 private:
  struct Sample {
    double t;
    int64_t step;
    double tokens;  // cumulative
  };
  double now_s() const;
  void draw();

  int64_t total_;
  int log_every_;
  FILE* out_;
  bool tty_;
  bool live_ = false;   // a live line is on screen without its newline
  bool timed_ = false;  // the first update (the untimed first step) has been seen
  double tokens_ = 0;
  double flops_per_token_ = 0, peak_flops_per_s_ = 0;  // set_mfu
  std::deque<Sample> window_;
  ProgressStats last_;
  std::string last_line_;
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace ln

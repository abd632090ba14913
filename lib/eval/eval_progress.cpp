#include "eval/eval_progress.hpp"

#include <unistd.h>

#include <cmath>

#include "core/number_format.hpp"

namespace ln {

std::string format_eval_progress(const EvalProgressStats& s) {
  const double pct = s.total > 0 ? 100.0 * static_cast<double>(s.done) / static_cast<double>(s.total) : 100.0;
  const double ppl = std::exp(s.loss);
  char ppl_text[32];
  if (std::isfinite(ppl) && ppl < 1000) {
    std::snprintf(ppl_text, sizeof ppl_text, "%.1f", ppl);
  } else {
    std::snprintf(ppl_text, sizeof ppl_text, "%s", format_count(ppl).c_str());
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, " | %.0f%% | loss %.3f | ppl %s | %s tok/s | ETA %s", std::floor(pct),
                s.loss, ppl_text, s.tokens_per_s >= 0 ? format_count(s.tokens_per_s).c_str() : "?",
                format_duration(s.eta_s).c_str());
  return "eval " + s.label + buf;
}

EvalProgress::EvalProgress(int64_t total_input_tokens, bool enabled, FILE* out, int tty)
    : total_(total_input_tokens),
      enabled_(enabled),
      out_(out),
      tty_(tty >= 0 ? tty == 1 : ::isatty(::fileno(out)) == 1),
      origin_(std::chrono::steady_clock::now()) {}

EvalProgress::~EvalProgress() { finish(); }

void EvalProgress::update(int64_t done, double loss) {
  update_at(std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count(), done, loss);
}

void EvalProgress::update_at(double now, int64_t done, double loss) {
  last_ = EvalProgressStats{label_, done, total_, loss, -1, -1};
  if (now > 0 && done > 0) {
    last_.tokens_per_s = static_cast<double>(done) / now;
    last_.eta_s = static_cast<double>(std::max<int64_t>(0, total_ - done)) / last_.tokens_per_s;
  }
  if (!enabled_) return;
  const bool last_update = done >= total_;
  if (tty_) {
    if (now - last_print_ < 0.2 && !last_update) return;
    std::fprintf(out_, "\r%s\x1b[K", format_eval_progress(last_).c_str());
    live_ = true;
  } else {
    if (now - last_print_ < 30.0) return;
    std::fprintf(out_, "%s\n", format_eval_progress(last_).c_str());
  }
  std::fflush(out_);
  last_print_ = now;
}

void EvalProgress::finish() {
  if (tty_ && live_) {
    std::fprintf(out_, "\r\x1b[K");  // the results follow on stdout; leave no stale line
    std::fflush(out_);
  }
  live_ = false;
}

}  // namespace ln

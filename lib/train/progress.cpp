#include "train/progress.hpp"

#include <unistd.h>

#include <cmath>

namespace ln {

namespace {
constexpr size_t kWindow = 20;
}

std::string format_progress(const ProgressStats& p) {
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.3f", p.loss);
  const double ppl = std::exp(p.loss);
  std::string ppl_text;
  if (std::isfinite(ppl) && ppl < 1000) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ppl);
    ppl_text = buf;
  } else {
    ppl_text = format_count(ppl);
  }
  return "step " + std::to_string(p.step) + "/" + std::to_string(p.total_steps) + " | loss " + loss +
         " | ppl " + ppl_text + " | lr " + format_lr(p.lr) + " | " +
         (p.tokens_per_s >= 0 ? format_count(p.tokens_per_s) : std::string("?")) + " tok/s | " +
         (p.mfu >= 0 ? "MFU " + format_fixed(100 * p.mfu, 1) + "% | " : std::string()) + "ETA " +
         format_duration(p.eta_s);
}

ProgressLine::ProgressLine(int64_t total_steps, int log_every, FILE* out, int tty, int64_t start_step)
    : total_(total_steps),
      log_every_(log_every > 0 ? log_every : 1),
      out_(out),
      tty_(tty >= 0 ? tty == 1 : ::isatty(::fileno(out)) == 1),
      origin_(std::chrono::steady_clock::now()) {
  window_.push_back({0.0, start_step, 0.0});
}

ProgressLine::~ProgressLine() { finish(); }

double ProgressLine::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
}

void ProgressLine::set_mfu(double flops_per_token, double peak_flops_per_s) {
  flops_per_token_ = flops_per_token;
  peak_flops_per_s_ = peak_flops_per_s;
}

void ProgressLine::update(int64_t step, double loss, double lr, int64_t tokens) {
  update_at(now_s(), step, loss, lr, tokens);
}

void ProgressLine::update_at(double now, int64_t step, double loss, double lr, int64_t tokens) {
  tokens_ += static_cast<double>(tokens);
  if (!timed_) {
    // The session's first step pays one-time costs (oneDNN's primitives, first-touch memory):
    // timing from it predicted a demo of 7 minutes at 48. The speed is measured from its end.
    timed_ = true;
    window_.clear();
  }
  window_.push_back({now, step, tokens_});
  while (window_.size() > kWindow + 1) window_.pop_front();
  const Sample& a = window_.front();
  const double dt = now - a.t;
  last_ = ProgressStats{step, total_, loss, lr, -1, -1};
  if (dt > 0) {
    last_.tokens_per_s = (tokens_ - a.tokens) / dt;
    if (peak_flops_per_s_ > 0) last_.mfu = last_.tokens_per_s * flops_per_token_ / peak_flops_per_s_;
    if (step > a.step)
      last_.eta_s = static_cast<double>(std::max<int64_t>(0, total_ - step)) * dt / (step - a.step);
  }
  last_line_ = format_progress(last_);
  if (tty_) {
    draw();
  } else if (step % log_every_ == 0 || step >= total_) {
    std::fprintf(out_, "%s\n", last_line_.c_str());
    std::fflush(out_);
  }
}

void ProgressLine::draw() {
  std::fprintf(out_, "\r%s\x1b[K", last_line_.c_str());
  std::fflush(out_);
  live_ = true;
}

void ProgressLine::message(const std::string& line) {
  if (tty_ && live_) {
    std::fprintf(out_, "\r\x1b[K%s\n", line.c_str());
    draw();
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
}

void ProgressLine::finish() {
  if (tty_ && live_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  live_ = false;
}

}  // namespace ln

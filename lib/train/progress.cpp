#include "train/progress.hpp"

#include <unistd.h>

#include <cmath>

namespace ln {

namespace {
constexpr size_t kWindow = 20;
}

std::string format_count(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  static const char* suffixes[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  // Move to the next suffix when rounding to 3 digits would print 1000 (999.96 -> "1.00k").
  while (std::abs(v) >= 999.5 && i < 5) v /= 1000, ++i;
  const double a = std::abs(v);
  char buf[32];
  if (i == 0 && a == std::floor(a)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, a >= 99.95 ? "%.0f%s" : a >= 9.995 ? "%.1f%s" : "%.2f%s", v, suffixes[i]);
  }
  std::string s = buf;
  if (i == 0 && s.find('.') != std::string::npos) {  // plain numbers: trim zeros ("0.50" -> "0.5")
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string format_lr(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", lr);
  return buf;
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
  return "step " + std::to_string(p.step) + "/" + std::to_string(p.total_steps) + " | loss " + loss + " | ppl " +
         ppl_text + " | lr " + format_lr(p.lr) + " | " +
         (p.tokens_per_s >= 0 ? format_count(p.tokens_per_s) : std::string("?")) + " tok/s | ETA " +
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

void ProgressLine::update(int64_t step, double loss, double lr, int64_t tokens) {
  update_at(now_s(), step, loss, lr, tokens);
}

void ProgressLine::update_at(double now, int64_t step, double loss, double lr, int64_t tokens) {
  tokens_ += static_cast<double>(tokens);
  window_.push_back({now, step, tokens_});
  while (window_.size() > kWindow + 1) window_.pop_front();
  const Sample& a = window_.front();
  const double dt = now - a.t;
  last_ = ProgressStats{step, total_, loss, lr, -1, -1};
  if (dt > 0) {
    last_.tokens_per_s = (tokens_ - a.tokens) / dt;
    if (step > a.step) last_.eta_s = static_cast<double>(std::max<int64_t>(0, total_ - step)) * dt / (step - a.step);
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

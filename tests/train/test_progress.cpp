#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "train/progress.hpp"

using namespace ln;

namespace {
// Captures what a ProgressLine writes.
struct Capture {
  char* buf = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&buf, &size);
  ~Capture() {
    if (f) std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, size);
  }
};
int count(const std::string& s, char c) { return static_cast<int>(std::count(s.begin(), s.end(), c)); }
}  // namespace

TEST_CASE("number and duration formatting") {
  CHECK(format_count(950.4) == "950");
  CHECK(format_count(12345) == "12.3k");
  CHECK(format_count(123456) == "123k");
  CHECK(format_count(1234567) == "1.23M");
  CHECK(format_count(999.96) == "1.00k");  // no "1000"
  CHECK(format_count(3.14159) == "3.14");
  CHECK(format_count(0.5) == "0.5");
  CHECK(format_count(0) == "0");
  CHECK(format_count(32000) == "32.0k");
  CHECK(format_count(INFINITY) == "inf");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(41.6) == "42s");
  CHECK(format_duration(252) == "4m12s");
  CHECK(format_duration(3600 + 2 * 60 + 7) == "1h02m");
  CHECK(format_duration(2 * 86400 + 3 * 3600 + 50) == "2d03h");
  CHECK(format_duration(-1) == "?");
  CHECK(format_duration(NAN) == "?");
  CHECK(format_lr(8e-4) == "8.0e-04");
  CHECK(format_lr(3e-3) == "3.0e-03");
}

TEST_CASE("format_progress gives the documented line") {
  ProgressStats s{120, 1000, 3.412, 8e-4, 12300, 252};
  // exp(3.412) = 30.33
  CHECK(format_progress(s) == "step 120/1000 | loss 3.412 | ppl 30.3 | lr 8.0e-04 | 12.3k tok/s | ETA 4m12s");
  s.loss = 10.37;  // exp = 31899: a vocabulary-sized perplexity at initialisation
  s.tokens_per_s = -1;
  s.eta_s = -1;
  CHECK(format_progress(s) == "step 120/1000 | loss 10.370 | ppl 31.9k | lr 8.0e-04 | ? tok/s | ETA ?");
  s.loss = NAN;
  CHECK(format_progress(s).find("loss nan | ppl nan") != std::string::npos);
}

TEST_CASE("plain mode prints one line every log_every steps and at the end") {
  Capture cap;
  {
    ProgressLine p(10, 4, cap.f, 0);
    for (int s = 1; s <= 10; ++s) p.update_at(s * 0.5, s, 3.0, 1e-3, 1000);
    CHECK_FALSE(p.is_tty());
    // Window covers steps 0..10 over 5 s: 2000 tok/s, and the run is over.
    CHECK(p.last().tokens_per_s == doctest::Approx(2000));
    CHECK(p.last().eta_s == doctest::Approx(0));
  }
  const std::string out = cap.text();
  CHECK(count(out, '\n') == 3);  // steps 4, 8, 10
  CHECK(out.find("step 4/10") != std::string::npos);
  CHECK(out.find("step 8/10") != std::string::npos);
  CHECK(out.find("step 10/10") != std::string::npos);
  CHECK(out.find('\r') == std::string::npos);
  CHECK(out.find("\x1b[") == std::string::npos);
}

TEST_CASE("terminal mode redraws in place; messages do not garble it") {
  Capture cap;
  ProgressLine p(100, 1, cap.f, 1, 50);  // resumed after step 50
  p.update_at(2.0, 51, 3.0, 1e-3, 512);
  p.update_at(4.0, 52, 2.9, 1e-3, 512);
  // 1024 tokens over 4 s; 2 steps in 4 s -> 48 left take 96 s.
  CHECK(p.last().tokens_per_s == doctest::Approx(256));
  CHECK(p.last().eta_s == doctest::Approx(96));
  std::string out = cap.text();
  CHECK(count(out, '\r') == 2);
  CHECK(count(out, '\n') == 0);
  CHECK(out.find("\x1b[K") != std::string::npos);
  p.message("validation loss 2.95");
  out = cap.text();
  CHECK(out.find("\r\x1b[Kvalidation loss 2.95\n\rstep 52/100") != std::string::npos);
  p.finish();
  p.finish();
  CHECK(cap.text().back() == '\n');
  CHECK(count(cap.text(), '\n') == 2);
}

TEST_CASE("the speed window forgets old steps") {
  Capture cap;
  ProgressLine p(1000, 1000, cap.f, 0);
  p.update_at(100.0, 1, 3.0, 1e-3, 100);  // a slow first step (warm-up)
  for (int s = 2; s <= 40; ++s) p.update_at(100.0 + (s - 1), s, 3.0, 1e-3, 100);
  // The last 20 intervals are 1 s and 100 tokens each.
  CHECK(p.last().tokens_per_s == doctest::Approx(100));
  CHECK(p.last().eta_s == doctest::Approx(960));
}

TEST_CASE("the first step is not timed: its one-time costs do not become the ETA") {
  Capture cap;
  ProgressLine p(300, 1, cap.f, 0);
  // The demo: a first step of 9.6 s (oneDNN primitives, first-touch memory), then 0.9 s a step.
  p.update_at(9.6, 1, 8.3, 1e-4, 4096);
  CHECK(p.last().eta_s < 0);  // unknown, not 299 x 9.6 s = 47m50s
  CHECK(p.last().tokens_per_s < 0);
  CHECK(cap.text().find("? tok/s | ETA ?") != std::string::npos);
  p.update_at(10.5, 2, 8.1, 1e-4, 4096);
  CHECK(p.last().eta_s == doctest::Approx(298 * 0.9));
  CHECK(p.last().tokens_per_s == doctest::Approx(4096 / 0.9));
}

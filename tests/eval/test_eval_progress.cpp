#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "eval/eval_progress.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;

namespace {
std::string contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  return s;
}
}  // namespace

TEST_CASE("eval progress: the line, its speed and ETA") {
  EvalProgressStats s{"2/12 a.txt sliding", 4500, 10000, 3.412, 1500, 3.6667};
  CHECK(format_eval_progress(s) ==
        "eval 2/12 a.txt sliding | 45% | loss 3.412 | ppl 30.3 | 1.50k tok/s | ETA 4s");
  s.tokens_per_s = -1;
  s.eta_s = -1;
  CHECK(contains(format_eval_progress(s), "| ? tok/s | ETA ?"));
}

TEST_CASE("eval progress: terminal redraws in place; files get a line every 30 s only") {
  FILE* tty = std::tmpfile();
  {
    EvalProgress p(1000, true, tty, 1);
    p.set_label("1/1 x.txt");
    p.update_at(0.1, 100, 4.0);  // too soon: nothing
    p.update_at(0.5, 250, 4.0);  // 500 tok/s, 750 left: ETA 1.5 s
    CHECK(p.last().tokens_per_s == doctest::Approx(500));
    CHECK(p.last().eta_s == doctest::Approx(1.5));
    p.update_at(0.6, 1000, 4.0);  // the last update is always drawn
  }
  const std::string t = contents(tty);
  CHECK(t.rfind("\r", 0) == 0);
  CHECK(contains(t, "eval 1/1 x.txt | 25% | loss 4.000"));
  CHECK(contains(t, "| 100% |"));
  CHECK(!contains(t, "| 10% |"));
  CHECK(t.find('\n') == std::string::npos);  // cleared at the end, no stray lines
  std::fclose(tty);

  FILE* log = std::tmpfile();
  {
    EvalProgress p(1000, true, log, 0);
    p.set_label("1/1 x.txt");
    p.update_at(5, 100, 4.0);
    p.update_at(31, 600, 4.0);
    p.update_at(40, 1000, 4.0);
  }
  const std::string l = contents(log);
  CHECK(l == "eval 1/1 x.txt | 60% | loss 4.000 | ppl 54.6 | 19.4 tok/s | ETA 21s\n");
  std::fclose(log);

  FILE* quiet = std::tmpfile();
  {
    EvalProgress p(1000, false, quiet, 1);
    p.update_at(1, 1000, 4.0);
  }
  CHECK(contents(quiet).empty());
  std::fclose(quiet);
}

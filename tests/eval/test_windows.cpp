#include <doctest/doctest.h>

#include <vector>

#include "core/error.hpp"
#include "score/windows.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

TEST_CASE("windows: every prediction is scored exactly once, with the promised history") {
  for (int64_t n : {2, 3, 7, 8, 9, 17, 64, 65, 100}) {
    for (int64_t c : {1, 2, 5, 8, 16, 200}) {
      for (int64_t s = 1; s <= c; ++s) {
        CAPTURE(n);
        CAPTURE(c);
        CAPTURE(s);
        const auto windows = plan_windows(n, c, s);
        std::vector<int> scored(static_cast<size_t>(n), 0);  // scored[t] for prediction t
        for (size_t k = 0; k < windows.size(); ++k) {
          const EvalWindow& w = windows[k];
          REQUIRE(w.length >= 1);
          REQUIRE(w.length <= c);
          REQUIRE(w.begin + w.length <= n - 1);  // the last target (begin + T) is in the stream
          CHECK(w.begin == static_cast<int64_t>(k) * s);
          for (int64_t j = w.first_scored; j < w.length; ++j) {
            scored[static_cast<size_t>(w.begin + j + 1)] += 1;
            // History of row j is j + 1 tokens; after the first window at least c - s + 1.
            if (k > 0) CHECK(j + 1 >= c - s + 1);
          }
        }
        CHECK(scored[0] == 0);  // token 0 has no history: never a target
        for (int64_t t = 1; t < n; ++t) CHECK(scored[static_cast<size_t>(t)] == 1);
      }
    }
  }
}

TEST_CASE("windows: stride == context is the non-overlapping plan, scored in full") {
  const auto windows = plan_windows(21, 8, 8);  // 20 predictions: 8 + 8 + 4
  REQUIRE(windows.size() == 3);
  const int64_t begins[] = {0, 8, 16}, lengths[] = {8, 8, 4};
  for (size_t k = 0; k < 3; ++k) {
    CHECK(windows[k].begin == begins[k]);
    CHECK(windows[k].length == lengths[k]);
    CHECK(windows[k].first_scored == 0);
  }
  CHECK(planned_input_tokens(windows) == 20);
}

TEST_CASE("windows: a sliding plan by hand") {
  // 13 tokens, 12 predictions, context 6, stride 2: window 0 scores 1..6, then each window
  // scores the next two with 5-6 tokens of history.
  const auto w = plan_windows(13, 6, 2);
  REQUIRE(w.size() == 4);
  CHECK((w[0].begin == 0 && w[0].length == 6 && w[0].first_scored == 0));
  CHECK((w[1].begin == 2 && w[1].length == 6 && w[1].first_scored == 4));
  CHECK((w[2].begin == 4 && w[2].length == 6 && w[2].first_scored == 4));
  CHECK((w[3].begin == 6 && w[3].length == 6 && w[3].first_scored == 4));
  CHECK(planned_input_tokens(w) == 24);
  CHECK(plan_windows(1, 4, 2).empty());
  CHECK(plan_windows(0, 4, 2).empty());
}

// The flags' own wording (--context, --stride) is the CLI's: tests/eval/test_eval_cli.cpp.
TEST_CASE("windows: bad settings are one-line errors naming the setting") {
  CHECK(contains(error_of([] { plan_windows(10, 0, 1); }), "context is 0"));
  CHECK(contains(error_of([] { plan_windows(10, 4, 0); }), "stride is 0"));
  CHECK(contains(error_of([] { check_window_settings(4, 5); }), "stride 5 is larger than the context 4"));
}

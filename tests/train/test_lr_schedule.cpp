#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "config/lr_schedule.hpp"
#include "core/error.hpp"
#include "support/error_message.hpp"

using namespace ln;
using doctest::Approx;

namespace {
LrSchedule make(const std::string& kind, int64_t warmup = 10, int64_t total = 110, double power = 1.0) {
  LrSchedule s;
  s.kind = parse_lr_schedule_kind(kind);
  s.lr = 1e-3;
  s.min_lr = 1e-4;
  s.warmup_steps = warmup;
  s.total_steps = total;
  s.power = power;
  validate_lr_schedule(s);
  return s;
}
std::string error_of(const LrSchedule& s) {
  try {
    validate_lr_schedule(s, "train.lr_schedule");
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}
}  // namespace

TEST_CASE("warm-up is linear from lr/(W+1) and reaches lr at step W") {
  for (const std::string kind : {"cosine", "linear", "polynomial", "constant"}) {
    LrSchedule s = make(kind);
    CHECK(learning_rate(0, s) == Approx(1e-3 / 11));
    CHECK(learning_rate(4, s) == Approx(5e-3 / 11));
    CHECK(learning_rate(9, s) == Approx(10e-3 / 11));
    CHECK(learning_rate(10, s) == Approx(1e-3));
  }
}

TEST_CASE("decay shapes at hand-computed points") {
  // W = 10, N = 110: step 35 is p = 0.25, step 60 is p = 0.5, step 109 is p = 0.99.
  LrSchedule cosine = make("cosine");
  CHECK(learning_rate(35, cosine) == Approx(1e-4 + 9e-4 * (1 + 0.70710678118654752) / 2));
  CHECK(learning_rate(60, cosine) == Approx(5.5e-4));
  CHECK(learning_rate(109, cosine) == Approx(1e-4 + 9e-4 * (1 + std::cos(0.99 * 3.14159265358979)) / 2));
  LrSchedule linear = make("linear");
  CHECK(learning_rate(35, linear) == Approx(7.75e-4));
  CHECK(learning_rate(60, linear) == Approx(5.5e-4));
  CHECK(learning_rate(109, linear) == Approx(1e-4 + 9e-6));
  LrSchedule poly = make("polynomial", 10, 110, 2.0);
  CHECK(learning_rate(35, poly) == Approx(1e-4 + 9e-4 * 0.5625));
  CHECK(learning_rate(60, poly) == Approx(3.25e-4));
  LrSchedule constant = make("constant");
  CHECK(learning_rate(60, constant) == Approx(1e-3));
}

TEST_CASE("the schedule ends at min_lr at total_steps and stays there") {
  for (const std::string kind : {"cosine", "linear", "polynomial"}) {
    LrSchedule s = make(kind);
    CHECK(learning_rate(110, s) == Approx(1e-4));
    CHECK(learning_rate(1000000, s) == Approx(1e-4));
    // Monotone non-increasing after warm-up.
    for (int64_t t = 10; t < 120; ++t) CHECK(learning_rate(t + 1, s) <= learning_rate(t, s));
  }
  CHECK(learning_rate(1000000, make("constant")) == Approx(1e-3));
}

TEST_CASE("edge cases: no warm-up, warm-up as long as the run, one-step run") {
  LrSchedule s = make("cosine", 0, 100);
  CHECK(learning_rate(0, s) == Approx(1e-3));
  s = make("linear", 5, 5);
  CHECK(learning_rate(4, s) == Approx(5e-3 / 6));
  CHECK(learning_rate(5, s) == Approx(1e-4));
  s = make("cosine", 0, 1);
  CHECK(learning_rate(0, s) == Approx(1e-3));
  CHECK(learning_rate(1, s) == Approx(1e-4));
  CHECK_THROWS_AS(learning_rate(-1, s), Error);
}

TEST_CASE("validation names the bad field and its value") {
  // The kind is an enum: a bad name is refused where a name is parsed.
  std::string msg = ln::test::error_message([] { parse_lr_schedule_kind("cosin", "train.lr_schedule"); });
  CHECK(msg.find("[train.lr_schedule] kind 'cosin'") != std::string::npos);
  CHECK(msg.find("cosine, linear, polynomial, constant") != std::string::npos);
  LrSchedule s = make("cosine");
  s.min_lr = 2e-3;
  CHECK(error_of(s).find("min_lr is 0.002") != std::string::npos);
  s = make("cosine");
  s.warmup_steps = 200;
  CHECK(error_of(s).find("warmup_steps is 200") != std::string::npos);
  s = make("cosine");
  s.total_steps = 0;
  s.warmup_steps = 0;
  CHECK(error_of(s).find("total_steps is 0") != std::string::npos);
  s = make("cosine");
  s.lr = -1;
  CHECK(error_of(s).find("lr is -1") != std::string::npos);
  s = make("polynomial");
  s.power = 0;
  CHECK(error_of(s).find("power is 0") != std::string::npos);
  CHECK(error_of(make("polynomial", 3, 7, 0.5)).empty());
}

TEST_CASE("an anchored schedule continues from the previous curve without a jump") {
  // Old run: cosine 1e-3 -> 1e-4 over 100 steps, warm-up 10. Resumed at step 40 with 200 steps.
  LrSchedule old_s = make("cosine", 10, 100);
  LrSchedule new_s = make("cosine", 10, 200);
  const LrAnchor anchor{40, learning_rate(40, old_s)};
  CHECK(learning_rate(40, new_s, anchor) == learning_rate(40, old_s));  // no jump at s0
  // Hand-computed: at step 120, p = (120 - 40) / 160 = 0.5, cosine shape 0.5.
  const double expected = 1e-4 + (anchor.lr - 1e-4) * 0.5;
  CHECK(learning_rate(120, new_s, anchor) == Approx(expected));
  CHECK(learning_rate(200, new_s, anchor) == Approx(1e-4));
  CHECK(learning_rate(500, new_s, anchor) == Approx(1e-4));
  for (int64_t s = 41; s < 200; ++s)
    CHECK(learning_rate(s, new_s, anchor) < learning_rate(s - 1, new_s, anchor));
  // Without an anchor the plain schedule is used; before the anchor is an error.
  CHECK(learning_rate(120, new_s, std::nullopt) == learning_rate(120, new_s));
  CHECK_THROWS_AS(learning_rate(39, new_s, anchor), Error);

  // Linear and polynomial use their own shapes; constant holds L0.
  LrSchedule lin = make("linear", 10, 200);
  CHECK(learning_rate(120, lin, anchor) == Approx(1e-4 + (anchor.lr - 1e-4) * 0.5));
  LrSchedule poly = make("polynomial", 10, 200, 2.0);
  CHECK(learning_rate(120, poly, anchor) == Approx(1e-4 + (anchor.lr - 1e-4) * 0.25));
  CHECK(learning_rate(150, make("constant", 10, 200), anchor) == anchor.lr);

  // Anchored inside the warm-up: the ramp finishes at the new peak, then the plain schedule.
  LrSchedule warm = make("cosine", 10, 200);
  warm.lr = 2e-3;
  const LrAnchor early{4, learning_rate(4, old_s)};
  CHECK(learning_rate(4, warm, early) == early.lr);
  CHECK(learning_rate(7, warm, early) == Approx(early.lr + (2e-3 - early.lr) * 0.5));
  CHECK(learning_rate(10, warm, early) == learning_rate(10, warm));
  CHECK(learning_rate(10, warm, early) == Approx(2e-3));
}

#include "config/lr_schedule.hpp"

#include <cmath>
#include <numbers>

#include "config/config.hpp"
#include "core/error.hpp"

namespace ln {

LrScheduleKind parse_lr_schedule_kind(const std::string& text, const std::string& where) {
  if (auto kind = enum_from_name(kLrScheduleKindNames, text)) return *kind;
  LN_FAIL("[", where, "] kind '", text, "' is not a schedule; use one of ",
          enum_names_text(kLrScheduleKindNames));
}

void validate_lr_schedule(const LrSchedule& s, const std::string& where) {
  LN_CHECK(std::isfinite(s.lr) && s.lr > 0, "[", where, "] lr is ", s.lr, "; use a finite value > 0");
  LN_CHECK(std::isfinite(s.min_lr) && s.min_lr >= 0 && s.min_lr <= s.lr, "[", where, "] min_lr is ", s.min_lr,
           "; use a value in [0, lr] (lr is ", s.lr, ")");
  LN_CHECK(s.total_steps >= 1, "[", where, "] total_steps is ", s.total_steps, "; use at least 1");
  LN_CHECK(s.warmup_steps >= 0 && s.warmup_steps <= s.total_steps, "[", where, "] warmup_steps is ",
           s.warmup_steps, "; use a value in [0, total_steps] (total_steps is ", s.total_steps, ")");
  LN_CHECK(std::isfinite(s.power) && s.power > 0, "[", where, "] power is ", s.power,
           "; use a finite value > 0");
}

LrSchedule lr_schedule_of(const TrainConfig& tc) {
  return LrSchedule{tc.schedule, tc.lr, tc.min_lr, tc.warmup_steps, tc.steps, tc.poly_power};
}

double learning_rate(int64_t step, const LrSchedule& s) {
  LN_CHECK(step >= 0, "[learning_rate] step is ", step, "; steps count from 0");
  if (step < s.warmup_steps) {
    return s.lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps + 1);
  }
  if (s.kind == LrScheduleKind::constant) return s.lr;
  if (step >= s.total_steps) return s.min_lr;
  const double p =
      static_cast<double>(step - s.warmup_steps) / static_cast<double>(s.total_steps - s.warmup_steps);
  const double range = s.lr - s.min_lr;
  switch (s.kind) {
    case LrScheduleKind::cosine:
      return s.min_lr + range * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
    case LrScheduleKind::linear:
      return s.lr - range * p;
    case LrScheduleKind::polynomial:
      return s.min_lr + range * std::pow(1.0 - p, s.power);
    case LrScheduleKind::constant:
      return s.lr;
  }
  return s.lr;
}

double learning_rate(int64_t step, const LrSchedule& s, const std::optional<LrAnchor>& anchor) {
  if (!anchor) return learning_rate(step, s);
  const int64_t s0 = anchor->step;
  const double l0 = anchor->lr;
  LN_CHECK(step >= s0, "[learning_rate] step ", step, " is before the schedule's anchor step ", s0);
  if (s0 < s.warmup_steps) {
    if (step >= s.warmup_steps) return learning_rate(step, s);
    return l0 + (s.lr - l0) * static_cast<double>(step - s0) / static_cast<double>(s.warmup_steps - s0);
  }
  if (s.kind == LrScheduleKind::constant) return l0;
  if (step >= s.total_steps) return s.min_lr;
  const double p = static_cast<double>(step - s0) / static_cast<double>(s.total_steps - s0);
  double shape = 1.0;
  switch (s.kind) {
    case LrScheduleKind::cosine:
      shape = 0.5 * (1.0 + std::cos(std::numbers::pi * p));
      break;
    case LrScheduleKind::linear:
      shape = 1.0 - p;
      break;
    case LrScheduleKind::polynomial:
      shape = std::pow(1.0 - p, s.power);
      break;
    case LrScheduleKind::constant:
      break;
  }
  return s.min_lr + (l0 - s.min_lr) * shape;
}

}  // namespace ln

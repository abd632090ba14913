#pragma once
// Learning-rate schedules, in one home: the kinds (train.schedule) and their names, the
// formulas, validation, and the anchor a resume keeps when the schedule changes (state.json,
// run/run_state.hpp). Declared in lib/config, the lowest layer that needs them: the config schema
// takes the kinds' names from here, lib/run stores the anchor, lib/train asks for the rate.
//
// Linear warm-up, then a decay to min_lr at total_steps.
//
// `step` is the 0-based index of the optimizer step about to be taken (the first update uses
// learning_rate(0, s)). With W = warmup_steps, N = total_steps:
//
//   step < W:        lr * (step + 1) / (W + 1)          (nanoGPT's convention: never 0, and
//                                                        reaches lr*W/(W+1) at step W-1)
//   W <= step < N:   p = (step - W) / (N - W)  in [0, 1)
//                    cosine:     min_lr + (lr - min_lr) * (1 + cos(pi * p)) / 2
//                    linear:     lr - (lr - min_lr) * p
//                    polynomial: min_lr + (lr - min_lr) * (1 - p)^power
//                    constant:   lr   (min_lr is not used)
//   step >= N:       min_lr   (lr for "constant"): the schedule is clamped after its end.
//
// So step W gets exactly lr, and the decay reaches min_lr at step N (the first step past a
// run of N updates, i.e. the value is continuous at the end of the run).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/enum_names.hpp"

namespace ln {

enum class LrScheduleKind { cosine, linear, polynomial, constant };
// The names: the only list of them (core/enum_names.hpp), the default first.
inline constexpr EnumName<LrScheduleKind> kLrScheduleKindNames[] = {
    {"cosine", LrScheduleKind::cosine},
    {"linear", LrScheduleKind::linear},
    {"polynomial", LrScheduleKind::polynomial},
    {"constant", LrScheduleKind::constant}};

// Where a schedule changed on resume was anchored (learning_rate with an anchor, below).
struct LrAnchor {
  int64_t step = 0;  // the resumed step s0
  double lr = 0;     // the learning rate the previous schedule gave at s0
};

struct TrainConfig;

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::cosine;
  double lr = 1e-3;     // peak learning rate, reached at the end of warm-up
  double min_lr = 0.0;  // value at total_steps and after
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double power = 1.0;  // exponent of "polynomial"
  bool operator==(const LrSchedule&) const = default;
};

// The schedule train.* describes (schedule, lr, min_lr, warmup_steps, steps, poly_power).
LrSchedule lr_schedule_of(const TrainConfig& tc);

// The kind called `text` (its names: kLrScheduleKindNames), else ln::Error
//   "[lr_schedule] kind 'cosin' is not a schedule; use one of cosine, linear, polynomial, constant".
// The config has parsed train.schedule once already: this is for other callers (tests, tools).
LrScheduleKind parse_lr_schedule_kind(const std::string& text, const std::string& where = "lr_schedule");

// Throws ln::Error naming the first bad field and its value, e.g. "[lr_schedule] lr is 0; ...".
// `where` prefixes the field names (e.g. "train.lr_schedule" for config errors).
void validate_lr_schedule(const LrSchedule& schedule, const std::string& where = "lr_schedule");

// The learning rate for 0-based optimizer step `step` (>= 0). Assumes a validated schedule.
double learning_rate(int64_t step, const LrSchedule& schedule);

// A schedule changed on resume (train.steps, lr, min_lr, warmup_steps, schedule, poly_power
// given with --set) continues from where the old one was instead of jumping. The anchor is
// the resumed step s0 and the learning rate L0 the previous schedule gave at s0. Then, for
// step s >= s0 under the new schedule (W, N, min_lr m, peak lr):
//
//   s0 < W (still warming up): s < W: L0 + (lr - L0) * (s - s0) / (W - s0)   (finish the ramp)
//                              s >= W: learning_rate(s, new)                 (unchanged)
//   s0 >= W:  constant: L0 for every step
//             s < N:    m + (L0 - m) * shape((s - s0) / (N - s0)), shape = the kind's decay
//                       curve (cosine (1 + cos(pi p)) / 2, linear 1 - p, polynomial (1 - p)^power)
//             s >= N:   m
//
// So the LR at s0 equals the previous schedule's, and the new decay reaches min_lr at the new
// train.steps. A later change anchors again, at its own step, on this continued curve.
// (struct LrAnchor above: state.json records it.)

// learning_rate(step, schedule) when there is no anchor; the continued curve above otherwise
// (ln::Error if step < anchor->step).
double learning_rate(int64_t step, const LrSchedule& schedule, const std::optional<LrAnchor>& anchor);

}  // namespace ln

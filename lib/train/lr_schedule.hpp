#pragma once
// Learning-rate schedules: linear warm-up, then a decay to min_lr at total_steps.
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
#include <string>
#include <vector>

namespace ln {

struct LrSchedule {
  std::string kind = "cosine";  // cosine | linear | polynomial | constant
  double lr = 1e-3;             // peak learning rate, reached at the end of warm-up
  double min_lr = 0.0;          // value at total_steps and after
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double power = 1.0;           // exponent of "polynomial"
};

// The valid values of LrSchedule::kind.
const std::vector<std::string>& lr_schedule_kinds();

// Throws ln::Error naming the first bad field and its value, e.g.
//   "[lr_schedule] kind 'cosin' is not a schedule; use one of cosine, linear, polynomial, constant".
// `where` prefixes the field names (e.g. "train.lr_schedule" for config errors).
void validate_lr_schedule(const LrSchedule& schedule, const std::string& where = "lr_schedule");

// The learning rate for 0-based optimizer step `step` (>= 0). Assumes a validated schedule.
double learning_rate(int64_t step, const LrSchedule& schedule);

}  // namespace ln

#pragma once
// Where a learning-rate schedule changed on resume was anchored (train/lr_schedule.hpp
// explains the continued curve). It is part of a run's state.json (run_state.hpp), so it is
// declared here, below lib/train.
#include <cstdint>

namespace ln {

struct LrAnchor {
  int64_t step = 0;  // the resumed step s0
  double lr = 0;     // the learning rate the previous schedule gave at s0
};

}  // namespace ln

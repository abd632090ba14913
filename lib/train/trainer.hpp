#pragma once
// The training loop: tokenizer and data set-up, model and optimizer, the step loop with
// gradient accumulation, clipping, periodic validation, checkpoints and exact resume.
#include <cstdint>
#include <string>

#include "config/config.hpp"

namespace ln {

struct TrainOptions {
  std::string resume = "auto";  // auto | never | PATH (a checkpoint directory)
  bool quiet = false;           // no progress line (tests)
  int64_t stop_after = 0;       // > 0: stop and save after this many steps of this run, exactly
                                // as an interrupt would (the schedule still spans train.steps)
};

struct TrainResult {
  int64_t step = 0;               // steps completed
  double train_loss = 0;          // last step's loss
  double val_loss = 0;            // last validation loss (NaN if none was run)
  std::string checkpoint;         // newest checkpoint written
  bool stopped_early = false;     // by a signal or train.max_minutes
};

TrainResult train(const Config& config, const TrainOptions& options);

}  // namespace ln

#pragma once
// The training loop: tokenizer and data set-up, model and optimizer, the step loop with
// gradient accumulation, clipping, periodic validation, checkpoints and exact resume.
//
// The life of a run (train.out_dir):
//   - it is locked for the whole call (run/run_folder.hpp): a second trainer is refused at once;
//   - resume (auto) takes the newest intact checkpoint. Its config wins (run_config.hpp): a
//     different model/data/tokenizer is refused; train.* changes need --set and continue the
//     LR schedule from the current step (config/lr_schedule.hpp, LrAnchor);
//   - a run already at train.steps is "finished": nothing is loaded or written;
//   - when checkpoints exist but none verifies, nothing is touched: training refuses to start;
//     otherwise damaged checkpoints are moved aside (damaged-step-N), never overwritten or
//     pruned;
//   - --init-from starts a new run (step 0, fresh optimizer and schedule) from another
//     checkpoint's weights and tokenizer.
//
// metrics.jsonl rows carry "kind": run (one per session: version, config sha256, threads,
// ISA, start time, the peak MFU divides by), train (with mfu, train/mfu.hpp), val, checkpoint,
// and summary (end of a session). elapsed_s is the
// training wall time summed over every session of the run.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace ln {

struct TrainOptions {
  std::string resume = "auto";              // auto | never | PATH (a checkpoint directory)
  bool quiet = false;                       // no progress line (tests)
  int64_t stop_after = 0;                   // > 0: stop and save after this many steps of this run, exactly
                                            // as an interrupt would (the schedule still spans train.steps)
  std::vector<std::string> overrides = {};  // the --set assignments already applied to the config:
                                            // the only train.* keys a resume may change
  bool config_given = true;    // false (no --config): a resume uses the run's own config + overrides
  std::string init_from = "";  // a checkpoint or run dir: a new run starts from its weights
  // `longnet bench train`: the same set-up and step on random tokens (splitmix64 of the
  // position, vocabulary model.vocab_size or else tokenizer.vocab_size), without a run
  // folder, data or tokenizer: nothing is locked, read or written. resume/init_from unused.
  bool synthetic_data = false;
};

struct TrainResult {
  int64_t step = 0;               // steps completed
  double train_loss = 0;          // last step's loss (NaN if no step ran)
  double val_loss = 0;            // last validation loss (NaN if none was run)
  int64_t val_tokens = 0;         // predictions the last validation scored (score/held_out.hpp)
  int64_t val_split_tokens = 0;   // tokens in the whole validation split
  bool val_whole_split = false;   // val_loss scored the whole split like `eval --validation-split`
  std::string checkpoint;         // newest checkpoint written
  bool stopped_early = false;     // by a signal or train.max_minutes
  bool finished_already = false;  // the run had reached train.steps before this call: no work done
};

TrainResult train(const Config& config, const TrainOptions& options);

}  // namespace ln

#pragma once
// How a training session starts in its run folder (train.out_dir), before any data is read:
//   1. rank 0 takes the lock, removes what a crash left and chooses the checkpoint to resume,
//      moving damaged ones aside (run/run_folder.hpp); the other ranks wait for it;
//   2. every rank reads that checkpoint (refusing non-finite weights or optimizer state);
//   3. the config the run trains with: the given one for a new run; on resume the run's own
//      with the accepted changes (run_config.hpp), which are printed, and the learning-rate
//      anchor when they change the schedule (config/lr_schedule.hpp).
// The sequence split of the config over the process grid is checked once
// (check_sequence_grid): before the folder is touched when a config was given, else on the
// config resolved here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/lr_schedule.hpp"
#include "parallel/process_grid.hpp"
#include "run/checkpoint.hpp"
#include "run/run_folder.hpp"
#include "run/run_state.hpp"
#include "train/trainer.hpp"

namespace ln {

struct ResumePoint {
  std::string dir;
  CheckpointData checkpoint;
  RunState state;  // state.config: the config the run was trained with
};

struct RunStart {
  std::optional<RunFolderLock> lock;  // held by rank 0 for the whole session
  std::optional<ResumePoint> resume;  // empty: a new run
  Config config;                      // the config this run trains with
  std::optional<LrAnchor> anchor;
  double elapsed_before = 0;  // training seconds of the sessions before this one
  int64_t step = 0;           // the step this session starts at
  bool finished = false;      // the resumed run had reached train.steps already
};

// Steps 1 to 3 above. ln::Error on a busy folder, no intact checkpoint, a refused config change.
void start_run(RunStart& start, const Config& given, const TrainOptions& options,
               parallel::ProcessGrid& grid);

// ln::Error (the same line on every rank) when config's sequence does not split over the grid's
// sequence group (ops/sequence_parallel_attention.hpp).
void check_sequence_grid(const Config& config, parallel::ProcessGrid& grid);

}  // namespace ln

#include "train/run_start.hpp"

#include <iostream>

#include "config/lr_schedule.hpp"
#include "core/error.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "run/model_builder.hpp"
#include "train/rank_agreement.hpp"
#include "train/run_config.hpp"

namespace ln {

namespace {

std::optional<ResumePoint> load_resume_point(const std::string& run_dir, const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  ResumePoint point;
  point.dir = dir;
  point.checkpoint = read_checkpoint(dir);
  point.state = read_run_state(point.checkpoint.state_json, dir + "/state.json");
  parallel::SymmetricErrorScope symmetric;  // every rank read the same files
  if (auto bad = non_finite_tensor(point.checkpoint.model)) {
    LN_FAIL("checkpoint ", dir, " holds non-finite weights (tensor '", *bad,
            "' has NaN or Inf); resume from an "
            "earlier checkpoint with --resume ",
            run_dir, "/step-N");
  }
  if (auto bad = non_finite_tensor(point.checkpoint.optimizer)) {
    LN_FAIL("checkpoint ", dir, " holds a non-finite optimizer state ('", *bad,
            "'); resume from an earlier "
            "checkpoint with --resume ",
            run_dir, "/step-N");
  }
  return point;
}

// The config of a resumed run: the run's own with the accepted changes, printed.
void resolve_resumed(RunStart& start, const Config& given, const TrainOptions& options) {
  const ResumePoint& resume = *start.resume;
  start.step = resume.state.step;
  const int64_t step = start.step;
  parallel::SymmetricErrorScope symmetric;  // the same files and arguments on every rank
  ResumedConfig resolved =
      resolve_resumed_config(resume.state.config, given, options.overrides, options.config_given, resume.dir);
  start.config = resolved.config;
  const Config& config = start.config;
  LN_CHECK(config.train.steps >= step, "train.steps ", config.train.steps, " is below the step of ",
           resume.dir, " (", step,
           "); a run cannot be shortened past its checkpoint: use --set train.steps=", step, " or more");
  start.anchor = resume.state.lr_anchor;
  start.elapsed_before = resume.state.elapsed_s;
  const LrSchedule before = lr_schedule_of(resume.state.config.train);
  if (before != lr_schedule_of(config.train)) {
    start.anchor = LrAnchor{step, learning_rate(step, before, resume.state.lr_anchor)};
  }
  if (!options.quiet && !resolved.changes.empty()) {
    std::cerr << "resuming with changed settings (--set):\n";
    for (const auto& change : resolved.changes) std::cerr << "  " << change.text() << "\n";
    if (start.anchor && start.anchor->step == step) {
      std::cerr << "  the learning rate continues from " << start.anchor->lr << " at step " << step
                << " and decays to train.min_lr " << config.train.min_lr << " at step " << config.train.steps
                << "\n";
    }
  }
  start.finished = step >= config.train.steps;
}

}  // namespace

void check_sequence_grid(const Config& config, parallel::ProcessGrid& grid) {
  parallel::SymmetricErrorScope symmetric;
  check_sequence_split(attention_spec_from_config(config), config.data.seq_len, grid.sequence_size());
  LN_CHECK(
      config.model.kv_conv == 1 || grid.sequence_size() == 1, "model.kv_conv (", config.model.kv_conv,
      ") with parallel.sequence > 1 is not yet supported: the convolution would need the previous rank's "
      "last keys; use parallel.sequence: 1 (data parallelism works)");
}

void start_run(RunStart& start, const Config& given, const TrainOptions& options,
               parallel::ProcessGrid& grid) {
  const std::string& run_dir = given.train.out_dir;
  // Rank 0 takes the lock, cleans the leftovers and chooses the checkpoint (moving damaged
  // ones aside); then every rank reads it.
  const std::string resume_dir = root_first(grid, [&] {
    start.lock.emplace(run_dir);
    remove_stale_run_files(run_dir);
    return choose_resume_checkpoint(run_dir, options.resume);
  });
  start.resume = load_resume_point(run_dir, resume_dir);
  start.config = given;
  if (start.resume) {
    resolve_resumed(start, given, options);
  } else if (!options.init_from.empty() && !options.quiet) {
    std::cerr << "starting a new run in " << run_dir << " from the weights of " << options.init_from << "\n";
  }
}

}  // namespace ln

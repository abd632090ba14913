#include "train/run_start.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "config/lr_schedule.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "run/model_builder.hpp"
#include "train/metrics_log.hpp"
#include "train/rank_agreement.hpp"
#include "train/run_config.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

// Without a config, `train` can only resume: a folder that holds no checkpoint (a typo in
// --set train.out_dir, or a run that never saved) is refused before anything is created there.
void check_run_to_resume(const std::string& run_dir, const TrainOptions& options) {
  if (options.config_given || (options.resume != "auto" && options.resume != "never")) return;
  parallel::SymmetricErrorScope symmetric;  // every rank sees the same folder
  std::error_code ec;
  const bool folder = fs::is_directory(run_dir, ec);
  LN_CHECK(options.resume != "never", "--resume never starts a new run, which needs a config: longnet train ",
           "CONFIG --resume never (see configs/)");
  if (folder && !list_checkpoints(run_dir).empty()) return;
  const std::string saved = (fs::path(run_dir) / "config.yaml").string();
  LN_CHECK(!(folder && fs::is_regular_file(saved, ec)), run_dir,
           " holds no checkpoint yet (its run never saved one), so there is nothing to resume; start it "
           "again from its config: longnet train ",
           saved);
  LN_FAIL("there is no run in ", run_dir, folder ? " (no step-* checkpoint)" : " (no such folder)",
          ", and without a config there is nothing to start from; name an existing run with --set "
          "train.out_dir=DIR, or start a new one from a config: longnet train CONFIG (see configs/)");
}

// A run folder's checkpoints are one run: without --config, the checkpoint chosen to resume
// decides the config, so one copied in from another run (another model shape, data or
// tokenizer) must not take the run over. Its identity keys are compared with the run's own
// config.yaml, else with the run's other checkpoints.
void check_resume_belongs(const std::string& run_dir, const ResumePoint& resume) {
  const std::string name = fs::path(resume.dir).filename().string();
  auto refuse_if_differs = [&](const Config& run, const std::string& what) {
    std::string differing;
    for (const auto& change : identity_changes(run, resume.state.config)) {
      differing += (differing.empty() ? "" : ", ") + change.key + " (" + change.before + " in " + what +
                   ", " + change.after + " in " + name + ")";
    }
    LN_CHECK(differing.empty(), "cannot resume ", run_dir, " from ", name,
             ": it is a checkpoint of another run: ", differing,
             "; nothing was changed. Move it out of the run folder, or resume it in its own folder");
  };
  const std::string saved = (fs::path(run_dir) / "config.yaml").string();
  std::error_code ec;
  if (fs::is_regular_file(saved, ec)) {
    std::optional<Config> run;
    try {
      run = parse_config_yaml(read_file(saved), saved);
    } catch (const Error&) {
      // An unreadable or edited config.yaml says nothing about the run: the checkpoints decide.
    }
    if (run) return refuse_if_differs(*run, "the run's config.yaml");
  }
  for (const auto& other : list_checkpoints(run_dir)) {
    if (other.path == resume.dir) continue;
    std::optional<RunState> state;
    try {
      state = read_run_state(read_file(other.path + "/state.json"), other.path + "/state.json");
    } catch (const Error&) {
      continue;  // a damaged neighbour says nothing about the run
    }
    refuse_if_differs(state->config, fs::path(other.path).filename().string());
  }
}

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
  // The run's time so far: the checkpoint's, or more when the run went on after it (the final
  // validation after the last save, steps a crash lost): metrics.jsonl's rows hold that time.
  start.elapsed_before = resume.state.elapsed_s;
  for (const auto& row : read_metrics((fs::path(given.train.out_dir) / "metrics.jsonl").string()))
    start.elapsed_before = std::max(start.elapsed_before, row.number("elapsed_s", 0));
  const LrSchedule before = lr_schedule_of(resume.state.config.train);
  if (before != lr_schedule_of(config.train)) {
    start.anchor = LrAnchor{step, learning_rate(step, before, resume.state.lr_anchor)};
  }
  if (!options.quiet && !resolved.changes.empty()) {
    std::cerr << "resuming with changed settings (--set):\n";
    for (const auto& change : resolved.changes) std::cerr << "  " << change.text() << "\n";
    const TrainConfig& tc = config.train;
    const bool ended = start.anchor && start.anchor->step == step && step >= tc.warmup_steps &&
                       tc.schedule != LrScheduleKind::constant && start.anchor->lr <= tc.min_lr * (1 + 1e-9);
    if (ended) {
      // The old schedule had reached min_lr: continuing it from there is a flat line.
      std::cerr
          << "  note: the learning rate is already train.min_lr " << tc.min_lr << " at step " << step
          << " (the run's schedule had ended), so steps " << step + 1 << ".." << tc.steps
          << " train at that flat rate. For a new warm-up and decay add --set train.warmup_steps=W with W > "
          << step << " (e.g. " << step + std::max<int64_t>(1, (tc.steps - step) / 10)
          << "): the rate climbs back to train.lr " << tc.lr << " by step W and decays to train.min_lr at "
          << "step " << tc.steps << "\n";
    } else if (start.anchor && start.anchor->step == step && step < tc.warmup_steps) {
      std::cerr << "  the learning rate climbs from " << start.anchor->lr << " at step " << step
                << " to train.lr " << tc.lr << " at step " << tc.warmup_steps
                << ", then decays to train.min_lr " << tc.min_lr << " at step " << tc.steps << "\n";
    } else if (start.anchor && start.anchor->step == step) {
      std::cerr << "  the learning rate continues from " << start.anchor->lr << " at step " << step
                << " and decays to train.min_lr " << tc.min_lr << " at step " << tc.steps << "\n";
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
  check_run_to_resume(run_dir, options);
  // Rank 0 takes the lock, cleans the leftovers and chooses the checkpoint (moving damaged
  // ones aside); then every rank reads it.
  const std::string resume_dir = root_first(grid, [&] {
    start.lock.emplace(run_dir);
    remove_stale_run_files(run_dir);
    if (!options.init_from.empty()) {
      const auto existing = list_checkpoints(run_dir);
      LN_CHECK(existing.empty(), "--init-from starts a new run, but ", run_dir, " already holds ",
               existing.size(), " checkpoint(s) (newest ", fs::path(existing.back().path).filename().string(),
               "); choose a new train.out_dir (--set train.out_dir=DIR) for the new run, or drop --init-from "
               "to resume this one");
    }
    return choose_resume_checkpoint(run_dir, options.resume);
  });
  start.resume = load_resume_point(run_dir, resume_dir);
  start.config = given;
  if (start.resume) {
    if (!options.config_given) {
      parallel::SymmetricErrorScope symmetric;  // every rank reads the same files
      check_resume_belongs(run_dir, *start.resume);
    }
    resolve_resumed(start, given, options);
  } else if (!options.init_from.empty() && !options.quiet) {
    std::cerr << "starting a new run in " << run_dir << " from the weights of " << options.init_from << "\n";
  }
}

}  // namespace ln

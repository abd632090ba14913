#include "train/train_session.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <unordered_set>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "core/threading.hpp"
#include "data/counter_rng.hpp"
#include "data/sha256.hpp"
#include "dist/gradient_sum.hpp"
#include "dist/process_grid.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "nn/language_model.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "run/checkpoint.hpp"
#include "run/model_builder.hpp"
#include "run/run_state.hpp"
#include "run/trained_model.hpp"
#include "score/held_out.hpp"
#include "train/adamw.hpp"
#include "train/batch_plan.hpp"
#include "train/grad_clip.hpp"
#include "train/loss_plot.hpp"
#include "train/lr_schedule.hpp"
#include "train/memory_estimate.hpp"
#include "train/metrics_log.hpp"
#include "train/rank_agreement.hpp"
#include "train/run_config.hpp"
#include "train/run_data.hpp"
#include "train/run_folder.hpp"
#include "train/sharded_loss.hpp"
#include "train/stop_signal.hpp"

#ifndef LONGNET_VERSION
#define LONGNET_VERSION "unknown"
#endif

namespace ln {

namespace fs = std::filesystem;

namespace {

LrSchedule schedule_of(const TrainConfig& tc) {
  return LrSchedule{tc.schedule, tc.lr, tc.min_lr, tc.warmup_steps, tc.steps, tc.poly_power};
}

bool same_schedule(const LrSchedule& a, const LrSchedule& b) {
  return a.kind == b.kind && a.lr == b.lr && a.min_lr == b.min_lr && a.warmup_steps == b.warmup_steps &&
         a.total_steps == b.total_steps && a.power == b.power;
}

struct ResumePoint {
  std::string dir;
  CheckpointData checkpoint;
  RunState state;  // state.config: the config the run was trained with
};

// The checkpoint to resume, or nullopt for a new run. Every checkpoint of the run is verified
// first. When none verifies (auto), nothing is touched and training refuses to start.
// Otherwise the damaged ones are moved aside (damaged-step-N): a later save of their step
// would overwrite them and pruning would delete them, and their bytes (often intact weights)
// are the user's.
//
// choose_resume_dir verifies and moves aside (rank 0 of a distributed run alone, holding the
// lock): the checkpoint directory to resume, or "" for a new run. load_resume_point reads it
// (every rank).
std::string choose_resume_dir(const std::string& run_dir, const std::string& mode) {
  const auto existing = list_checkpoints(run_dir);
  if (mode == "never") {
    LN_CHECK(existing.empty(), "--resume never starts a new run, but ", run_dir, " already holds ",
             existing.size(), " checkpoint(s) (newest ", fs::path(existing.back().path).filename().string(),
             "); choose a new train.out_dir (--set train.out_dir=DIR), or move the old run away yourself");
    return "";
  }
  std::vector<std::pair<std::string, std::string>> damaged;  // path, problem (newest first)
  std::optional<std::string> latest;
  for (auto it = existing.rbegin(); it != existing.rend(); ++it) {
    if (auto problem = checkpoint_problem(it->path)) {
      damaged.emplace_back(it->path, *problem);
    } else if (!latest) {
      latest = it->path;
    }
  }
  std::string dir;
  if (mode == "auto") {
    if (!latest) {
      if (existing.empty()) return "";
      std::string reasons;
      for (const auto& [path, problem] : damaged) {
        reasons += (reasons.empty() ? "" : "; ") + fs::path(path).filename().string() + ": " + problem;
      }
      LN_FAIL(
          "no intact checkpoint in ", run_dir, "; ", damaged.size(), " damaged: ", reasons,
          "; nothing was changed. Use --resume never with a new train.out_dir to start over, or restore a "
          "checkpoint");
    }
    dir = *latest;
  } else {
    dir = mode;
    LN_CHECK(fs::is_directory(dir), "--resume ", dir,
             " is not a checkpoint directory; use auto, never or a step-* dir");
    if (auto problem = checkpoint_problem(dir)) LN_FAIL("cannot resume from ", dir, ": ", *problem);
  }
  for (const auto& [path, problem] : damaged) {
    const std::string aside = set_aside_damaged_checkpoint(path);
    std::cerr << "warning: damaged checkpoint " << fs::path(path).filename().string() << " (" << problem
              << ") moved aside to " << aside << "; resuming from " << dir << "\n";
  }
  return dir;
}

std::optional<ResumePoint> load_resume_point(const std::string& run_dir, const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  ResumePoint point;
  point.dir = dir;
  point.checkpoint = read_checkpoint(dir);
  point.state = read_run_state(point.checkpoint.state_json, dir + "/state.json");
  dist::SymmetricErrorScope symmetric;  // every rank read the same files
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

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

struct TrainSession::State {
  TrainOptions options;
  // Distributed (mpirun): the data x sequence grid; rank 0 alone takes the lock and writes the
  // run folder (ranks may share one file system), every rank reads it.
  std::unique_ptr<dist::ProcessGrid> grid;
  bool writer = true;
  std::string run_dir;
  std::optional<RunFolderLock> lock;
  TrainResult result;
  std::optional<ResumePoint> resume;
  Config config;
  std::optional<LrAnchor> anchor;
  double elapsed_before = 0;
  int64_t step = 0, first_step = 0;
  bool finished_already = false, stopped_in_setup = false;
  std::optional<TrainedModel> source;
  std::optional<RunData> data;
  std::string tokenizer_bytes;
  BatchPlan plan;
  int64_t T = 0, micro = 0;
  // This rank's part of each micro-batch: rows [first_row, first_row + rows), tokens
  // [first_token, first_token + l) of each (the whole micro-batch in one process).
  int64_t rows = 0, l = 0, first_row = 0, first_token = 0;
  std::optional<BatchSampler> sampler;
  std::string resolved_yaml;  // with the real vocab size: config.yaml and the weights' metadata
  std::unique_ptr<LanguageModel> model;
  double unigram = 0;
  std::vector<ParamRef> refs;
  std::unique_ptr<AdamW> optimizer;
  std::vector<Var> params;
  LrSchedule schedule;
  std::string metrics_path;
  std::optional<MetricsLog> metrics;
  double best_val = std::numeric_limits<double>::infinity();
  int64_t best_val_step = -1;
  std::chrono::steady_clock::time_point started;
  std::vector<int32_t> inputs, targets;

  MemoryEstimate estimate;

  void set_up(const Config& given);
  // bench train (options.synthetic_data): the steps below with random tokens, nothing else.
  void set_up_synthetic(const Config& given);
  // Shared by both: the batch geometry of `config`, then the model, optimizer and schedule.
  void plan_geometry();
  void build_model_and_optimizer(const ModelSpec& spec);
  double elapsed_total() const {
    return elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  // The files of the run folder: only these write, and only on rank 0 (`writer`) of a distributed run.
  void write_run_header();
  void write_row(const JsonObject& row) {
    if (writer && metrics) metrics->append(row);
  }
  void write_checkpoint_files();
  void write_plot() {
    if (writer) write_loss_plot(run_dir + "/loss.svg", loss_plot_data(read_metrics(metrics_path)));
  }
};

void TrainSession::State::set_up(const Config& given) {
  run_dir = given.train.out_dir;
  // The grid first: a world that is not a multiple of parallel.sequence, or a sequence that
  // does not split, is refused before any file is touched (the same line on every rank). On a
  // resume without --config the split is checked below, against the run's own config.
  grid = std::make_unique<dist::ProcessGrid>(given.parallel.sequence);
  writer = grid->is_root();
  if (!writer) options.quiet = true;  // rank 0 alone reports
  if (options.config_given) {
    dist::SymmetricErrorScope symmetric;
    // The attention part of the spec does not depend on the vocabulary.
    check_sequence_split(model_spec_from_config(given, 2).attention, given.data.seq_len,
                         grid->sequence_size());
  }
  result.val_loss = std::nan("");
  result.train_loss = std::nan("");
  // Rank 0 takes the lock, cleans the leftovers and chooses the checkpoint (moving damaged
  // ones aside); then every rank reads it.
  const std::string resume_dir = root_first(*grid, [&] {
    lock.emplace(run_dir);
    remove_stale_run_files(run_dir);
    return choose_resume_dir(run_dir, options.resume);
  });
  resume = load_resume_point(run_dir, resume_dir);

  // ---- the config this run trains with ---------------------------------------------------
  config = given;
  if (resume) {
    step = resume->state.step;
    dist::SymmetricErrorScope symmetric;  // the same files and arguments on every rank
    ResumedConfig resolved = resolve_resumed_config(resume->state.config, given, options.overrides,
                                                    options.config_given, resume->dir);
    config = resolved.config;
    check_sequence_split(model_spec_from_config(config, 2).attention, config.data.seq_len,
                         grid->sequence_size());
    LN_CHECK(config.train.steps >= step, "train.steps ", config.train.steps, " is below the step of ",
             resume->dir, " (", step,
             "); a run cannot be shortened past its checkpoint: use --set train.steps=", step, " or more");
    anchor = resume->state.lr_anchor;
    elapsed_before = resume->state.elapsed_s;
    const LrSchedule before = schedule_of(resume->state.config.train);
    if (!same_schedule(before, schedule_of(config.train))) {
      anchor = LrAnchor{step, learning_rate(step, before, resume->state.lr_anchor)};
    }
    result.checkpoint = resume->dir;
    result.step = step;
    if (!options.quiet && !resolved.changes.empty()) {
      std::cerr << "resuming with changed settings (--set):\n";
      for (const auto& change : resolved.changes) std::cerr << "  " << change.text() << "\n";
      if (anchor && anchor->step == step) {
        std::cerr << "  the learning rate continues from " << anchor->lr << " at step " << step
                  << " and decays to train.min_lr " << config.train.min_lr << " at step "
                  << config.train.steps << "\n";
      }
    }
    if (step >= config.train.steps) {
      finished_already = true;
      result.finished_already = true;
      return;
    }
  } else if (!options.init_from.empty() && !options.quiet) {
    std::cerr << "starting a new run in " << run_dir << " from the weights of " << options.init_from << "\n";
  }
  if (!resume && !options.config_given) {  // a new run from the defaults and --set
    dist::SymmetricErrorScope symmetric;
    check_sequence_split(model_spec_from_config(config, 2).attention, config.data.seq_len,
                         grid->sequence_size());
  }
  first_step = step;
  if (resume && !options.init_from.empty() && !options.quiet) {
    std::cerr << "note: " << run_dir
              << " already has a checkpoint, so --init-from is not applied: resuming it\n";
  }
  const TrainConfig& tc = config.train;
  if (writer)
    remove_dead_writers_files(config.data.cache_dir);  // e.g. a token cache a killed run was writing
  // The config actually used (on resume: the run's own, with the accepted changes).
  if (!options.quiet) std::cerr << "config (" << config.source << "):\n" << config_table(config);

  // --init-from: the source's weights and tokenizer; its model shape must match the config's.
  if (!resume && !options.init_from.empty()) {
    dist::SymmetricErrorScope symmetric;  // every rank reads the same source
    source.emplace(load_trained_model(options.init_from));
    // Same model? Decided on the typed specs (the new run uses the source's tokenizer).
    std::string differing;
    for (const auto& d :
         model_differences(source->spec, model_spec_from_config(config, source->tokenizer.vocab_size()),
                           "the source", "now")) {
      differing += (differing.empty() ? "" : ", ") + d;
    }
    LN_CHECK(differing.empty(), "cannot --init-from ", source->dir,
             ": its model has a different shape: ", differing,
             "; use the source's model and attention settings (only model.dropout may differ)");
  }

  const std::string tokenizer_from = resume   ? resume->checkpoint.tokenizer_path
                                     : source ? source->dir + "/tokenizer.model"
                                              : std::string();
  // Rank 0 first (it may train the tokenizer and fill the token cache), then the others read.
  root_first(*grid, [&] {
    data.emplace(prepare_run_data(config, run_dir, tokenizer_from, options.quiet));
    return std::string();
  });
  if (!writer) data.emplace(prepare_run_data(config, run_dir, tokenizer_from, options.quiet));
  if (resume) {
    dist::SymmetricErrorScope symmetric;
    LN_CHECK(data->tokenizer.sha256() == resume->state.tokenizer_sha256, resume->dir,
             "/tokenizer.model has sha256 ", data->tokenizer.sha256().substr(0, 12),
             "... but the run was trained with ", resume->state.tokenizer_sha256.substr(0, 12),
             "...; the checkpoint's tokenizer was replaced: restore it, or resume from another checkpoint");
  }
  // Read once: every save writes these bytes, whatever happens to the file later (rotation).
  tokenizer_bytes = read_file(data->tokenizer.path());

  plan_geometry();
  // The sampler fills one micro-batch at a time: rows m*micro .. (m+1)*micro-1 of the step's
  // global batch (a row is a function of (seed, step, row), so accumulation changes nothing).
  sampler.emplace(data->tokens.tokens(), data->split.train, micro, T, static_cast<uint64_t>(tc.seed));

  ModelSpec spec = model_spec_from_config(config, data->tokenizer.vocab_size());
  resolved_yaml = resolved_config_yaml(config, spec.vocab_size);
  build_model_and_optimizer(spec);
  unigram = unigram_loss(data->tokens.tokens(), data->split.train, data->split.val, spec.vocab_size);
  if (!options.quiet && std::isfinite(unigram)) {
    std::cerr << "baseline: a unigram model scores validation loss " << unigram << " (perplexity "
              << std::exp(unigram) << "); the model should end far below it\n";
  }

  // A signal during set-up: nothing was trained, so nothing is saved, and the run's files
  // stay as they were. Every rank agrees (a signal may reach the ranks at different times).
  if (ln::any_rank(*grid, stop_requested())) {
    stopped_in_setup = true;
    result.stopped_early = true;
    return;
  }
  metrics_path = run_dir + "/metrics.jsonl";
  if (resume) {
    model->load_parameters(resume->checkpoint.model, resume->dir + "/model.safetensors");
    optimizer->load_state(resume->checkpoint.optimizer);
    if (writer) {
      metrics.emplace(MetricsLog::resume(metrics_path, step));
      for (const auto& rec : read_metrics(metrics_path)) {
        const double v = rec.number("val_loss", std::nan(""));
        if (std::isfinite(v) && v < best_val) best_val = v, best_val_step = rec.step().value_or(-1);
      }
    }
    if (!options.quiet) std::cerr << "resuming from " << resume->dir << " (step " << step << ")\n";
  } else {
    if (source) model->load_parameters(source->model->named_tensors(), source->dir + "/model.safetensors");
    if (writer) metrics.emplace(MetricsLog::create(metrics_path));
  }
  if (writer) write_run_header();
  inputs.resize(static_cast<size_t>(micro * T));
  targets.resize(static_cast<size_t>(micro * T));
  started = std::chrono::steady_clock::now();
}

void TrainSession::State::plan_geometry() {
  const TrainConfig& tc = config.train;
  // Batch geometry: sequences per optimizer step, split into grad_accum micro-batches.
  T = config.data.seq_len;
  const int64_t sequences = tc.batch_tokens > 0 ? tc.batch_tokens / T : tc.batch_size;
  {
    dist::SymmetricErrorScope symmetric;  // the same checks fail the same way on every rank
    LN_CHECK(sequences % tc.grad_accum == 0, "train.grad_accum (", tc.grad_accum, ") must divide the ",
             sequences, " sequences of a step (train.batch_size or batch_tokens / seq_len)");
    plan = plan_batch(T, tc.batch_tokens > 0 ? 0 : tc.batch_size, tc.batch_tokens, sequences / tc.grad_accum);
    micro = plan.micro_batch;
    LN_CHECK(micro % grid->data_size() == 0, "the micro-batch of ", micro, " sequences does not split over ",
             grid->data_size(),
             " data-parallel replicas (MPI ranks / parallel.sequence); use a batch that is a "
             "multiple of ",
             grid->data_size() * tc.grad_accum, " sequences");
    rows = micro / grid->data_size();
    l = T / grid->sequence_size();
  }
  first_row = grid->data_rank() * rows;
  first_token = grid->sequence_rank() * l;
}

void TrainSession::State::build_model_and_optimizer(const ModelSpec& spec) {
  const TrainConfig& tc = config.train;
  // Estimate before allocating the model: refuse what cannot fit with a clear message.
  // Per rank: its rows of the micro-batch and its slice of each sequence.
  estimate = estimate_training_memory(spec, LanguageModel::count_parameters(spec), rows, l, tc.recompute,
                                      ForwardOptions{}.mlp_chunk, tc.precision);
  if (!options.quiet) std::cerr << "memory estimate:\n" << estimate.table();
  // Lead with the switches that keep the model as it is: what recompute and bf16 would need.
  std::string remedies;
  auto needs = [&](Recompute r, Precision p) {
    const MemoryEstimate e = estimate_training_memory(spec, LanguageModel::count_parameters(spec), rows, l, r,
                                                      ForwardOptions{}.mlp_chunk, p);
    return gib_text(e.total());
  };
  if (tc.recompute != Recompute::blocks)
    remedies += "train.recompute: blocks would need about " + needs(Recompute::blocks, tc.precision) + "; ";
  check_fits_in_memory(estimate, 0.9, remedies);
  model = std::make_unique<LanguageModel>(spec, static_cast<uint64_t>(tc.seed));
  for (auto& [name, var] : model->parameters()) {
    refs.push_back({name, var, default_decay(name, var.ndim(), tc.decay_norms_and_embeddings)});
  }
  optimizer =
      std::make_unique<AdamW>(refs, AdamWOptions{tc.lr, tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay});
  params = param_vars(refs);
  schedule = schedule_of(tc);
  {
    dist::SymmetricErrorScope symmetric;
    validate_lr_schedule(schedule, "train");
  }
}

void TrainSession::State::set_up_synthetic(const Config& given) {
  // One process, nothing read or written: no lock, resume, data, tokenizer, metrics or plot.
  grid = std::make_unique<dist::ProcessGrid>(given.parallel.sequence);
  writer = false;
  options.quiet = true;
  config = given;
  result.val_loss = std::nan("");
  result.train_loss = std::nan("");
  plan_geometry();
  const int64_t vocab = config.model.vocab_size > 0 ? config.model.vocab_size : config.tokenizer.vocab_size;
  build_model_and_optimizer(model_spec_from_config(config, vocab));
  inputs.resize(static_cast<size_t>(micro * T));
  targets.resize(static_cast<size_t>(micro * T));
  started = std::chrono::steady_clock::now();
}

void TrainSession::State::write_run_header() {
  write_file_atomic(run_dir + "/config.yaml", resolved_yaml);
  write_row(JsonObject()
                .add("kind", "run")
                .add("step", step)
                .add("version", LONGNET_VERSION)
                .add("config_sha256", sha256_hex(resolved_yaml))
                .add("threads", int64_t{threads()})
                .add("isa", std::string(attention_isa_name()))
                .add("start_time", utc_now())
                .add("resumed_from", resume ? resume->dir : std::string())
                .add("init_from", source ? source->dir : std::string()));
}

void TrainSession::State::write_checkpoint_files() {
  if (!writer) {  // every rank holds the same weights and optimizer state: rank 0 writes them
    result.checkpoint = (fs::path(run_dir) / checkpoint_dir_name(step)).string();
    return;
  }
  CheckpointData ckpt;
  ckpt.model = model->named_tensors();
  ckpt.optimizer = optimizer->state();
  ckpt.model_metadata = {{"format", "longnet"}, {"step", std::to_string(step)}, {"config", resolved_yaml}};
  RunState state;
  state.step = step;
  state.seed = config.train.seed;
  state.tokenizer_sha256 = data->tokenizer.sha256();
  state.token_cache = data->cache_path;
  state.threads = threads();
  state.elapsed_s = elapsed_total();
  state.lr_anchor = anchor;
  state.config = config;
  ckpt.state_json = run_state_json(state);
  ckpt.tokenizer_bytes = tokenizer_bytes;
  result.checkpoint = write_checkpoint(run_dir, step, ckpt);
  prune_checkpoints(run_dir, config.train.keep_last);
  write_row(JsonObject()
                .add("kind", "checkpoint")
                .add("step", step)
                .add("path", result.checkpoint)
                .add("elapsed_s", state.elapsed_s));
  // The plot follows the checkpoints too, so runs without validation still get one.
  write_plot();
}

TrainSession::TrainSession(const Config& config, const TrainOptions& options)
    : s_(std::make_unique<State>()) {
  s_->options = options;
  if (options.synthetic_data) {
    s_->set_up_synthetic(config);
  } else {
    s_->set_up(config);
  }
}

TrainSession::~TrainSession() = default;

bool TrainSession::finished_already() const { return s_->finished_already; }
bool TrainSession::stopped_in_setup() const { return s_->stopped_in_setup; }
const Config& TrainSession::config() const { return s_->config; }
const BatchPlan& TrainSession::plan() const { return s_->plan; }
int64_t TrainSession::step() const { return s_->step; }
int64_t TrainSession::first_step() const { return s_->first_step; }
bool TrainSession::has_validation() const { return s_->data && !s_->data->split.val.empty(); }
const TrainResult& TrainSession::result() const { return s_->result; }
const LanguageModel& TrainSession::model() const { return *s_->model; }
const MemoryEstimate& TrainSession::memory_estimate() const { return s_->estimate; }
int64_t TrainSession::decayed_parameters() const {
  int64_t n = 0;
  for (const ParamRef& ref : s_->refs)
    if (ref.decay) n += ref.param.value().numel();
  return n;
}
TrainResult& TrainSession::result() { return s_->result; }
double TrainSession::session_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - s_->started).count();
}

TrainSession::StepStats TrainSession::train_step() {
  State& s = *s_;
  const TrainConfig& tc = s.config.train;
  StepStats st;
  st.lr = learning_rate(s.step, s.schedule, s.anchor);
  s.optimizer->zero_grad();
  for (int64_t m = 0; m < s.plan.accum_steps; ++m) {
    if (s.options.synthetic_data) {
      // Random tokens: a function of (step, micro-step, position), like the sampler's rows.
      const uint64_t vocab = static_cast<uint64_t>(s.model->spec().vocab_size);
      const int64_t first = (s.step * s.plan.accum_steps + m) * s.micro * s.T;
      for (int64_t i = 0; i < s.micro * s.T; ++i) {
        s.inputs[i] = static_cast<int32_t>(splitmix64(2 * static_cast<uint64_t>(first + i)) % vocab);
        s.targets[i] = static_cast<int32_t>(splitmix64(2 * static_cast<uint64_t>(first + i) + 1) % vocab);
      }
    } else {
      s.sampler->fill(s.step, s.inputs.data(), s.targets.data(), m * s.micro);
    }
    const auto forward_start = std::chrono::steady_clock::now();
    ForwardOptions fwd;
    fwd.train = true;
    fwd.recompute = tc.recompute;
    fwd.precision = tc.precision;
    fwd.dropout_seed = static_cast<uint64_t>(tc.seed) * 0x9e3779b97f4a7c15ull +
                       static_cast<uint64_t>(s.step * s.plan.accum_steps + m);
    // Distributed: this rank's rows and token slice, its loss scaled so that the world's sum is
    // the mean over the whole micro-batch; `value` is that mean, the same on every rank.
    Var loss;
    double value = 0;
    if (s.grid->world_size() == 1) {
      loss = s.model->loss(s.inputs, s.targets, s.micro, s.T, fwd);
      value = loss.value().item();
    } else {
      ShardedLoss part = sharded_loss(
          *s.model, rank_part(s.inputs, s.T, s.first_row, s.rows, s.first_token, s.l),
          rank_part(s.targets, s.T, s.first_row, s.rows, s.first_token, s.l), s.rows, s.l, fwd, *s.grid);
      loss = part.loss;
      value = part.value;
    }
    const auto backward_start = std::chrono::steady_clock::now();
    st.forward_s += std::chrono::duration<double>(backward_start - forward_start).count();
    LN_CHECK(std::isfinite(value), "non-finite loss (", value, ") at step ", s.step,
             "; stopping. The last good checkpoint is ",
             s.result.checkpoint.empty() ? std::string("(none yet)") : s.result.checkpoint,
             "; try a lower train.lr or a higher train.warmup_steps");
    st.loss += value / s.plan.accum_steps;
    // Mean over micro-batches: scale each micro-batch's gradient by 1/accum.
    const Tensor seed = Tensor::full({}, 1.0f / static_cast<float>(s.plan.accum_steps));
    if (s.grid->world_size() > 1 && m == s.plan.accum_steps - 1) {
      // The last micro-batch: each parameter's world sum starts as soon as its gradient is
      // final, overlapping the rest of the backward (identical gradients on every rank).
      dist::GradientSum sum(*s.grid);
      std::unordered_set<const VarImpl*> pending;
      for (const Var& p : s.params) pending.insert(p.impl().get());
      loss.backward(seed, [&](VarImpl& leaf) {
        if (pending.erase(&leaf)) sum.ready(leaf.grad);
      });
      for (Var p : s.params) {  // parameters this pass never reached, in parameter order
        if (!pending.count(p.impl().get())) continue;
        if (!p.grad().defined()) p.grad() = Tensor::zeros(p.shape());
        sum.ready(p.grad());
      }
      sum.finish();
    } else {
      loss.backward(seed);
    }
    st.backward_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - backward_start).count();
  }
  // HOOK: the gradients of the whole step are complete here, before clipping and the
  // optimizer; in a distributed run they are already summed over the world (above, overlapped
  // with the last micro-batch's backward), so every rank clips and steps identically.
  st.grad_norm = clip_grad_norm(s.params, tc.grad_clip);
  LN_CHECK(std::isfinite(st.grad_norm), "non-finite gradient norm at step ", s.step,
           "; stopping. The last good checkpoint is ",
           s.result.checkpoint.empty() ? std::string("(none yet)") : s.result.checkpoint,
           "; try a lower train.lr or train.grad_clip");
  s.optimizer->step(st.lr);
  ++s.step;
  s.result.step = s.step;
  s.result.train_loss = st.loss;
  s.write_row(JsonObject()
                  .add("kind", "train")
                  .add("step", s.step)
                  .add("loss", st.loss)
                  .add("lr", st.lr)
                  .add("grad_norm", st.grad_norm)
                  .add("tokens", s.step * s.plan.tokens())
                  .add("elapsed_s", s.elapsed_total()));
  return st;
}

ValidationResult TrainSession::validate(bool whole) {
  State& s = *s_;
  ValidationResult val;
  // Distributed: each window split over the sequence group (score/held_out.hpp); every data
  // replica computes the same value.
  SequenceExchange* sequence = &s.grid->sequence();
  const RunData& data = *s.data;
  if (whole) {
    val = score_held_out(*s.model, held_out_streams(data.tokens, data.split, data.tokenizer.eos_id()), s.T,
                         sequence);
  } else {
    val = score_held_out_subset(*s.model, data.tokens, data.split, s.micro, s.T, s.config.train.eval_batches,
                                sequence);
  }
  s.result.val_loss = val.loss;
  s.result.val_tokens = val.tokens;
  s.result.val_split_tokens = val.split_tokens;
  s.result.val_whole_split = whole;
  if (val.loss < s.best_val) s.best_val = val.loss, s.best_val_step = s.step;
  s.write_row(JsonObject()
                  .add("kind", "val")
                  .add("step", s.step)
                  .add("val_loss", val.loss)
                  .add("val_ppl", std::exp(val.loss))
                  .add("scope", whole ? "split" : "subset")
                  .add("val_tokens", val.tokens)
                  .add("val_split_tokens", val.split_tokens));
  s.write_plot();
  return val;
}

void TrainSession::save() { s_->write_checkpoint_files(); }

bool TrainSession::any_rank(bool flag) { return ln::any_rank(*s_->grid, flag); }
bool TrainSession::is_root() const { return s_->writer; }

void TrainSession::finish() {
  State& s = *s_;
  if (s.finished_already || s.stopped_in_setup || s.options.synthetic_data) return;
  const bool saved_this_session =
      !s.result.checkpoint.empty() && (!s.resume || s.result.checkpoint != s.resume->dir);
  if (!saved_this_session && s.step > s.first_step) save();
  s.write_row(JsonObject()
                  .add("kind", "summary")
                  .add("step", s.step)
                  .add("session_s", session_seconds())
                  .add("elapsed_s", s.elapsed_total())
                  .add("tokens", s.step * s.plan.tokens())
                  .add("best_val_loss", s.best_val)
                  .add("best_val_step", s.best_val_step)
                  .add("baseline_val_loss", s.unigram)
                  .add("finished", s.step >= s.config.train.steps));
}

}  // namespace ln

#include "train/train_session.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include "config/lr_schedule.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/number_format.hpp"
#include "core/threading.hpp"
#include "nn/language_model.hpp"
#include "parallel/process_grid.hpp"
#include "parallel/watchdog.hpp"
#include "run/model_builder.hpp"
#include "run/trained_model.hpp"
#include "train/adamw.hpp"
#include "train/batch_source.hpp"
#include "train/memory_estimate.hpp"
#include "train/mfu.hpp"
#include "train/rank_agreement.hpp"
#include "train/run_config.hpp"
#include "train/run_data.hpp"
#include "train/run_report.hpp"
#include "train/run_start.hpp"
#include "train/stop_signal.hpp"
#include "train/train_step.hpp"

namespace ln {

namespace fs = std::filesystem;

// The rooms of a session: the run folder and its config (start, run_start.hpp), the data and the
// batch source (batch_source.hpp), the model and optimizer, the step (train_step.hpp), and the
// reporting (report, run_report.hpp). Set-up fills them in that order.
struct TrainSession::State {
  TrainOptions options;
  // Distributed (mpirun): the data x sequence grid; rank 0 alone takes the lock and writes the
  // run folder (ranks may share one file system), every rank reads it.
  std::unique_ptr<parallel::ProcessGrid> grid;
  bool writer = true;
  std::string run_dir;
  RunStart start;  // lock, resume point, the config this run trains with
  TrainResult result;
  int64_t step = 0, first_step = 0;
  bool finished_already = false, stopped_in_setup = false;

  std::optional<TrainedModel> source;  // --init-from
  std::optional<RunData> data;
  std::string tokenizer_bytes;
  BatchGeometry geometry;
  std::optional<BatchSource> batches;

  std::optional<ModelSpec> spec;  // built once
  std::string resolved_yaml;      // with the real vocab size: config.yaml and the weights' metadata
  std::unique_ptr<LanguageModel> model;
  double unigram = 0;
  std::vector<ParamRef> refs;
  std::unique_ptr<AdamW> optimizer;
  std::vector<Var> params;
  LrSchedule schedule;
  MemoryEstimate estimate;

  std::optional<RunReport> report;
  std::optional<MfuMeter> mfu;  // the writer's (train/mfu.hpp)
  std::chrono::steady_clock::time_point started;

  const Config& config() const { return start.config; }
  double elapsed_total() const {
    return start.elapsed_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  void set_up(const Config& given);
  // bench train (options.synthetic_data): the steps below with random tokens, nothing else.
  void set_up_synthetic(const Config& given);
  void enter_grid(const Config& given);
  void announce_start();
  void load_init_source();
  void load_data();
  void build_model_and_optimizer();
  void announce_baseline();
  void restore_or_begin();
  void set_up_mfu();
  void write_checkpoint_files();
  // What a rank that ends the job on a missed deadline says of the run folder (watchdog.hpp).
  void note_last_checkpoint() const {
    parallel::set_abort_note(result.checkpoint.empty()
                                 ? "No checkpoint of this run was written yet"
                                 : "The last checkpoint, " + result.checkpoint +
                                       ", is intact; run the same command again to resume from it");
  }
};

void TrainSession::State::enter_grid(const Config& given) {
  // The grid first: a world that is not a multiple of parallel.sequence, or a sequence that
  // does not split, is refused before any file is touched (the same line on every rank). On a
  // resume without --config the split is checked later, against the run's own config.
  grid = std::make_unique<parallel::ProcessGrid>(given.parallel.sequence, given.parallel.timeout_s);
  writer = grid->is_root();
  if (!writer) options.quiet = true;  // rank 0 alone reports
  if (options.config_given) check_sequence_grid(given, *grid);
  result.val_loss = std::nan("");
  result.train_loss = std::nan("");
}

void TrainSession::State::set_up(const Config& given) {
  run_dir = given.train.out_dir;
  enter_grid(given);
  start_run(start, given, options, *grid);  // lock, cleanup, resume choice, config
  step = start.step;
  if (start.resume) {
    result.checkpoint = start.resume->dir;
    result.step = step;
  }
  note_last_checkpoint();
  if (start.finished) {
    finished_already = result.finished_already = true;
    return;
  }
  if (!options.config_given) check_sequence_grid(config(), *grid);  // the resolved config
  first_step = step;
  announce_start();
  load_init_source();
  load_data();
  geometry = plan_geometry(config(), *grid);
  batches.emplace(BatchSource::corpus(*data, config().data, geometry.micro, geometry.T,
                                      static_cast<uint64_t>(config().train.seed)));
  if (batches->builds_whole_rows() && grid->sequence_size() > 1 && !options.quiet)
    std::cerr << "note: the retrieval mixture (data.copy_rows, passkey_rows, induction_rows) rewrites whole "
                 "rows, so each rank builds every row of its micro-batch whole ("
              << geometry.T + 1 << " tokens, one row at a time) and keeps its slice of " << geometry.l
              << "\n";
  if (!spec) spec = model_spec_from_config(config(), data->tokenizer.vocab_size());
  resolved_yaml = resolved_config_yaml(config(), spec->vocab_size);
  build_model_and_optimizer();
  announce_baseline();
  // A signal during set-up: nothing was trained, so nothing is saved, and the run's files
  // stay as they were. Every rank agrees (a signal may reach the ranks at different times).
  if (ln::any_rank(*grid, stop_requested())) {
    stopped_in_setup = result.stopped_early = true;
    return;
  }
  restore_or_begin();
  started = std::chrono::steady_clock::now();
}

void TrainSession::State::announce_start() {
  if (writer)
    remove_dead_writers_files(config().data.cache_dir);  // e.g. a token cache a killed run was writing
  // The config actually used (on resume: the run's own, with the accepted changes).
  if (!options.quiet) std::cerr << "config (" << config().source << "):\n" << config_table(config());
}

// --init-from: the source's weights and tokenizer; its model shape must match the config's.
// The attention (attention.*) may change: its patterns carry no weights, so a model can form
// its copy circuit dense and short and continue dilated and long (docs/retrieval.md).
// The new run uses the source's tokenizer, so its spec is the run's spec.
void TrainSession::State::load_init_source() {
  if (start.resume || options.init_from.empty()) return;
  parallel::SymmetricErrorScope symmetric;  // every rank reads the same source
  source.emplace(load_trained_model(options.init_from));
  spec = model_spec_from_config(config(), source->tokenizer.vocab_size());
  std::string differing, attention;
  for (const auto& d : model_differences(source->spec, *spec, "the source", "now")) {
    std::string& list = d.rfind("attention.", 0) == 0 ? attention : differing;
    list += (list.empty() ? "" : ", ") + d;
  }
  LN_CHECK(differing.empty(), "cannot --init-from ", source->dir,
           ": its model has a different shape: ", differing,
           "; use the source's model settings (attention.* and model.dropout may differ)");
  if (!attention.empty() && !options.quiet && grid->is_root())
    std::cerr << "--init-from: the same weights with another attention: " << attention << "\n";
}

void TrainSession::State::load_data() {
  // --init-from: the new run keeps the source's tokenizer at its top level, as a run that
  // trained its own does (the bytes were read with the weights: the source may be pruned since).
  const std::string tokenizer_from = start.resume ? start.resume->checkpoint.tokenizer_path
                                     : source     ? run_dir + "/tokenizer.model"
                                                  : std::string();
  // Rank 0 first (it may train the tokenizer and fill the token cache), then the others read.
  root_first(*grid, [&] {
    if (source) write_file_atomic(tokenizer_from, source->tokenizer_bytes);
    data.emplace(prepare_run_data(config(), run_dir, tokenizer_from, options.quiet));
    return std::string();
  });
  if (!writer) data.emplace(prepare_run_data(config(), run_dir, tokenizer_from, options.quiet));
  if (start.resume) {
    const RunState& state = start.resume->state;
    parallel::SymmetricErrorScope symmetric;
    LN_CHECK(data->tokenizer.sha256() == state.tokenizer_sha256, start.resume->dir,
             "/tokenizer.model has sha256 ", data->tokenizer.sha256().substr(0, 12),
             "... but the run was trained with ", state.tokenizer_sha256.substr(0, 12),
             "...; the checkpoint's tokenizer was replaced: restore it, or resume from another checkpoint");
  }
  // Read once: every save writes these bytes, whatever happens to the file later (rotation).
  tokenizer_bytes = read_file(data->tokenizer.path());
}

void TrainSession::State::build_model_and_optimizer() {
  const TrainConfig& tc = config().train;
  // Estimate before allocating the model: refuse what cannot fit with a clear message.
  // Per rank: its rows of the micro-batch and its slice of each sequence.
  const int64_t parameters = LanguageModel::count_parameters(*spec);
  auto estimate_with = [&](Recompute r, Precision p) {
    MemoryEstimate e = estimate_training_memory(*spec, parameters, geometry.rows, geometry.l, r,
                                                ForwardOptions{}.mlp_chunk, p);
    add_sequence_parallel_memory(e, *spec, geometry.rows, geometry.T, grid->sequence_size(), r,
                                 batches->builds_whole_rows());
    return e;
  };
  estimate = estimate_with(tc.recompute, tc.precision);
  if (!options.quiet) std::cerr << "memory estimate:\n" << estimate.table();
  // Lead with the switches that keep the model as it is: what recompute would need.
  std::string remedies;
  if (tc.recompute != Recompute::blocks) {
    remedies += "train.recompute: blocks would need about " +
                format_gib(estimate_with(Recompute::blocks, tc.precision).total()) + "; ";
  }
  check_fits_in_memory(estimate, 0.9, remedies);
  model = std::make_unique<LanguageModel>(*spec, static_cast<uint64_t>(tc.seed));
  for (auto& [name, var] : model->parameters()) {
    refs.push_back({name, var, default_decay(name, var.ndim(), tc.decay_norms_and_embeddings)});
  }
  optimizer =
      std::make_unique<AdamW>(refs, AdamWOptions{tc.lr, tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay});
  params = param_vars(refs);
  std::vector<std::string> names;
  for (const ParamRef& ref : refs) names.push_back(ref.name);
  geometry.bucket_floats = layer_bucket_floats(params, names);
  schedule = lr_schedule_of(tc);
  parallel::SymmetricErrorScope symmetric;
  validate_lr_schedule(schedule, "train");
}

void TrainSession::State::announce_baseline() {
  unigram = unigram_loss(data->tokens.tokens(), data->split.train, data->split.val, spec->vocab_size);
  if (!options.quiet && std::isfinite(unigram)) {
    std::cerr << "baseline: a unigram model scores validation loss " << unigram << " (perplexity "
              << std::exp(unigram) << "); the model should end far below it\n";
  }
}

// The weights and optimizer state to start from (the resumed checkpoint's, --init-from's
// weights, or the fresh initialisation), and the report's files.
void TrainSession::State::restore_or_begin() {
  report.emplace(run_dir, writer);
  if (start.resume) {
    model->load_parameters(start.resume->checkpoint.model, start.resume->dir + "/model.safetensors");
    optimizer->load_state(start.resume->checkpoint.optimizer);
    report->open(true, step);
    if (!options.quiet) std::cerr << "resuming from " << start.resume->dir << " (step " << step << ")\n";
  } else {
    if (source) model->load_parameters(source->model->named_tensors(), source->dir + "/model.safetensors");
    report->open(false, step);
  }
  set_up_mfu();
  report->header(resolved_yaml, step, start.resume ? start.resume->dir : std::string(),
                 source ? source->dir : std::string());
}

// MFU's denominator, once per process (about 0.1 s; LONGNET_PEAK_GFLOPS skips it). Only the
// writer reports, so only the writer measures.
void TrainSession::State::set_up_mfu() {
  if (!writer) return;
  mfu = mfu_meter(*spec, geometry.plan, config().train.precision, threads(), grid->world_size());
  report->set_mfu(*mfu);
  if (!options.quiet) {
    std::cerr << "mfu: " << format_count(mfu->model_flops_per_step())
              << " model FLOPs per step (`longnet flops`) over the " << describe_peak(mfu->peak)
              << (grid->world_size() > 1 ? " per process" : "")
              << (mfu->peak.source == "measured" ? "; LONGNET_PEAK_GFLOPS=G gives it instead" : "") << "\n";
  }
}

void TrainSession::State::set_up_synthetic(const Config& given) {
  // One process, nothing read or written: no lock, resume, data, tokenizer, metrics or plot.
  grid = std::make_unique<parallel::ProcessGrid>(given.parallel.sequence, given.parallel.timeout_s);
  writer = false;
  options.quiet = true;
  start.config = given;
  result.val_loss = std::nan("");
  result.train_loss = std::nan("");
  geometry = plan_geometry(config(), *grid);
  const int64_t vocab = given.model.vocab_size > 0 ? given.model.vocab_size : given.tokenizer.vocab_size;
  spec = model_spec_from_config(config(), vocab);
  batches.emplace(BatchSource::random_tokens(spec->vocab_size, geometry.micro, geometry.T));
  build_model_and_optimizer();
  started = std::chrono::steady_clock::now();
}

void TrainSession::State::write_checkpoint_files() {
  if (!writer) {  // every rank holds the same weights and optimizer state: rank 0 writes them
    result.checkpoint = (fs::path(run_dir) / checkpoint_dir_name(step)).string();
    note_last_checkpoint();
    return;
  }
  parallel::SoloPhase alone("rank 0 writing a checkpoint");
  CheckpointData ckpt;
  ckpt.model = model->named_tensors();
  ckpt.optimizer = optimizer->state();
  ckpt.model_metadata = {{"format", "longnet"}, {"step", std::to_string(step)}, {"config", resolved_yaml}};
  RunState state;
  state.step = step;
  state.seed = config().train.seed;
  state.tokenizer_sha256 = data->tokenizer.sha256();
  state.token_cache = data->cache_path;
  state.threads = threads();
  state.elapsed_s = elapsed_total();
  state.lr_anchor = start.anchor;
  state.config = config();
  ckpt.state_json = run_state_json(state);
  ckpt.tokenizer_bytes = tokenizer_bytes;
  result.checkpoint = write_checkpoint(run_dir, step, ckpt);
  // Only this run's checkpoints are pruned: one copied in from another run is the user's.
  prune_checkpoints(run_dir, config().train.keep_last, result.checkpoint, [&](const std::string& dir) {
    try {
      const RunState other = read_run_state(read_file(dir + "/state.json"), dir + "/state.json");
      return identity_changes(config(), other.config).empty();
    } catch (const Error&) {
      return false;  // unreadable or damaged: not pruned
    }
  });
  report->checkpoint_row(step, result.checkpoint, state.elapsed_s);
  note_last_checkpoint();
}

TrainSession::TrainSession(const Config& config, const TrainOptions& options)
    : s_(std::make_unique<State>()) {
  s_->options = options;
  if (options.synthetic_data) {
    s_->set_up_synthetic(config);
    return;
  }
  try {
    s_->set_up(config);
  } catch (...) {
    // A refused start leaves no folder holding only train.lock behind.
    if (s_->start.lock) s_->start.lock->release_unused_folder();
    throw;
  }
}

TrainSession::~TrainSession() = default;

bool TrainSession::finished_already() const { return s_->finished_already; }
bool TrainSession::stopped_in_setup() const { return s_->stopped_in_setup; }
const Config& TrainSession::config() const { return s_->config(); }
const BatchPlan& TrainSession::plan() const { return s_->geometry.plan; }
int64_t TrainSession::step() const { return s_->step; }
int64_t TrainSession::first_step() const { return s_->first_step; }
bool TrainSession::has_validation() const { return s_->data && !s_->data->split.val.empty(); }
const TrainResult& TrainSession::result() const { return s_->result; }
const LanguageModel& TrainSession::model() const { return *s_->model; }
const MemoryEstimate& TrainSession::memory_estimate() const { return s_->estimate; }
const MfuMeter* TrainSession::mfu() const { return s_->mfu ? &*s_->mfu : nullptr; }
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
  const StepParts parts{*s.model, *s.optimizer, s.params, *s.batches, s.geometry, s.config().train, *s.grid};
  const double lr = learning_rate(s.step, s.schedule, s.start.anchor);
  const auto t0 = std::chrono::steady_clock::now();
  StepStats st = run_train_step(parts, s.step, lr, s.result.checkpoint);
  st.step_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st.world = s.grid->world_size();
  st.sequence_ranks = s.grid->sequence_size();
  if (st.world > 1) {  // the busiest rank's figures
    double busiest[6] = {st.step_s,
                         st.sequence.seconds + st.gradients.seconds,
                         st.sequence.flight_seconds + st.gradients.flight_seconds,
                         static_cast<double>(st.sequence.bytes_recv),
                         static_cast<double>(st.sequence.messages_recv),
                         static_cast<double>(st.gradients.bytes_recv)};
    s.grid->max_world(busiest, 6);
    st.step_s = busiest[0];
    st.comm_exposed_s = busiest[1];
    st.comm_flight_s = busiest[2];
    st.comm_bytes_recv = static_cast<int64_t>(busiest[3]);
    st.comm_messages_recv = static_cast<int64_t>(busiest[4]);
    st.gradient_bytes = static_cast<int64_t>(busiest[5]);
  }
  ++s.step;
  s.result.step = s.step;
  s.result.train_loss = st.loss;
  if (s.report) s.report->train_row(s.step, st, s.step * s.geometry.plan.tokens(), s.elapsed_total());
  return st;
}

ValidationResult TrainSession::validate(bool whole) {
  State& s = *s_;
  // Distributed: each window split over the sequence group (score/held_out.hpp); every data
  // replica computes the same value.
  SequenceExchange* sequence = &s.grid->sequence();
  const RunData& data = *s.data;
  const ValidationResult val =
      whole ? score_held_out(*s.model, held_out_streams(data.tokens, data.split, data.tokenizer.eos_id()),
                             s.geometry.T, sequence)
            : score_held_out_subset(*s.model, data.tokens, data.split, s.geometry.micro, s.geometry.T,
                                    s.config().train.eval_batches, sequence);
  s.result.val_loss = val.loss;
  s.result.val_tokens = val.tokens;
  s.result.val_split_tokens = val.split_tokens;
  s.result.val_whole_split = whole;
  s.report->val_row(s.step, val, whole);
  return val;
}

void TrainSession::save() { s_->write_checkpoint_files(); }

bool TrainSession::any_rank(bool flag) { return ln::any_rank(*s_->grid, flag); }
bool TrainSession::is_root() const { return s_->writer; }

void TrainSession::finish() {
  State& s = *s_;
  if (s.finished_already || s.stopped_in_setup || s.options.synthetic_data) return;
  const bool saved_this_session =
      !s.result.checkpoint.empty() && (!s.start.resume || s.result.checkpoint != s.start.resume->dir);
  if (!saved_this_session && s.step > s.first_step) save();
  RunReport::Summary summary;
  summary.step = s.step;
  summary.session_s = session_seconds();
  summary.elapsed_s = s.elapsed_total();
  summary.tokens = s.step * s.geometry.plan.tokens();
  summary.baseline_val_loss = s.unigram;
  summary.finished = s.step >= s.config().train.steps;
  s.report->summary(summary);
}

}  // namespace ln

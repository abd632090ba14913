#include "train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <unordered_set>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/threading.hpp"
#include "dist/gradient_sum.hpp"
#include "dist/process_grid.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "nn/language_model.hpp"
#include "train/adamw.hpp"
#include "core/file_io.hpp"
#include "train/batch_plan.hpp"
#include "train/checkpoint.hpp"
#include "train/grad_clip.hpp"
#include "core/json_reader.hpp"
#include "train/loss_plot.hpp"
#include "train/lr_schedule.hpp"
#include "train/memory_estimate.hpp"
#include "train/model_builder.hpp"
#include "train/metrics_log.hpp"
#include "train/progress.hpp"
#include "train/run_data.hpp"
#include "train/sharded_loss.hpp"
#include "train/stop_signal.hpp"
#include "train/validation.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFormat = "longnet-train-state";

std::string state_json(const Config& config, int64_t step, const RunData& data) {
  return JsonObject()
      .add("format", kStateFormat)
      .add("version", int64_t{1})
      .add("step", step)
      // Every random stream is counter-based: batches are splitmix64(seed, step, row) and dropout
      // masks splitmix64(seed, step, micro-step, layer, site); (seed, step) restores them all.
      .add("seed", config.train.seed)
      .add("data_cursor", step)
      .add("tokenizer_sha256", data.tokenizer.sha256())
      .add("token_cache", data.cache_path)
      .add("threads", int64_t{threads()})
      .add("config", config_to_yaml(config))
      .str();
}

// The parts of a config that decide the shape and meaning of the weights.
std::string model_identity(const Config& config) {
  Config only;
  only.model = config.model;
  only.attention = config.attention;
  return config_to_yaml(only);
}

struct ResumePoint {
  std::string dir;
  CheckpointData checkpoint;
  int64_t step = 0;
};

std::optional<ResumePoint> find_resume_point(const Config& config, const std::string& mode) {
  const std::string& run_dir = config.train.out_dir;
  std::string dir;
  if (mode == "never") return std::nullopt;
  if (mode == "auto") {
    std::vector<std::string> skipped;
    auto latest = latest_intact_checkpoint(run_dir, &skipped);
    for (const auto& reason : skipped) std::cerr << "warning: skipping damaged checkpoint " << reason << "\n";
    if (!latest) return std::nullopt;
    dir = *latest;
  } else {
    dir = mode;
    LN_CHECK(fs::is_directory(dir), "--resume ", dir, " is not a checkpoint directory; use auto, never or a step-* dir");
    if (auto problem = checkpoint_problem(dir)) LN_FAIL("cannot resume from ", dir, ": ", *problem);
  }
  ResumePoint point;
  point.dir = dir;
  point.checkpoint = read_checkpoint(dir);
  JsonValue state = parse_json(point.checkpoint.state_json, dir + "/state.json");
  const JsonValue* format = state.find("format");
  LN_CHECK(format && format->text == kStateFormat, dir, "/state.json is not a longnet training state");
  const JsonValue* step = state.find("step");
  LN_CHECK(step && step->as_uint(), dir, "/state.json has no step");
  point.step = static_cast<int64_t>(*step->as_uint());
  const JsonValue* saved = state.find("config");
  LN_CHECK(saved && saved->is_string(), dir, "/state.json has no config");
  Config saved_config = parse_config_yaml(saved->text, dir + "/state.json:config");
  LN_CHECK(model_identity(saved_config) == model_identity(config), "the checkpoint ", dir,
           " holds a model with a different model/attention configuration; use another train.out_dir, "
           "--resume never to start over, or the checkpoint's own config");
  return point;
}

}  // namespace

TrainResult train(const Config& config, const TrainOptions& given_options) {
  const TrainConfig& tc = config.train;
  const std::string& run_dir = tc.out_dir;
  // Distributed (mpirun): the data x sequence grid; rank 0 alone writes files and reports.
  dist::ProcessGrid grid(config.parallel.sequence);
  {
    dist::SymmetricErrorScope symmetric;  // the same check fails the same way on every rank
    // Before any file is touched; the attention part of the spec does not depend on the vocabulary.
    check_sequence_split(model_spec_from_config(config, 2).attention, config.data.seq_len, grid.sequence_size());
  }
  TrainOptions options = given_options;
  options.quiet = options.quiet || !grid.is_root();
  if (grid.is_root()) {
    fs::create_directories(run_dir);
    remove_stale_temporaries(run_dir);
  }

  std::optional<ResumePoint> resume = find_resume_point(config, options.resume);
  // Rank 0 first (it may train the tokenizer and fill the token cache), then the others read.
  if (!grid.is_root()) grid.barrier();
  RunData data = prepare_run_data(config, run_dir, resume ? resume->dir + "/tokenizer.model" : "", options.quiet);
  if (grid.is_root()) grid.barrier();

  // Batch geometry: sequences per optimizer step, split into grad_accum micro-batches.
  const int64_t T = config.data.seq_len;
  const int64_t sequences = tc.batch_tokens > 0 ? tc.batch_tokens / T : tc.batch_size;
  LN_CHECK(sequences % tc.grad_accum == 0, "train.grad_accum (", tc.grad_accum, ") must divide the ",
           sequences, " sequences of a step (train.batch_size or batch_tokens / seq_len)");
  const BatchPlan plan = plan_batch(T, tc.batch_tokens > 0 ? 0 : tc.batch_size, tc.batch_tokens,
                                    sequences / tc.grad_accum);
  const int64_t micro = plan.micro_batch;
  {
    dist::SymmetricErrorScope symmetric;  // the same checks fail the same way on every rank
    LN_CHECK(micro % grid.data_size() == 0, "the micro-batch of ", micro, " sequences does not split over ",
             grid.data_size(), " data-parallel replicas (MPI ranks / parallel.sequence); use a batch that is a "
             "multiple of ", grid.data_size() * tc.grad_accum, " sequences");
  }
  // This rank's part of each micro-batch: rows [d*rows, (d+1)*rows), tokens [s*l, (s+1)*l).
  const int64_t rows = micro / grid.data_size(), l = T / grid.sequence_size();
  const int64_t first_row = grid.data_rank() * rows, first_token = grid.sequence_rank() * l;
  // The sampler fills one micro-batch at a time: rows m*micro .. (m+1)*micro-1 of the step's
  // global batch (a row is a function of (seed, step, row), so accumulation changes nothing).
  BatchSampler sampler(data.tokens.tokens(), data.split.train, micro, T, static_cast<uint64_t>(tc.seed));

  ModelSpec spec = model_spec_from_config(config, data.tokenizer.vocab_size());
  // Estimate before allocating the model: refuse what cannot fit with a clear message.
  {
    int64_t params = LanguageModel::count_parameters(spec);
    // Per rank: its rows of the micro-batch and its slice of each sequence (whole when not distributed).
    MemoryEstimate estimate = estimate_training_memory(spec, params, rows, l);
    if (!options.quiet) std::cerr << "memory estimate:\n" << estimate.table();
    check_fits_in_memory(estimate);
  }
  LanguageModel model(spec, static_cast<uint64_t>(tc.seed));
  const double unigram = unigram_loss(data.tokens.tokens(), data.split.train, data.split.val, spec.vocab_size);
  if (!options.quiet && std::isfinite(unigram)) {
    std::cerr << "baseline: a unigram model scores validation loss " << unigram << " (perplexity "
              << std::exp(unigram) << "); the model should end far below it\n";
  }

  std::vector<ParamRef> refs;
  for (auto& [name, var] : model.parameters()) {
    refs.push_back({name, var, default_decay(name, var.ndim(), tc.decay_norms_and_embeddings)});
  }
  AdamW optimizer(refs, AdamWOptions{tc.lr, tc.beta1, tc.beta2, tc.adam_eps, tc.weight_decay});
  const std::vector<Var> params = param_vars(refs);
  const LrSchedule schedule{tc.schedule, tc.lr, tc.min_lr, tc.warmup_steps, tc.steps, tc.poly_power};
  validate_lr_schedule(schedule, "train");

  int64_t step = 0;
  const std::string metrics_path = run_dir + "/metrics.jsonl";
  std::optional<MetricsLog> metrics;
  TrainResult result;
  result.val_loss = std::nan("");
  if (resume) {
    model.load_parameters(resume->checkpoint.model, resume->dir + "/model.safetensors");
    optimizer.load_state(resume->checkpoint.optimizer);
    step = resume->step;
    result.checkpoint = resume->dir;
    if (grid.is_root()) metrics.emplace(MetricsLog::resume(metrics_path, step));
    if (!options.quiet) std::cerr << "resuming from " << resume->dir << " (step " << step << ")\n";
  } else if (grid.is_root()) {
    metrics.emplace(MetricsLog::create(metrics_path));
  }
  if (grid.is_root()) write_file_atomic(run_dir + "/config.yaml", config_to_yaml(config));

  auto save = [&](int64_t at_step) {
    if (!grid.is_root()) return;  // every rank holds the same weights and optimizer state
    CheckpointData ckpt;
    ckpt.model = model.named_tensors();
    ckpt.optimizer = optimizer.state();
    ckpt.model_metadata = {{"format", "longnet"}, {"step", std::to_string(at_step)}};
    ckpt.state_json = state_json(config, at_step, data);
    ckpt.tokenizer_path = data.tokenizer.path();
    result.checkpoint = write_checkpoint(run_dir, at_step, ckpt);
    prune_checkpoints(run_dir, tc.keep_last);
    // The plot follows the checkpoints too, so runs without validation still get one.
    write_loss_plot(run_dir + "/loss.svg", loss_plot_data(read_metrics(metrics_path)));
  };
  auto validate = [&](int64_t at_step) {
    double loss = validation_loss(model, data, micro, T, tc.eval_batches, &grid.sequence());
    result.val_loss = loss;
    if (!metrics) return loss;
    metrics->append(JsonObject().add("step", at_step).add("val_loss", loss).add("val_ppl", std::exp(loss)));
    write_loss_plot(run_dir + "/loss.svg", loss_plot_data(read_metrics(metrics_path)));
    return loss;
  };

  StopSignalScope signals;
  std::optional<ProgressLine> progress;
  if (!options.quiet) progress.emplace(tc.steps, static_cast<int>(tc.log_every), stderr, -1, step);
  auto say = [&](const std::string& line) {
    if (progress) progress->message(line);
  };
  const auto started = std::chrono::steady_clock::now();
  const int64_t first_step = step;
  std::vector<int32_t> inputs(micro * T), targets(micro * T);
  while (step < tc.steps) {
    const double lr = learning_rate(step, schedule);
    optimizer.zero_grad();
    double step_loss = 0;
    for (int64_t m = 0; m < plan.accum_steps; ++m) {
      sampler.fill(step, inputs.data(), targets.data(), m * micro);
      ForwardOptions fwd;
      fwd.train = true;
      fwd.dropout_seed = static_cast<uint64_t>(tc.seed) * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(step * plan.accum_steps + m);
      ShardedLoss part = sharded_loss(model, rank_part(inputs, T, first_row, rows, first_token, l),
                                      rank_part(targets, T, first_row, rows, first_token, l), rows, l, fwd, grid);
      Var loss = part.loss;
      const double value = part.value;
      LN_CHECK(std::isfinite(value), "non-finite loss (", value, ") at step ", step, "; stopping. The last good checkpoint is ",
               result.checkpoint.empty() ? std::string("(none yet)") : result.checkpoint, "; try a lower train.lr or a higher train.warmup_steps");
      step_loss += value / plan.accum_steps;
      // Mean over micro-batches: scale each micro-batch's gradient by 1/accum.
      const Tensor seed = Tensor::full({}, 1.0f / static_cast<float>(plan.accum_steps));
      if (grid.world_size() > 1 && m == plan.accum_steps - 1) {
        // The last micro-batch: each parameter's world sum starts as soon as its gradient is
        // final, overlapping the rest of the backward (identical gradients on every rank).
        dist::GradientSum sum(grid);
        std::unordered_set<const VarImpl*> pending;
        for (const Var& p : params) pending.insert(p.impl().get());
        loss.backward(seed, [&](VarImpl& leaf) {
          if (pending.erase(&leaf)) sum.ready(leaf.grad);
        });
        for (Var p : params) {  // parameters this pass never reached, in parameter order
          if (!pending.count(p.impl().get())) continue;
          if (!p.grad().defined()) p.grad() = Tensor::zeros(p.shape());
          sum.ready(p.grad());
        }
        sum.finish();
      } else {
        loss.backward(seed);
      }
    }
    const double grad_norm = clip_grad_norm(params, tc.grad_clip);
    LN_CHECK(std::isfinite(grad_norm), "non-finite gradient norm at step ", step, "; stopping. The last good checkpoint is ",
             result.checkpoint.empty() ? std::string("(none yet)") : result.checkpoint, "; try a lower train.lr or train.grad_clip");
    optimizer.step(lr);
    ++step;
    result.train_loss = step_loss;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (progress) progress->update(step, step_loss, lr, plan.tokens());
    if (metrics) metrics->append(JsonObject()
                        .add("step", step)
                        .add("loss", step_loss)
                        .add("lr", lr)
                        .add("grad_norm", grad_norm)
                        .add("tokens", step * plan.tokens())
                        .add("elapsed_s", elapsed));

    const bool out_of_time = tc.max_minutes > 0 && elapsed > tc.max_minutes * 60.0;
    const bool stop_after = options.stop_after > 0 && step - first_step >= options.stop_after;
    bool stopping = stop_requested() || out_of_time || stop_after;
    if (grid.world_size() > 1) {  // every rank stops at the same step, or the collectives hang
      double any = stopping ? 1.0 : 0.0;
      grid.sum_world(&any, 1);
      stopping = any > 0;
    }
    const bool last = step == tc.steps;
    if (tc.eval_every > 0 && (step % tc.eval_every == 0 || last || stopping) && !data.split.val.empty()) {
      double val = validate(step);
      say("step " + std::to_string(step) + ": validation loss " + std::to_string(val) +
                       ", perplexity " + std::to_string(std::exp(val)));
    }
    if ((tc.save_every > 0 && step % tc.save_every == 0) || last || stopping) save(step);
    if (stopping) {
      result.stopped_early = true;
      say(std::string(out_of_time ? "train.max_minutes reached" : stop_after ? "--stop-after reached"
                                                                                           : "stopped by signal") +
                       "; saved " + result.checkpoint + "; run the same command again to resume");
      break;
    }
  }
  if (progress) progress->finish();
  result.step = step;
  if (result.checkpoint.empty() && step > 0) save(step);
  return result;
}

}  // namespace ln

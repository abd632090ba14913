// longnet bench train: tokens/s of a full training step (forward, backward, AdamW) for a
// config's model on random tokens, so no corpus or tokenizer is needed. One JSON line. A step
// is train.grad_accum micro-batches, as in `longnet train`; fwd_ms/bwd_ms sum over them.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "config/config.hpp"
#include "core/json.hpp"
#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "nn/init.hpp"
#include "nn/language_model.hpp"
#include "core/error.hpp"
#include "train/adamw.hpp"
#include "train/batch_plan.hpp"
#include "train/memory_estimate.hpp"
#include "run/model_builder.hpp"

namespace {

struct BenchTrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  int64_t steps = 5;
  int64_t warmup = 2;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int run(const BenchTrainArgs& args) {
  ln::Config config = ln::load_config(args.config, args.overrides);
  const int64_t vocab = config.model.vocab_size > 0 ? config.model.vocab_size : config.tokenizer.vocab_size;
  ln::ModelSpec spec = ln::model_spec_from_config(config, vocab);
  const int64_t T = config.data.seq_len;
  const ln::TrainConfig& tc = config.train;
  // The same batch geometry as `longnet train`: grad_accum micro-batches per optimizer step.
  const int64_t sequences = tc.batch_tokens > 0 ? tc.batch_tokens / T : tc.batch_size;
  LN_CHECK(sequences % tc.grad_accum == 0, "train.grad_accum (", tc.grad_accum, ") must divide the ", sequences,
           " sequences of a step (train.batch_size or batch_tokens / seq_len)");
  const ln::BatchPlan plan =
      ln::plan_batch(T, tc.batch_tokens > 0 ? 0 : tc.batch_size, tc.batch_tokens, sequences / tc.grad_accum);
  const int64_t B = plan.sequences(), micro = plan.micro_batch;
  const ln::Recompute recompute = tc.recompute;
  const ln::MemoryEstimate estimate =
      ln::estimate_training_memory(spec, ln::LanguageModel::count_parameters(spec), micro, T, recompute);
  ln::check_fits_in_memory(estimate);
  ln::LanguageModel model(spec, static_cast<uint64_t>(config.train.seed));
  std::vector<ln::ParamRef> refs;
  for (auto& [name, var] : model.parameters()) {
    refs.push_back({name, var, ln::default_decay(name, var.ndim(), tc.decay_norms_and_embeddings)});
  }
  ln::AdamW optimizer(refs, ln::AdamWOptions{config.train.lr, config.train.beta1, config.train.beta2,
                                             config.train.adam_eps, config.train.weight_decay});

  std::vector<int32_t> ids(micro * T), targets(micro * T);
  std::vector<double> fwd, bwd, opt, total;
  for (int64_t s = 0; s < args.warmup + args.steps; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    double t_fwd = 0, t_bwd = 0;
    optimizer.zero_grad();
    for (int64_t m = 0; m < plan.accum_steps; ++m) {
      const int64_t first = (s * plan.accum_steps + m) * micro * T;
      for (int64_t i = 0; i < micro * T; ++i) {
        ids[i] = static_cast<int32_t>(ln::splitmix64(2 * (first + i)) % static_cast<uint64_t>(vocab));
        targets[i] = static_cast<int32_t>(ln::splitmix64(2 * (first + i) + 1) % static_cast<uint64_t>(vocab));
      }
      auto tm = std::chrono::steady_clock::now();
      ln::ForwardOptions options;
      options.train = true;
      options.recompute = recompute;
      options.precision = tc.precision;
      ln::Var loss = model.loss(ids, targets, micro, T, options);
      const double f = seconds_since(tm);
      loss.backward(ln::Tensor::full({}, 1.0f / static_cast<float>(plan.accum_steps)));
      t_fwd += f;
      t_bwd += seconds_since(tm) - f;
    }
    optimizer.step(config.train.lr);
    const double t_all = seconds_since(t0);
    if (s < args.warmup) continue;
    fwd.push_back(t_fwd);
    bwd.push_back(t_bwd);
    opt.push_back(t_all - t_fwd - t_bwd);
    total.push_back(t_all);
  }
  const double step_s = median(total);
  std::cout << ln::JsonObject()
                   .add("bench", "train")
                   .add("config", config.source)
                   .add("kind", ln::to_string(config.attention.kind))
                   .add("seq", T)
                   .add("batch", B)
                   .add("micro_batch", micro)
                   .add("grad_accum", plan.accum_steps)
                   .add("d_model", spec.d_model)
                   .add("layers", spec.layers)
                   .add("heads", spec.heads)
                   .add("vocab", vocab)
                   .add("params", model.parameter_count())
                   .add("threads", ln::threads())
                   .add("steps", args.steps)
                   .add("tokens_per_s", static_cast<double>(B * T) / step_s)
                   .add("step_ms", 1e3 * step_s)
                   .add("fwd_ms", 1e3 * median(fwd))
                   .add("bwd_ms", 1e3 * median(bwd))
                   .add("opt_ms", 1e3 * median(opt))
                   .add("precision", ln::precision_name(config.train.precision))
                   .add("recompute", ln::recompute_name(recompute))
                   .add("peak_rss_bytes", ln::peak_rss_bytes())
                   // Peak RSS over the tokens of one step (includes weights and the process).
                   .add("bytes_per_token", static_cast<double>(ln::peak_rss_bytes()) / static_cast<double>(B * T))
                   .add("tensor_peak_bytes", ln::tensor_bytes_peak())
                   .add("estimate_bytes", estimate.total())
                   .str()
            << std::endl;
  return 0;
}

ln::app::RegisterCommand reg{{"bench", "train", "Tokens/s of forward+backward+AdamW for a config's model (random tokens)",
  [](CLI::App& cmd) -> ln::app::RunFn {
    auto args = std::make_shared<BenchTrainArgs>();
    cmd.add_option("config,-c,--config", args->config, "YAML config, positional or -c (defaults when omitted)")->check(CLI::ExistingFile);
    cmd.add_option("--set", args->overrides, "Override a key, e.g. --set data.seq_len=8192 (repeatable)")
        ->allow_extra_args(false);
    cmd.add_option("--steps", args->steps, "Timed steps (median reported)")->check(CLI::PositiveNumber);
    cmd.add_option("--warmup", args->warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
    return [args] { return run(*args); };
  }}};

}  // namespace

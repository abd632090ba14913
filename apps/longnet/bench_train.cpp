// longnet bench train: tokens/s of a full training step (forward, backward, AdamW) for a
// config's model on random tokens, so no corpus or tokenizer is needed. One JSON line (under
// mpirun, from rank 0, with the grid and the busiest rank's communication per step). A step
// is train.grad_accum micro-batches, as in `longnet train`; fwd_ms/bwd_ms sum over them. It
// drives the trainer's TrainSession (train/train_session.hpp, synthetic_data), so the step
// timed is exactly the step `longnet train` takes (geometry, weight-decay groups, schedule).
// mfu: the step's model FLOPs (`longnet flops`) per second over the peak (train/mfu.hpp).
// --profile: after that line, where the timed steps' time went (core/step_profile.hpp, DESIGN
// §9), the mean step as a table and as a second JSON line ("bench": "train_profile"); under
// mpirun, rank 0's.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "command_registry.hpp"
#include "config/config.hpp"
#include "core/json.hpp"
#include "core/median.hpp"
#include "core/memory_stats.hpp"
#include "core/step_profile.hpp"
#include "core/step_profile_report.hpp"
#include "core/threading.hpp"
#include "nn/language_model.hpp"
#include "parallel/mpi_session.hpp"
#include "train/mfu.hpp"
#include "train/train_session.hpp"

namespace {

struct BenchTrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  int64_t steps = 5;
  int64_t warmup = 2;
  double peak_gflops = 0;  // > 0: MFU divides by this instead of measuring
  bool profile = false;    // also print the step profile of the timed steps
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The step profile of the timed steps: the mean step as a table, then as a JSON line.
void print_profile(const ln::StepProfile& profile, const ln::Config& config, int64_t world) {
  std::cout << "step profile: mean of " << profile.steps << " timed step" << (profile.steps == 1 ? "" : "s")
            << (world > 1 ? " on rank 0 of " + std::to_string(world) : std::string()) << ", "
            << ln::precision_name(config.train.precision) << ", recompute "
            << ln::recompute_name(config.train.recompute) << "\n"
            << ln::step_profile_table(profile);
  ln::JsonObject line;
  line.add("bench", "train_profile")
      .add("config", config.source)
      .add("precision", ln::precision_name(config.train.precision))
      .add("recompute", ln::recompute_name(config.train.recompute))
      .add("averaged", "mean")
      .add("world", world);
  ln::add_step_profile_json(line, profile);
  std::cout << line.str() << std::endl;
}

int run(const BenchTrainArgs& args) {
  // bench train trains no tokenizer: its tokens are random ids below tokenizer.vocab_size. The
  // byte-fallback room check is about training one, so it must not refuse the small
  // vocabularies benchmarks use (vocab_size=256, as in torch_ref.py). The user's --set still wins.
  std::vector<std::string> overrides = {"tokenizer.byte_fallback=false"};
  overrides.insert(overrides.end(), args.overrides.begin(), args.overrides.end());
  ln::Config config = ln::load_config(args.config, overrides);
  // The trainer's own session (set-up, batch geometry, model, optimizer, step), on random
  // tokens and without a run folder: what is timed is what `longnet train` runs.
  ln::TrainOptions options;
  options.synthetic_data = true;
  ln::TrainSession session(config, options);
  const ln::BatchPlan& plan = session.plan();
  const ln::ModelSpec& spec = session.model().spec();
  const int64_t T = config.data.seq_len;
  const int64_t B = plan.sequences(), micro = plan.micro_batch;

  std::vector<double> fwd, bwd, opt, total, exposed, hidden;
  ln::TrainSession::StepStats last;
  ln::StepProfile profile;  // the timed steps' sum
  for (int64_t s = 0; s < args.warmup + args.steps; ++s) {
    const bool profiled = args.profile && s >= args.warmup;
    auto t0 = std::chrono::steady_clock::now();
    std::optional<ln::StepProfiler> profiler;
    if (profiled) profiler.emplace();
    const ln::TrainSession::StepStats st = session.train_step();
    if (profiled) profile += profiler->stop();
    const double t_all = seconds_since(t0);
    if (s < args.warmup) continue;
    fwd.push_back(st.forward_s);
    bwd.push_back(st.backward_s);
    exposed.push_back(st.comm_exposed_s);
    hidden.push_back(std::max(0.0, st.comm_flight_s - st.comm_exposed_s));
    last = st;
    opt.push_back(t_all - st.forward_s - st.backward_s);
    // Distributed, the step is as long as its slowest rank (st.step_s is the world's maximum);
    // in one process it is this process's time, the optimizer and the bookkeeping included.
    total.push_back(st.world > 1 ? st.step_s : t_all);
  }
  const double step_s = ln::median(total);
  // Under mpirun (parallel.sequence = P, the world W): every rank steps, rank 0 prints; the
  // communication figures are the busiest rank's (TrainSession::train_step).
  if (ln::parallel::world_rank() != 0) return 0;
  // After the steps: the peak probe never shares the machine with the timed step.
  const ln::MfuMeter mfu = ln::mfu_meter(spec, plan, config.train.precision, ln::threads(),
                                         ln::parallel::world_size(), args.peak_gflops);
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
                   .add("vocab", spec.vocab_size)
                   .add("params", session.model().parameter_count())
                   .add("decayed_params", session.decayed_parameters())
                   .add("threads", ln::threads())
                   .add("steps", args.steps)
                   .add("tokens_per_s", static_cast<double>(B * T) / step_s)
                   .add("step_ms", 1e3 * step_s)
                   .add("mfu", mfu.of_step(step_s))
                   .add("model_flops_per_step", mfu.model_flops_per_step())
                   .add("peak_gflops", mfu.peak_flops_per_s() / 1e9)
                   .add("peak_source", mfu.peak.source)
                   .add("peak_isa", mfu.peak.isa)
                   .add("fwd_ms", 1e3 * ln::median(fwd))
                   .add("bwd_ms", 1e3 * ln::median(bwd))
                   .add("opt_ms", 1e3 * ln::median(opt))
                   .add("precision", ln::precision_name(config.train.precision))
                   .add("recompute", ln::recompute_name(config.train.recompute))
                   .add("peak_rss_bytes", ln::peak_rss_bytes())
                   // Peak RSS over the tokens of one step (includes weights and the process).
                   .add("bytes_per_token",
                        static_cast<double>(ln::peak_rss_bytes()) / static_cast<double>(B * T))
                   .add("tensor_peak_bytes", ln::tensor_bytes_peak())
                   .add("estimate_bytes", session.memory_estimate().total())
                   .add("world", last.world)
                   .add("sequence", last.sequence_ranks)
                   .add("tokens_per_rank", B * T / last.world)
                   .add("comm_exposed_ms", 1e3 * ln::median(exposed))
                   .add("comm_hidden_ms", 1e3 * ln::median(hidden))
                   .add("comm_bytes_recv", last.comm_bytes_recv)
                   .add("comm_messages_recv", last.comm_messages_recv)
                   .add("gradient_bytes", last.gradient_bytes)
                   .str()
            << std::endl;
  if (args.profile) print_profile(profile, config, last.world);
  return 0;
}

ln::app::RegisterCommand reg{
    {"bench", "train", "Tokens/s of forward+backward+AdamW for a config's model (random tokens)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<BenchTrainArgs>();
       cmd.add_option("config,-c,--config", args->config,
                      "YAML config, positional or -c (defaults when omitted)")
           ->check(CLI::ExistingFile);
       cmd.add_option("--set", args->overrides, "Override a key, e.g. --set data.seq_len=8192 (repeatable)")
           ->allow_extra_args(false);
       cmd.add_option("--steps", args->steps, "Timed steps (median reported)")->check(CLI::PositiveNumber);
       cmd.add_option("--warmup", args->warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
       cmd.add_option("--peak-gflops", args->peak_gflops,
                      "Peak GFLOP/s MFU divides by (default: measured, as `longnet bench peak`; or "
                      "LONGNET_PEAK_GFLOPS)")
           ->check(CLI::PositiveNumber);
       cmd.add_flag("--profile", args->profile,
                    "Also print where the timed steps' time went: GEMM, attention, conversion, "
                    "elementwise, optimizer, communication, other (a table and a JSON line)");
       return [args] { return run(*args); };
     }}};

}  // namespace

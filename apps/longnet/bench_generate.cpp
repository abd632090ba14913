// `longnet bench generate`: per-token decoding latency at several context lengths for one
// model, the claim of DESIGN §3 made measurable: with the dilated KV cache a token costs
// Σ_p w_p / r_p key reads per head whatever the context, so ms_per_token stays flat.
// One JSON object per context on stdout:
//   {"bench":"generate","context":65536,"ms_per_token":1.32,"ms_per_token_mean":1.35,
//    "ms_per_token_min":1.25,"tokens":32,"ratio_to_first":1.02,"prefill_s":6.1,...}
// For each context: random tokens run through the parallel forward (filling the cache), then
// --warmup decode steps, then --tokens timed decode steps (each fed the previous step's
// argmax), the last of them at position context - 1; the decode steps of the contexts are
// interleaved (round-robin) so background load on a shared machine hits them alike. With contexts that are
// multiples of the longest segment (1024, 16384, 65536), the timed tokens are the last ones of a segment,
// where a token reads the most keys: the worst case, at the same phase for every context. ms_per_token is the
// median step; ratio_to_first compares it with the first context's. --precision bf16 runs the
// products in bf16, the KV cache included (cache_bytes halves). The model is a checkpoint's, or a
// randomly initialised one of a config (its vocabulary from tokenizer.vocab_size unless model.vocab_size is
// set).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "command_registry.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/median.hpp"
#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "generate/generator.hpp"
#include "generate/sampling_filters.hpp"
#include "run/model_builder.hpp"
#include "run/trained_model.hpp"

namespace {

struct BenchArgs {
  std::string checkpoint;
  std::string config;
  std::vector<std::string> overrides;
  std::string contexts = "1024,16384,65536";
  int64_t tokens = 32;
  int64_t warmup = 4;
  uint64_t seed = 1;
  std::string precision = "fp32";
};

std::vector<int64_t> parse_contexts(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    int64_t v = 0;
    bool ok = !part.empty();
    try {
      size_t used = 0;
      v = std::stoll(part, &used);
      ok = ok && used == part.size();
    } catch (const std::exception&) {
      ok = false;
    }
    LN_CHECK(ok && v >= 1, "[bench generate] --context entry '", part,
             "' is not a positive token count; e.g. --context 1024,16384,65536");
    out.push_back(v);
  }
  LN_CHECK(!out.empty(), "[bench generate] --context is empty; e.g. --context 1024,16384,65536");
  return out;
}

// CPU time of the calling thread: with --threads 1 all the work of a step, and unlike the
// wall clock not inflated when other processes take the core.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

std::string int_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

ln::app::RegisterCommand reg{
    {"bench", "generate", "Per-token decoding latency at several context lengths",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<BenchArgs>();
       auto* ckpt =
           cmd.add_option("-m,--checkpoint,--model", args->checkpoint, "Run directory or step-* checkpoint");
       auto* config =
           cmd.add_option("-c,--config", args->config, "YAML config: a randomly initialised model of it")
               ->check(CLI::ExistingFile);
       ckpt->excludes(config);
       cmd.add_option("--set", args->overrides,
                      "Override a config key, e.g. --set model.layers=6 (with --config)");
       cmd.add_option("--context", args->contexts,
                      "Comma-separated context lengths; the timed tokens are the last ones of each")
           ->capture_default_str();
       cmd.add_option("--tokens", args->tokens, "Timed decode steps per context")->capture_default_str();
       cmd.add_option("--warmup", args->warmup, "Untimed decode steps before them")->capture_default_str();
       cmd.add_option("--seed", args->seed, "Seed of the random context tokens (and of the random model)")
           ->capture_default_str();
       cmd.add_option("--precision", args->precision,
                      "Products (linear layers, attention, the KV cache's decoding): fp32, or bf16 with "
                      "fp32 accumulation")
           ->check(CLI::IsMember(ln::enum_names(ln::kPrecisionNames)))
           ->capture_default_str();
       return [args] {
         const BenchArgs& a = *args;
         LN_CHECK(!a.checkpoint.empty() || !a.config.empty(),
                  "[bench generate] give --checkpoint DIR or --config FILE");
         LN_CHECK(a.tokens >= 1 && a.warmup >= 0, "[bench generate] --tokens must be >= 1 and --warmup >= 0");
         const std::vector<int64_t> contexts = parse_contexts(a.contexts);
         const ln::Precision precision = ln::parse_precision(a.precision);
         std::unique_ptr<ln::LanguageModel> owned;
         std::unique_ptr<ln::TrainedModel> trained;
         const ln::LanguageModel* model = nullptr;
         std::string source;
         if (!a.checkpoint.empty()) {
           trained = std::make_unique<ln::TrainedModel>(ln::load_trained_model(a.checkpoint));
           model = trained->model.get();
           source = trained->dir;
         } else {
           ln::Config cfg = ln::load_config(a.config, a.overrides);
           ln::ModelSpec spec = ln::model_spec_from_config(cfg, cfg.tokenizer.vocab_size);
           owned = std::make_unique<ln::LanguageModel>(spec, a.seed);
           model = owned.get();
           source = a.config;
         }
         const ln::ModelSpec& spec = model->spec();
         const int64_t V = spec.vocab_size;
         // 1. Prompt pass of every context (the caches stay: the dilated ones are small).
         struct Run {
           int64_t context = 0, prompt = 0, reads = 0;
           double prefill_s = 0;
           std::unique_ptr<ln::Generator> gen;
           ln::Tensor logits;
           std::vector<double> ms, cpu_ms;
         };
         std::vector<Run> runs;
         for (int64_t context : contexts) {
           Run run;
           run.context = context;
           run.prompt = context - a.warmup - a.tokens;
           LN_CHECK(run.prompt >= 1, "[bench generate] --context ", context, " leaves no prompt before the ",
                    a.warmup, " + ", a.tokens,
                    " decode steps; use a longer context or fewer --tokens/--warmup");
           std::mt19937_64 rng(a.seed + static_cast<uint64_t>(context));
           std::vector<int32_t> ids(static_cast<size_t>(run.prompt));
           for (auto& id : ids) id = static_cast<int32_t>(rng() % static_cast<uint64_t>(V));
           run.gen = std::make_unique<ln::Generator>(*model, context, precision);
           const auto t0 = std::chrono::steady_clock::now();
           run.logits = run.gen->prompt(ids);
           run.prefill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
           runs.push_back(std::move(run));
         }
         // 2. Decode steps, round-robin over the contexts: whatever else the machine is doing
         // slows every context alike, so the ratios stay meaningful on a shared machine.
         for (int64_t i = 0; i < a.warmup + a.tokens; ++i) {
           for (Run& run : runs) {
             const int32_t next = ln::argmax(ln::make_candidates(run.logits.data(), V));
             const int64_t r0 = run.gen->cache().keys_read();
             const double c0 = thread_cpu_ms();
             const auto t0 = std::chrono::steady_clock::now();
             run.logits = run.gen->next(next);
             const double dt =
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
             if (i < a.warmup) continue;
             run.ms.push_back(dt);
             run.cpu_ms.push_back(thread_cpu_ms() - c0);
             run.reads += run.gen->cache().keys_read() - r0;
           }
         }
         double first_ms = 0;
         for (const Run& run : runs) {
           const double median = ln::median(run.ms);
           double mean = 0;
           for (double x : run.ms) mean += x;
           mean /= static_cast<double>(run.ms.size());
           if (first_ms == 0) first_ms = median;
           ln::JsonObject j;
           j.add("bench", "generate")
               .add("context", run.context)
               .add("ms_per_token", median)
               .add("ms_per_token_mean", mean)
               .add("ms_per_token_min", *std::min_element(run.ms.begin(), run.ms.end()))
               .add("cpu_ms_per_token", ln::median(run.cpu_ms))
               .add("tokens", a.tokens)
               .add("ratio_to_first", median / first_ms)
               .add("prefill_s", run.prefill_s)
               .add("prefill_tokens", run.prompt)
               .add("prefill_tokens_per_s", static_cast<double>(run.prompt) / run.prefill_s)
               .add("keys_read_per_token", static_cast<double>(run.reads) / static_cast<double>(a.tokens))
               .add("cache_mb", static_cast<double>(run.gen->cache().bytes()) / (1 << 20))
               .add("cache_bytes", run.gen->cache().bytes())
               .add("precision", a.precision)
               .add("kind", ln::to_string(spec.attention.kind))
               .add_raw("segments", int_list(spec.attention.segments))
               .add_raw("dilations", int_list(spec.attention.dilations))
               .add("layers", spec.layers)
               .add("d_model", spec.d_model)
               .add("heads", spec.heads)
               .add("vocab", V)
               .add("threads", ln::threads())
               .add("peak_rss_mb", static_cast<double>(ln::peak_rss_bytes()) / (1 << 20))
               .add("model", source);
           std::cout << j.str() << std::endl;
         }
         return 0;
       };
     }}};

}  // namespace

// `longnet flops`: the training FLOPs of one optimizer step of a config (nn/model_flops.hpp says
// what is counted), and with --budget the number of steps that spends a FLOP budget. `make
// paper` uses it to train every model for the same compute.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "nn/language_model.hpp"
#include "nn/model_flops.hpp"
#include "run/model_builder.hpp"

namespace {

struct FlopsOptions {
  std::string path;
  std::vector<std::string> overrides;
  double budget = 0;
  bool json = false;
};

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

ln::app::RegisterCommand reg{
    {"", "flops", "Training FLOPs per optimizer step of a config (and steps for a --budget)",
     [](CLI::App& cmd) {
       auto opts = std::make_shared<FlopsOptions>();
       cmd.add_option("config,-c,--config", opts->path, "YAML config file, positional or -c")
           ->check(CLI::ExistingFile)
           ->required();
       cmd.add_option("--set", opts->overrides, "Override a key, e.g. --set train.batch_size=4 (repeatable)")
           ->allow_extra_args(false);
       cmd.add_option("--budget", opts->budget,
                      "Total training FLOPs (e.g. 2.5e15): also print the steps that spend it");
       cmd.add_flag("--json", opts->json, "Print one JSON object");
       return [opts] {
         LN_CHECK(std::isfinite(opts->budget) && opts->budget >= 0, "--budget is ", opts->budget,
                  "; give a FLOP count >= 0, e.g. 2.5e15");
         ln::Config config = ln::load_config(opts->path, opts->overrides);
         // The tokenizer's real vocabulary can differ from tokenizer.vocab_size by a few pieces;
         // model.vocab_size (a trained run's config.yaml) is exact when given.
         const int64_t vocab =
             config.model.vocab_size > 0 ? config.model.vocab_size : config.tokenizer.vocab_size;
         const ln::ModelSpec spec = ln::model_spec_from_config(config, vocab);
         const int64_t T = config.data.seq_len;
         const int64_t batch =
             config.train.batch_tokens > 0 ? config.train.batch_tokens / T : config.train.batch_size;
         const ln::StepFlops f = ln::training_step_flops(spec, batch, T);
         const int64_t steps =
             opts->budget > 0 ? static_cast<int64_t>(std::floor(opts->budget / f.train())) : 0;
         if (opts->json) {
           ln::JsonObject o;
           o.add("config", opts->path)
               .add("parameters", ln::LanguageModel::count_parameters(spec))
               .add("batch", batch)
               .add("seq_len", T)
               .add("tokens_per_step", f.tokens)
               .add("matmul_forward", f.matmul_forward)
               .add("attention_forward", f.attention_forward)
               .add("train_flops_per_step", f.train());
           if (opts->budget > 0)
             o.add("budget", opts->budget).add("steps", steps).add("flops", f.train() * double(steps));
           std::cout << o.str() << "\n";
           return 0;
         }
         std::cout << "config                  " << opts->path << "\n"
                   << "parameters              " << ln::LanguageModel::count_parameters(spec) << "\n"
                   << "tokens per step         " << f.tokens << " (" << batch << " x " << T << ")\n"
                   << "forward matmuls         " << sci(f.matmul_forward) << "\n"
                   << "forward attention       " << sci(f.attention_forward) << "\n"
                   << "training FLOPs per step " << sci(f.train()) << " (3 x matmuls + 3.5 x attention)\n";
         if (opts->budget > 0) {
           std::cout << "steps for " << sci(opts->budget) << "     " << steps << " ("
                     << sci(f.train() * double(steps)) << " FLOPs)\n";
         }
         return 0;
       };
     }}};

}  // namespace

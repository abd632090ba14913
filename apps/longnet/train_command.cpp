// longnet train: train a model from a YAML config (+ --set overrides); resumes by default.
#include <iostream>
#include <memory>

#include "cli_checks.hpp"
#include "command_registry.hpp"
#include "config/config.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"
#include "train/trainer.hpp"

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume = "auto";
  bool quiet = false;
  int64_t stop_after = 0;
  std::string init_from;
};

ln::app::RegisterCommand reg{
    {"", "train", "Train a model from a YAML config (resumes from the newest intact checkpoint)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<TrainArgs>();
       cmd.add_option(
              "config,-c,--config", args->config,
              "YAML config file, positional or -c (see configs/; `longnet config --keys` lists every key)")
           ->check(CLI::ExistingFile);
       cmd.add_option("--set", args->overrides, "Override a key, e.g. --set model.layers=6 (repeatable)")
           ->allow_extra_args(false);
       cmd.add_option("--resume", args->resume,
                      "auto (newest intact checkpoint in train.out_dir), never, or a checkpoint dir");
       cmd.add_flag("-q,--quiet", args->quiet, "No progress line or set-up summary");
       cmd.add_option("--stop-after", args->stop_after,
                      "Stop and save after N steps of this run (resume later)")
           ->check(ln::app::integer_in(0, 1'000'000'000'000));
       cmd.add_option(
           "--init-from", args->init_from,
           "Start a new run (step 0, fresh optimizer and schedule) from the weights and tokenizer of this "
           "checkpoint or run dir; the model shape must match");
       return [args] {
         ln::Config config = [&] {
           ln::parallel::SymmetricErrorScope symmetric;  // every rank reads the same config
           if (!args->config.empty()) return ln::load_config(args->config, args->overrides);
           // No config: resume the run in train.out_dir. The --set overrides only locate it
           // here (train.out_dir, parallel.*); the run's own config, with them applied, is the
           // one validated (train/run_config.hpp), not the built-in defaults.
           ln::Config located;
           located.source = "--set";
           for (const auto& assignment : args->overrides) ln::apply_override(located, assignment);
           return located;
         }();
         const bool root = ln::parallel::world_rank() == 0;  // under mpirun, rank 0 alone reports
         ln::TrainOptions options{args->resume,    args->quiet || !root,  args->stop_after,
                                  args->overrides, !args->config.empty(), args->init_from};
         ln::TrainResult result = ln::train(config, options);
         if (!root) return 0;
         if (result.finished_already) {
           std::cerr << config.train.out_dir << ": finished at step " << result.step
                     << " (train.steps); nothing to do. To train further: --set train.steps=N with N > "
                     << result.step << "\ncheckpoint: " << result.checkpoint << "\n";
           return 0;
         }
         if (result.step == 0 || result.train_loss != result.train_loss) {
           std::cerr << "no step was trained\n";
           return 0;
         }
         std::cerr << "trained to step " << result.step << ": train loss " << result.train_loss;
         if (result.val_loss == result.val_loss && result.val_whole_split) {
           std::cerr << ", validation loss " << result.val_loss << " (the whole validation split, "
                     << result.val_tokens << " predictions, as `longnet eval --validation-split` scores it)";
         } else if (result.val_loss == result.val_loss) {
           std::cerr << ", validation loss " << result.val_loss << " (on " << result.val_tokens << " of the "
                     << result.val_split_tokens << " validation tokens, train.eval_batches; `longnet eval "
                     << "--validation-split` scores them all, so its perplexity differs by that sample)";
         }
         std::cerr << "\ncheckpoint: " << result.checkpoint << "\n";
         return 0;
       };
     }}};

}  // namespace

// longnet train: train a model from a YAML config (+ --set overrides); resumes by default.
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "config/config.hpp"
#include "dist/mpi_session.hpp"
#include "dist/process_grid.hpp"
#include "train/trainer.hpp"

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume = "auto";
  bool quiet = false;
  int64_t stop_after = 0;
};

ln::app::RegisterCommand reg{{"", "train", "Train a model from a YAML config (resumes from the newest intact checkpoint)",
  [](CLI::App& cmd) -> ln::app::RunFn {
    auto args = std::make_shared<TrainArgs>();
    cmd.add_option("config,-c,--config", args->config, "YAML config file (see configs/; `longnet config --keys` lists every key)")
        ->check(CLI::ExistingFile);
    cmd.add_option("--set", args->overrides, "Override a key, e.g. --set model.layers=6 (repeatable)");
    cmd.add_option("--resume", args->resume, "auto (newest intact checkpoint in train.out_dir), never, or a checkpoint dir");
    cmd.add_flag("-q,--quiet", args->quiet, "No progress line or set-up summary");
    cmd.add_option("--stop-after", args->stop_after, "Stop and save after N steps of this run (resume later)")
        ->check(CLI::NonNegativeNumber);
    return [args] {
      ln::Config config = [&] {
        ln::dist::SymmetricErrorScope symmetric;  // every rank reads the same config
        return ln::load_config(args->config, args->overrides);
      }();
      const bool root = ln::dist::world_rank() == 0;  // under mpirun, rank 0 alone reports
      if (!args->quiet && root) std::cerr << "config (" << config.source << "):\n" << ln::config_table(config);
      ln::TrainResult result = ln::train(config, ln::TrainOptions{args->resume, args->quiet, args->stop_after});
      if (!root) return 0;
      std::cerr << "trained to step " << result.step << ": train loss " << result.train_loss;
      if (result.val_loss == result.val_loss) std::cerr << ", validation loss " << result.val_loss;
      std::cerr << "\ncheckpoint: " << result.checkpoint << "\n";
      return 0;
    };
  }}};

}  // namespace

// longnet eval: perplexity (and bits per byte) of a trained model on held-out text files.
#include <iostream>
#include <memory>

#include "cli_checks.hpp"
#include "command_registry.hpp"
#include "eval/eval_report.hpp"
#include "eval/eval_run.hpp"
#include "train/trained_model.hpp"

namespace {

struct EvalArgs {
  std::string checkpoint;
  ln::EvalSettings settings;
  bool json = false;
  bool quiet = false;
};

ln::app::RegisterCommand reg{{"", "eval", "Perplexity and bits per byte of a trained model on held-out text (--data and/or --validation-split)",
  [](CLI::App& cmd) -> ln::app::RunFn {
    auto args = std::make_shared<EvalArgs>();
    cmd.add_option("--checkpoint", args->checkpoint,
                   "Run directory (its newest intact checkpoint) or one step-* checkpoint directory")
        ->required();
    cmd.add_option("--data", args->settings.data, "Held-out text: files and/or directories (repeatable)")
        ->expected(1, -1);
    cmd.add_flag("--validation-split", args->settings.validation_split,
                 "Also evaluate the run's own validation documents (data.train split as in training; run from the "
                 "directory training ran in)");
    cmd.add_option("--context", args->settings.context,
                   "Window length in tokens (default: the training seq_len; may exceed it)")
        ->check(ln::app::integer_in(0, 1 << 24));
    cmd.add_option("--stride", args->settings.stride,
                   "Sliding-window stride S < context: also score each token once with >= context-S tokens of "
                   "history (default: the context, i.e. non-overlapping windows only)")
        ->check(ln::app::integer_in(0, 1 << 24));
    cmd.add_option("--batch", args->settings.batch, "Windows per forward pass")->default_val(1)->check(ln::app::integer_in(0, 65536));
    cmd.add_option("--by-position", args->settings.by_position,
                   "Write loss by position in the window to PREFIX.json and PREFIX.svg");
    cmd.add_flag("--json", args->json, "Print one JSON object on stdout instead of the table");
    cmd.add_flag("-q,--quiet", args->quiet, "No progress line on stderr");
    return [args] {
      ln::TrainedModel trained = ln::load_trained_model(args->checkpoint);
      args->settings.progress = !args->quiet;
      ln::EvalReport report = ln::run_eval(trained, args->settings);
      if (args->json) {
        std::cout << ln::format_eval_json(report) << std::endl;
      } else {
        std::cout << ln::format_eval_text(report) << std::flush;
      }
      return 0;
    };
  }}};

}  // namespace

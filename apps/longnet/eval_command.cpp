// longnet eval: perplexity (and bits per byte) of a trained model on held-out text files.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli_checks.hpp"
#include "command_registry.hpp"
#include "core/bounded_read.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/precision.hpp"
#include "data/corpus.hpp"
#include "eval/eval_report.hpp"
#include "eval/eval_run.hpp"
#include "eval/extend_patterns.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"
#include "parallel/watchdog.hpp"
#include "run/trained_model.hpp"
#include "score/perplexity.hpp"
#include "train/stop_signal.hpp"

namespace {

// Standard input (`eval -f -`), read whole (bounded) into a temporary file that the scorer reads
// like any other text; removed when the command ends.
struct StdinCopy {
  std::string path;
  StdinCopy() {
    ln::BoundedReadOptions read;
    read.what = "eval -f - (standard input)";
    read.max_bytes = size_t(1) << 30;
    read.allow_stdin = true;
    read.limit_hint = "save the text to a file and pass its path";
    const std::string text = ln::read_bounded("-", read);
    LN_CHECK(!text.empty(), "eval -f -: standard input was empty; pipe some UTF-8 text in");
    std::string name = (std::filesystem::temp_directory_path() / "longnet-stdin-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    LN_CHECK(fd >= 0, "eval -f -: cannot create a temporary file in ", name, ": ", std::strerror(errno));
    ::close(fd);
    path = name;
    ln::write_file_atomic(path, text);
  }
  ~StdinCopy() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  StdinCopy(const StdinCopy&) = delete;
  StdinCopy& operator=(const StdinCopy&) = delete;
};

struct EvalArgs {
  std::string checkpoint;
  ln::EvalSettings settings;
  bool json = false;
  bool quiet = false;
  bool extend_patterns = false;
  std::string precision = "fp32";
  std::vector<std::string> overrides;
};

ln::app::RegisterCommand reg{
    {"", "eval",
     "Perplexity and bits per byte of a trained model on held-out text (--data and/or --validation-split)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<EvalArgs>();
       cmd.add_option("-m,--checkpoint,--model", args->checkpoint,
                      "Run directory (its newest intact checkpoint) or one step-* checkpoint directory")
           ->required();
       cmd.add_option("-f,--data,--file", args->settings.data,
                      "Held-out text: files, directories and/or globs (quoted, e.g. 'texts/*.txt'); .jsonl "
                      "files use each line's \"text\" field; - reads standard input (repeatable)")
           ->expected(1, -1);
       cmd.add_flag(
           "--validation-split", args->settings.validation_split,
           "Also evaluate the run's own validation documents (data.train split as in training; run from the "
           "directory training ran in)");
       cmd.add_option("-c,--context,--ctx-size", args->settings.context,
                      "Window length in tokens (default: the training seq_len; may exceed it)")
           ->check(ln::app::integer_in(0, 1 << 24));
       cmd.add_option(
              "--stride", args->settings.stride,
              "Sliding-window stride S < context: also score each token once with >= context-S tokens of "
              "history (default: the context, i.e. non-overlapping windows only)")
           ->check(ln::app::integer_in(0, 1 << 24));
       cmd.add_option("--batch", args->settings.batch, "Windows per forward pass")
           ->default_val(1)
           ->check(ln::app::integer_in(0, 65536));
       cmd.add_option("--by-position", args->settings.by_position,
                      "Write loss by position in the window to PREFIX.json and PREFIX.svg (a .svg or .json "
                      "ending given is taken off: x.svg writes x.svg and x.json)");
       cmd.add_option("--per-token", args->settings.per_token,
                      "Write every scored prediction (file, index, position, token, piece, loss in nats) to "
                      "this tab-separated file, to build your own probes (eval/token_loss_file.hpp)");
       cmd.add_flag("--json", args->json, "Print one JSON object on stdout instead of the table");
       cmd.add_flag("-q,--quiet", args->quiet, "No progress line on stderr");
       cmd.add_flag(
           "--extend-patterns", args->extend_patterns,
           "Dilated models: continue the segment/dilation schedule (w*a, r*a) until the widest segment "
           "covers "
           "the context, so a model trained at N attends over a longer prompt (eval/extend_patterns.hpp)");
       cmd.add_option("--precision", args->precision,
                      "Linear-layer GEMMs: fp32, or bf16 with fp32 accumulation")
           ->check(CLI::IsMember(ln::enum_names(ln::kPrecisionNames)))
           ->capture_default_str();
       cmd.add_option("--set", args->overrides,
                      "parallel.sequence=P: split each window over P ranks (launch with mpirun -np P); "
                      "parallel.timeout_s=S: the deadline of every wait for other ranks");
       return [args] {
         args->settings.precision = ln::parse_precision(args->precision);  // passed to the scorer
         {
           ln::parallel::SymmetricErrorScope symmetric;  // every rank parses the same flags
           for (const std::string& o : args->overrides) {
             const std::string key = "parallel.sequence=", timeout = "parallel.timeout_s=";
             if (o.rfind(timeout, 0) == 0) {
               char* end = nullptr;
               const double s = std::strtod(o.c_str() + timeout.size(), &end);
               LN_CHECK(end && *end == '\0' && s > 0 && s <= 1e7,
                        "eval --set parallel.timeout_s takes seconds in (0, 1e7], got '", o, "'");
               ln::parallel::set_wait_timeout(s);
               continue;
             }
             LN_CHECK(o.rfind(key, 0) == 0 && o.size() > key.size() &&
                          o.find_first_not_of("0123456789", key.size()) == std::string::npos,
                      "eval --set takes only parallel.sequence=P (a positive integer) or "
                      "parallel.timeout_s=S, got '",
                      o, "'");
             args->settings.sequence_parallel = std::stoll(o.substr(key.size()));
           }
           const bool from_stdin = std::find(args->settings.data.begin(), args->settings.data.end(), "-") !=
                                   args->settings.data.end();
           LN_CHECK(
               !from_stdin || ln::parallel::world_size() == 1,
               "eval -f - reads standard input in one process only; under mpirun save the text to a file "
               "and pass its path");
         }
         std::string& prefix = args->settings.by_position;  // x.svg and x.json, never x.svg.svg
         for (const char* ending : {".svg", ".json"}) {
           if (prefix.size() > std::strlen(ending) && prefix.ends_with(ending))
             prefix.resize(prefix.size() - std::strlen(ending));
         }
         // eval -f -: standard input, read once into a temporary file that the scorer reads.
         std::optional<StdinCopy> stdin_copy;
         if (std::find(args->settings.data.begin(), args->settings.data.end(), "-") !=
             args->settings.data.end()) {
           stdin_copy.emplace();
           args->settings.stdin_copy = stdin_copy->path;
         }
         ln::TrainedModel trained = ln::load_trained_model(args->checkpoint);
         const int64_t context =
             args->settings.context >= 0 ? args->settings.context : trained.config.data.seq_len;
         const int64_t stride = args->settings.stride >= 0 ? args->settings.stride : context;
         {
           // The flags, in their own words, before any work (the library checks the same settings
           // again, naming settings rather than flags).
           ln::parallel::SymmetricErrorScope symmetric;
           const ln::EvalSettings& s = args->settings;
           LN_CHECK(s.batch >= 1, "--batch is ", s.batch, "; give at least 1 window per forward");
           LN_CHECK(!s.data.empty() || s.validation_split,
                    "nothing to evaluate; name held-out text files or directories with --data, or use "
                    "--validation-split");
           if (!s.by_position.empty()) {
             const auto parent = std::filesystem::path(s.by_position).parent_path();
             std::error_code ec;
             if (!parent.empty()) std::filesystem::create_directories(parent, ec);
             LN_CHECK(!ec, "--by-position ", s.by_position, ": cannot create the directory ", parent.string(),
                      ": ", ec.message());
           }
           if (!s.per_token.empty()) {
             const auto parent = std::filesystem::absolute(s.per_token).parent_path();
             LN_CHECK(std::filesystem::is_directory(parent), "--per-token ", s.per_token, ": the folder ",
                      parent.string(), " does not exist");
           }
           LN_CHECK(context >= 1, "--context is ", context,
                    "; give a window of at least 1 token (default: the training seq_len)");
           LN_CHECK(stride >= 1, "--stride is ", stride,
                    "; give a stride of at least 1 token (default: the context)");
           LN_CHECK(stride <= context, "--stride ", stride, " is larger than --context ", context,
                    "; tokens between windows would never be scored; use a stride <= the context");
           if (!s.data.empty()) {  // files, folders and globs expanded now; "-" stays in its place
             std::vector<std::string> expanded;
             for (const std::string& entry : s.data) {
               if (entry == "-") {
                 expanded.push_back(entry);
                 continue;
               }
               for (std::string& file : ln::list_corpus_files({entry}, "--data"))
                 expanded.push_back(std::move(file));
             }
             args->settings.data = std::move(expanded);
           }
         }
         if (args->extend_patterns) {
           try {
             ln::extend_trained_model(trained, context);
           } catch (const ln::Error& e) {  // the library names settings; the user gave a flag
             LN_FAIL("--extend-patterns: ", e.message(), " (drop --extend-patterns)");
           }
         }
         {
           ln::parallel::SymmetricErrorScope symmetric;
           const int64_t limit = ln::max_eval_context(trained.model->spec());
           LN_CHECK(context <= limit, "--context ", context,
                    " is too long for this model (XPOS decay over so many "
                    "positions leaves fp32); use --context <= ",
                    limit);
         }
         args->settings.progress = !args->quiet;
         const auto t0 = std::chrono::steady_clock::now();
         ln::EvalPlan plan = ln::plan_eval(trained, args->settings);
         // Ctrl-C while scoring (one process): stop, and report what was scored so far.
         std::optional<ln::StopSignalScope> signals;
         if (ln::parallel::world_size() == 1) {
           signals.emplace("stopping: printing what was scored so far", "aborting");
           args->settings.stop = [] { return ln::stop_requested(); };
         }
         ln::run_eval_plan(trained, args->settings, plan);
         ln::EvalReport report = ln::finish_eval_report(trained, args->settings, plan);
         report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
         if (ln::parallel::world_rank() != 0) return 0;  // rank 0 alone reports
         if (args->json) {
           std::cout << ln::format_eval_json(report) << std::endl;
         } else {
           std::cout << ln::format_eval_text(report) << std::flush;
         }
         return report.partial ? 128 + SIGINT : 0;
       };
     }}};

}  // namespace

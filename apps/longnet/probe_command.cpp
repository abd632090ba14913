// longnet probe copy|passkey: does a trained model use its long context? Both probes build
// their documents from held-out text the user gives (lib/probe, data/retrieval_documents.hpp).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli_checks.hpp"
#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "data/corpus.hpp"
#include "eval/eval_text.hpp"
#include "ops/precision.hpp"
#include "probe/copy_probe.hpp"
#include "probe/passkey_probe.hpp"
#include "probe/probe_report.hpp"
#include "run/trained_model.hpp"
#include "score/perplexity.hpp"

namespace {

// The flags both probes take.
struct ProbeArgs {
  std::string checkpoint;
  std::vector<std::string> data;
  bool extend_patterns = false;
  std::string precision = "fp32";
  int64_t context = 0;  // 0: the training length (x4 with --extend-patterns)
  int64_t samples = 0;  // 0: the probe's default
  int64_t window = 0;   // 0: each document whole
  uint64_t seed = 1;
  bool json = false;
  bool quiet = false;
};

void add_common_flags(CLI::App& cmd, ProbeArgs& args) {
  cmd.add_option("-m,--checkpoint,--model", args.checkpoint,
                 "Run directory (its newest intact checkpoint) or one step-* checkpoint directory")
      ->required();
  cmd.add_option("-f,--data", args.data,
                 "Held-out text the documents are made of: files, directories and/or quoted globs "
                 "(repeatable); use text the model never trained on")
      ->required()
      ->expected(1, -1);
  cmd.add_flag("--extend-patterns", args.extend_patterns,
               "Windows longer than the widest trained segment continue the dilated schedule (as eval "
               "--extend-patterns); also makes the default grid reach 4x the training length");
  cmd.add_option("-c,--context", args.context,
                 "The longest window of the default grid (default: the training length; 4x with "
                 "--extend-patterns)")
      ->check(ln::app::integer_in(1, 1 << 24));
  cmd.add_option("--window", args.window,
                 "Give the model at most W tokens of history: documents longer than W keep their last W "
                 "tokens (probe a model as its trained window would run it, e.g. a dense model)")
      ->check(ln::app::integer_in(2, 1 << 24));
  cmd.add_option("--precision", args.precision, "fp32, or bf16 as in training")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd.add_option("-s,--seed", args.seed, "Seed of the documents (which passages, keys and haystacks)")
      ->capture_default_str();
  cmd.add_flag("--json", args.json, "Print one JSON object on stdout instead of the table");
  cmd.add_flag("-q,--quiet", args.quiet, "No progress lines on stderr");
}

// What a probe needs before any scoring: the model, the text as one token stream.
struct Loaded {
  ln::TrainedModel trained;
  std::vector<uint32_t> stream;
  std::unique_ptr<ln::RangeView> text;
  ln::ProbeHeader header;
  int64_t context = 0;
};

Loaded load(const ProbeArgs& args) {
  const std::vector<std::string> files = ln::list_corpus_files(args.data, "--data");
  Loaded out{ln::load_trained_model(args.checkpoint), {}, {}, {}, 0};
  const ln::TrainedModel& t = out.trained;
  for (const std::string& path : files) {
    const ln::EvalText text = ln::read_eval_text(path, t.tokenizer, t.config.data.document_separator);
    out.stream.insert(out.stream.end(), text.tokens.begin(), text.tokens.end());
  }
  out.text = std::make_unique<ln::RangeView>(out.stream.data(),
                                             std::vector<ln::TokenRange>{{0, int64_t(out.stream.size())}});
  const int64_t trained_length = t.config.data.seq_len;
  out.context =
      args.context > 0 ? args.context : (args.extend_patterns ? 4 * trained_length : trained_length);
  ln::ProbeHeader& h = out.header;
  h.checkpoint = t.dir;
  h.step = t.step;
  h.train_seq_len = trained_length;
  const ln::AttentionSpec& a = t.model->spec().attention;
  h.attention = ln::to_string(a.kind);
  if (a.kind == ln::AttentionKind::dilated) {
    auto list = [](const std::vector<int64_t>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "]";
    };
    h.attention += " segments " + list(a.segments) + " dilations " + list(a.dilations);
  }
  h.attention += ", positions " + std::string(ln::to_string(a.positions));
  h.extend_patterns = args.extend_patterns;
  h.precision = args.precision;
  h.text = files;
  h.text_tokens = static_cast<int64_t>(out.stream.size());
  h.seed = args.seed;
  if (!args.extend_patterns && out.context > trained_length && !args.quiet)
    std::cerr << "note: windows longer than the training length " << trained_length
              << " measure length extrapolation; add --extend-patterns to continue a dilated schedule\n";
  return out;
}

// "probe copy: 3/9" on stderr.
std::function<void(int64_t, int64_t)> progress_line(const char* what, bool quiet) {
  if (quiet) return {};
  return [what](int64_t done, int64_t total) {
    std::cerr << "probe " << what << ": " << done << "/" << total << "\n";
  };
}

struct CopyArgs {
  ProbeArgs common;
  std::vector<int64_t> distances;
  int64_t passage = 256;
  int64_t alignments = 8;
};

ln::app::RegisterCommand copy_reg{
    {"probe", "copy",
     "Loss on a passage repeated after D tokens, against the same passage when new (the loss ratio per "
     "distance)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<CopyArgs>();
       add_common_flags(cmd, args->common);
       cmd.add_option("--distances", args->distances,
                      "Gaps D in tokens, comma-separated (default: 64, 128, ... and the longest that fits "
                      "the context)")
           ->delimiter(',')
           ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
       cmd.add_option("--passage", args->passage, "Tokens in the repeated passage")
           ->capture_default_str()
           ->check(ln::app::integer_in(2, 1 << 20));
       cmd.add_option("--samples", args->common.samples, "Passages per distance (default 8)")
           ->check(ln::app::integer_in(1, 100000));
       cmd.add_option("--alignments", args->alignments,
                      "Sample s uses a gap of D + (s mod A) tokens, so dilated attention is probed at every "
                      "alignment; 1: exactly D")
           ->capture_default_str()
           ->check(ln::app::integer_in(1, 4096));
       return [args] {
         const auto t0 = std::chrono::steady_clock::now();
         Loaded loaded = load(args->common);
         ln::CopyProbeSettings settings;
         settings.passage = args->passage;
         settings.samples = args->common.samples > 0 ? args->common.samples : 8;
         settings.seed = args->common.seed;
         settings.alignments = args->alignments;
         settings.window = args->common.window;
         settings.distances =
             !args->distances.empty()
                 ? args->distances
                 : ln::default_copy_distances(loaded.context, settings.passage, settings.alignments);
         LN_CHECK(!settings.distances.empty(), "a passage of ", settings.passage,
                  " tokens twice does not fit a ", loaded.context,
                  "-token window; use a smaller --passage or a larger --context");
         for (int64_t d : settings.distances)
           ln::check_eval_context(loaded.trained.model->spec(),
                                  1 + 2 * settings.passage + d + settings.alignments - 1);
         ln::ProbeModels models(*loaded.trained.model, args->common.extend_patterns,
                                ln::parse_precision(args->common.precision));
         const auto rows = ln::run_copy_probe(models, *loaded.text, loaded.trained.tokenizer.eos_id(),
                                              settings, progress_line("copy", args->common.quiet));
         loaded.header.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
         if (args->common.json)
           std::cout << ln::copy_probe_json(loaded.header, settings, rows) << std::endl;
         else
           std::cout << ln::copy_probe_table(loaded.header, settings, rows) << std::flush;
         return 0;
       };
     }}};

struct PasskeyArgs {
  ProbeArgs common;
  std::vector<int64_t> lengths;
  std::vector<double> depths;
  int64_t digits = 5;
  std::string svg;
};

ln::app::RegisterCommand passkey_reg{
    {"probe", "passkey",
     "Needle in a haystack: a random key told at depth p of L tokens of text, asked for at the end (accuracy "
     "and log-probability per length and depth; --svg writes the heatmap)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<PasskeyArgs>();
       add_common_flags(cmd, args->common);
       cmd.add_option(
              "--lengths", args->lengths,
              "Window lengths L in tokens, comma-separated (default: 1024, 2048, ... up to the context)")
           ->delimiter(',')
           ->check(CLI::Range(int64_t{16}, int64_t{1} << 24));
       cmd.add_option("--depths", args->depths,
                      "Needle depths in [0, 1], comma-separated (default: 0, 0.25, 0.5, 0.75, 1)")
           ->delimiter(',')
           ->check(CLI::Range(0.0, 1.0));
       cmd.add_option("--samples", args->common.samples, "Keys per cell (default 10)")
           ->check(ln::app::integer_in(1, 100000));
       cmd.add_option("--digits", args->digits, "Digits in a key")
           ->capture_default_str()
           ->check(ln::app::integer_in(1, 18));
       cmd.add_option("--svg", args->svg, "Write the accuracy heatmap to this SVG file");
       return [args] {
         const auto t0 = std::chrono::steady_clock::now();
         if (!args->svg.empty()) {  // fail now, not after the work; the file itself is written at the end
           const auto parent = std::filesystem::absolute(args->svg).parent_path();
           LN_CHECK(std::filesystem::is_directory(parent), "--svg ", args->svg, ": the folder ",
                    parent.string(), " does not exist");
         }
         Loaded loaded = load(args->common);
         ln::PasskeyProbeSettings settings;
         settings.lengths =
             !args->lengths.empty() ? args->lengths : ln::default_passkey_lengths(loaded.context);
         settings.depths = !args->depths.empty() ? args->depths : ln::default_passkey_depths();
         settings.samples = args->common.samples > 0 ? args->common.samples : 10;
         settings.digits = args->digits;
         settings.seed = args->common.seed;
         settings.window = args->common.window;
         for (int64_t l : settings.lengths) ln::check_eval_context(loaded.trained.model->spec(), l);
         ln::ProbeModels models(*loaded.trained.model, args->common.extend_patterns,
                                ln::parse_precision(args->common.precision));
         const ln::PasskeyTemplate pieces = ln::passkey_template(loaded.trained.tokenizer);
         const auto cells = ln::run_passkey_probe(models, *loaded.text, pieces, settings,
                                                  progress_line("passkey", args->common.quiet));
         loaded.header.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
         if (!args->svg.empty())
           ln::write_file_atomic(args->svg, ln::passkey_heatmap_svg(loaded.header, settings, cells));
         if (args->common.json)
           std::cout << ln::passkey_probe_json(loaded.header, settings, cells) << std::endl;
         else
           std::cout << ln::passkey_probe_table(loaded.header, settings, cells) << std::flush;
         return 0;
       };
     }}};

}  // namespace

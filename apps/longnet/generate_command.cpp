// longnet generate: continue a prompt with a trained model, streaming the text to stdout as it
// is produced; the seed (when random), the model and the timings go to stderr, so stdout
// carries only text and pipes cleanly. Sampler order: generate/sampler.hpp.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli_checks.hpp"
#include "command_registry.hpp"
#include "core/bounded_read.hpp"
#include "core/error.hpp"
#include "data/corpus.hpp"
#include "data/piece_encode.hpp"
#include "generate/prompt_fit.hpp"
#include "generate/text_generation.hpp"
#include "ops/precision.hpp"
#include "run/trained_model.hpp"
#include "train/stop_signal.hpp"

namespace {

// Bounds on what generate is asked to do: reading a prompt larger than this, or generating more
// tokens, is refused (a typo such as -n 1e12 would otherwise run for days).
constexpr size_t kMaxPromptBytes = size_t(16) << 20;
constexpr int64_t kMaxTokens = 1'000'000;
// The sampler's settings as this command's flags name them, for the library's range errors.
const ln::SamplerOptionNames kSamplerFlags{"--temp",  "--top-k",          "--top-p",
                                           "--min-p", "--repeat-penalty", "--repeat-last-n"};

struct GenerateArgs {
  std::string checkpoint;
  std::string prompt;
  std::string prompt_file;
  int64_t tokens = 128;
  int64_t seed = -1;
  bool no_display_prompt = false;
  std::string precision = "fp32";
  ln::GenerationOptions options;
};

// The prompt text: --prompt, or --prompt-file read in bounded time (a FIFO, '-' for standard
// input and devices are read up to the limit; /dev/zero ends with a clear error, not a hang).
std::string read_prompt(const GenerateArgs& args, bool given_text) {
  LN_CHECK(given_text != !args.prompt_file.empty(),
           "give the prompt with --prompt TEXT or --prompt-file FILE");
  std::string text = args.prompt;
  if (!given_text) {
    ln::BoundedReadOptions read;
    read.what = "--prompt-file";
    read.max_bytes = kMaxPromptBytes;
    read.allow_stdin = true;
    read.allow_streams = true;
    read.limit_hint = "give a shorter prompt (generation reads only its last " +
                      std::to_string(ln::kPromptTokenLimit) + " tokens or so)";
    text = ln::read_bounded(args.prompt_file, read);
  }
  const std::string source = given_text                ? "--prompt"
                             : args.prompt_file == "-" ? "standard input"
                                                       : args.prompt_file;
  LN_CHECK(!text.empty(), "the prompt (", source, ") is empty; give some text to continue");
  const int64_t bad = ln::find_invalid_utf8(text);
  LN_CHECK(bad < 0, "the prompt (", source, ") is not valid UTF-8 (byte ", bad, "); save it as UTF-8");
  return text;
}

// Tokens of the prompt, tokenized in pieces (bounded time for a long line) with a progress line
// on stderr for a long prompt, then cut to what the model can use (generate/prompt_fit.hpp).
std::vector<int32_t> prompt_tokens(const ln::TrainedModel& tm, const std::string& text) {
  const std::vector<int32_t> all = ln::encode_in_pieces(tm.tokenizer, text, [](size_t done, size_t total) {
    std::cerr << "\rtokenizing the prompt: " << done * 100 / total << "%" << (done == total ? "\n" : "")
              << std::flush;
  });
  LN_CHECK(!all.empty(), "the prompt encodes to no tokens (only whitespace?); give some text to continue");
  ln::FittedPrompt fitted = ln::fit_prompt(all, tm.model->spec());
  if (fitted.dropped > 0) {
    std::cerr << "prompt: " << all.size() << " tokens; using the last " << fitted.ids.size()
              << (fitted.exact ? " (dilated attention never reads the "
                               : " (the model will not see the first ")
              << fitted.dropped << " tokens before them)\n";
  }
  return fitted.ids;
}

double per_second(int64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }

ln::app::RegisterCommand reg{
    {"", "generate", "Continue a prompt with a trained model (dilated KV cache)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<GenerateArgs>();
       auto& o = args->options;
       cmd.footer(
           "Sampler order (fixed): repetition penalty -> top-k -> top-p -> min-p -> temperature -> sample.\n"
           "The text streams to stdout; the seed (when random), the model and timings go to stderr.");
       cmd.add_option("-m,--checkpoint,--model", args->checkpoint,
                      "Run directory (its newest intact checkpoint) or a step-* checkpoint")
           ->required();
       auto* prompt = cmd.add_option("-p,--prompt", args->prompt, "Text to continue");
       auto* prompt_file = cmd.add_option("-f,--prompt-file,--file", args->prompt_file,
                                          "File whose text (UTF-8) is the prompt; - reads standard input");
       prompt->excludes(prompt_file);
       cmd.add_option("-n,--tokens,--n-predict", o.max_tokens,
                      "Tokens to generate (stops earlier at end-of-text)")
           ->capture_default_str()
           ->check(ln::app::integer_in(0, kMaxTokens));
       cmd.add_option("--temp", o.sampler.temperature, "Temperature; 0 = greedy (argmax)")
           ->capture_default_str();
       cmd.add_option("--top-k", o.sampler.top_k, "Keep the k most likely tokens; 0 = off")
           ->capture_default_str();
       cmd.add_option("--top-p", o.sampler.top_p,
                      "Keep the smallest set of tokens whose probability reaches p; 1 = off")
           ->capture_default_str();
       cmd.add_option("--min-p", o.sampler.min_p,
                      "Drop tokens less than min-p times as likely as the best; 0 = off")
           ->capture_default_str();
       cmd.add_option("--repeat-penalty", o.sampler.repeat_penalty,
                      "Penalise recent tokens: positive logits / x, negative * x; 1 = off")
           ->capture_default_str();
       cmd.add_option("--repeat-last-n", o.sampler.repeat_last_n,
                      "Tokens the penalty looks back over; -1 = all, 0 = off")
           ->capture_default_str();
       cmd.add_option("-s,--seed", args->seed, "RNG seed (>= 0); random when not given (printed to stderr)")
           ->check(ln::app::integer_in(0, INT64_MAX));
       cmd.add_flag("--ignore-eos", o.ignore_eos, "Never stop at end-of-text (it is never sampled)");
       cmd.add_flag("--no-display-prompt", args->no_display_prompt,
                    "Print only the generated text, not the prompt");
       cmd.add_option("--precision", args->precision,
                      "Products (linear layers, attention, the KV cache's decoding): fp32, or bf16 with "
                      "fp32 accumulation (a bf16 KV cache holds half the bytes)")
           ->check(CLI::IsMember(ln::enum_names(ln::kPrecisionNames)))
           ->capture_default_str();
       return [args, prompt] {
         GenerateArgs& a = *args;
         a.options.precision = ln::parse_precision(a.precision);  // passed to the Generator
         const std::string text = read_prompt(a, prompt->count() > 0);
         ln::validate_sampler_options(a.options.sampler, kSamplerFlags);
         LN_CHECK(a.options.max_tokens >= 0, "-n is ", a.options.max_tokens,
                  "; give the number of tokens to generate");
         LN_CHECK(a.seed >= -1, "--seed is ", a.seed, "; give a seed >= 0 (or none for a random one)");
         ln::TrainedModel tm = ln::load_trained_model(a.checkpoint);
         const ln::ModelSpec& spec = tm.model->spec();
         const std::vector<int32_t> ids = prompt_tokens(tm, text);
         std::cerr << "model: " << tm.dir << " (step " << tm.step << "), "
                   << ln::to_string(spec.attention.kind) << " attention, " << spec.layers
                   << " layers, d_model " << spec.d_model << "\n";
         if (a.seed < 0) {
           a.options.sampler.seed = ln::random_seed() >> 1;  // fits the int64 that --seed takes back
           std::cerr << "seed: " << a.options.sampler.seed << "\n";
         } else {
           a.options.sampler.seed = static_cast<uint64_t>(a.seed);
         }

         // The last character written: a terminal gets a final newline when the text lacks one;
         // a pipe or file gets exactly the text (no newline the model did not write).
         char last = '\n';
         if (!a.no_display_prompt) {
           std::cout << text << std::flush;
           last = text.back();
         }
         // Ctrl-C: stop, keep the text so far, and print the timings.
         ln::StopSignalScope signals("stopping: printing the timings", "aborting");
         a.options.stop = [] { return ln::stop_requested(); };
         ln::GenerationResult r =
             ln::generate_text(*tm.model, tm.tokenizer, ids, a.options, [&last](std::string_view piece) {
               std::cout << piece << std::flush;
               last = piece.back();
             });
         if (::isatty(STDOUT_FILENO) && last != '\n') std::cout << "\n";
         std::cout << std::flush;
         std::ostringstream timing;
         timing.setf(std::ios::fixed);
         auto seconds = [&](double x) -> std::ostream& {
           return timing << std::setprecision(3) << x << " s (";
         };
         auto rate = [&](int64_t n, double x) -> std::ostream& {
           return timing << std::setprecision(1) << per_second(n, x);
         };
         const auto generated = static_cast<int64_t>(r.tokens.size());
         timing << "prompt: " << r.prompt_tokens << " tokens in ";
         seconds(r.prompt_seconds);
         rate(r.prompt_tokens, r.prompt_seconds) << " tokens/s); generated: " << generated << " tokens in ";
         seconds(r.generate_seconds);
         rate(generated, r.generate_seconds)
             << " tokens/s)" << (r.stopped_at_eos ? ", stopped at end-of-text" : "")
             << (r.interrupted ? ", interrupted (partial)" : "") << "; KV cache " << r.cache_bytes
             << " bytes (" << a.precision << ")\n";
         std::cerr << timing.str();
         return r.interrupted ? 128 + SIGINT : 0;
       };
     }}};

}  // namespace

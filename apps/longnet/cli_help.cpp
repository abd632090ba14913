// Suggestions for mistyped command lines. CLI11 reports an unknown word as "not expected" or
// "A subcommand is required" without saying what was meant; this finds the nearest valid
// command or option name (edit distance counting a transposition once) and says it in one line.
#include "cli_help.hpp"

#include <algorithm>

#include "config/value_text.hpp"  // edit_distance: the config loader's "did you mean" too

namespace ln::app {

namespace {

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

// Every option name valid at the deepest level of `path`: its own and those of the levels
// above it (global options such as --threads fall through to the top).
std::vector<std::string> option_names(const CommandPath& path) {
  std::vector<std::string> names;
  for (const CLI::App* app : path.apps) {
    for (const CLI::Option* opt : app->get_options()) {
      for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
      for (const std::string& n : opt->get_snames()) names.push_back("-" + n);
    }
  }
  return names;
}

// llama.cpp flags a user may bring along where this command has nothing of the same meaning
// (those whose meaning matches are accepted as aliases: --n-predict, --ctx-size, --file): what
// to do instead.
struct ForeignFlag {
  const char* command;
  const char* flag;
  const char* hint;
};
constexpr const char* kNoContext =
    "generate has no context size to set: the model reads the whole prompt (the last 16K tokens of a longer "
    "one) and what it generates, and the dilated KV cache keeps only each pattern's current segment; to "
    "score "
    "text at a context length use longnet eval -c N";
constexpr const char* kNoTokens =
    "eval generates nothing: -n/--n-predict belongs to longnet generate; eval's window length is "
    "-c/--context";
constexpr const char* kNoPrompt =
    "eval scores text files (-f FILE, - for standard input) and takes no prompt; longnet generate -p TEXT "
    "continues one";
constexpr ForeignFlag kForeignFlags[] = {
    {"generate", "-c", kNoContext}, {"generate", "--ctx-size", kNoContext},
    {"eval", "-n", kNoTokens},      {"eval", "--n-predict", kNoTokens},
    {"eval", "-p", kNoPrompt},      {"eval", "--prompt", kNoPrompt},
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

CommandPath find_command_path(CLI::App& app, int argc, const char* const* argv) {
  CommandPath path;
  path.apps.push_back(&app);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      for (auto it = path.apps.rbegin(); it != path.apps.rend(); ++it) {
        if (const CLI::Option* opt = (*it)->get_option_no_throw(arg)) {
          if (opt->get_items_expected_max() > 0) ++i;  // skip its value
          break;
        }
      }
      continue;
    }
    CLI::App* current = path.apps.back();
    const auto subs = current->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) break;  // a leaf command: the remaining words are its positionals
    auto named = std::find_if(subs.begin(), subs.end(), [&](CLI::App* sub) { return sub->check_name(arg); });
    if (named == subs.end()) {
      path.unknown = arg;
      break;
    }
    path.apps.push_back(*named);
  }
  return path;
}

std::string command_line_name(const CommandPath& path) {
  std::string name = "longnet";
  for (size_t i = 1; i < path.apps.size(); ++i) name += " " + path.apps[i]->get_name();
  return name;
}

std::string closest_name(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& candidate : candidates) {
    const size_t d = ln::edit_distance(word, candidate);
    if (d < best_distance) best_distance = d, best = candidate;
  }
  // A plausible typo: at most a third of the word changed (and at least one edit allowed),
  // or one name is a prefix of the other ("--temperature" for "--temp").
  const size_t core = word.size() - std::min(word.find_first_not_of('-'), word.size());
  if (!best.empty() && best_distance <= std::max<size_t>(1, core / 3)) return best;
  for (const std::string& candidate : candidates) {
    const size_t shorter = std::min(candidate.size(), word.size());
    if (shorter >= 5 && candidate.compare(0, shorter, word, 0, shorter) == 0) return candidate;
  }
  return {};
}

std::string describe_unknown_command(const CommandPath& path) {
  const std::vector<std::string> names = subcommand_names(path.apps.back());
  const std::string where = path.apps.size() > 1 ? " of " + command_line_name(path) : "";
  std::string line = "unknown command '" + path.unknown + "'" + where;
  const std::string& word = path.unknown;
  const bool yaml = word.size() > 5 && (word.ends_with(".yaml") || word.ends_with(".yml"));
  const std::string best = closest_name(word, names);
  if (yaml && path.apps.size() == 1) {
    line += "; to train from a config: longnet train " + word;
  } else if (!best.empty()) {
    line += "; did you mean '" + best + "'?";
  }
  return line + " (commands: " + join(names) + ")";
}

std::string describe_parse_error(const CLI::ParseError& error, const CommandPath& path) {
  const std::string help = " (see " + command_line_name(path) + " --help)";
  std::string what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error)) {  // get_name() is the app's name here
    // "The following argument(s) was/were not expected: a b c"
    const size_t colon = what.find(": ");
    std::vector<std::string> extras;
    for (size_t at = colon == std::string::npos ? what.size() : colon + 2; at < what.size();) {
      const size_t end = std::min(what.find(' ', at), what.size());
      if (end > at) extras.push_back(what.substr(at, end - at));
      at = end + 1;
    }
    const std::vector<std::string> names = option_names(path);
    for (const std::string& extra : extras) {
      if (extra.size() < 2 || extra[0] != '-') continue;
      const std::string flag = extra.substr(0, extra.find('='));
      const std::string command = path.apps.back()->get_name();
      for (const ForeignFlag& foreign : kForeignFlags) {
        if (command == foreign.command && flag == foreign.flag)
          return "unknown option " + flag + " for " + command_line_name(path) + ": " + foreign.hint + help;
      }
      // One letter is no typo of another ("-c" is not "-h"): no suggestion for a short option.
      const bool short_option = flag.size() == 2 && flag[1] != '-';
      const std::string best = short_option ? std::string() : closest_name(flag, names);
      return "unknown option " + flag + " for " + command_line_name(path) +
             (best.empty() ? "" : "; did you mean " + best + "?") + help;
    }
    if (!extras.empty()) {
      return "unexpected argument '" + extras.front() + "' for " + command_line_name(path) + help;
    }
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) && what.find("subcommand") != std::string::npos) {
    return command_line_name(path) + " needs a command: " + join(subcommand_names(path.apps.back())) + help;
  }
  return what + help;
}

}  // namespace ln::app

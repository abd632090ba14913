#pragma once
// Help for a mistyped command line: which (sub)command the arguments name, and the nearest
// valid name for a misspelt command or option ("did you mean 'train'?").
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ln::app {

// The subcommands named on the command line, outermost first, found without parsing:
// options (and their values) are skipped, the first word that is not an option names a
// subcommand while the current level has subcommands. When a word names none,
// `unknown` holds it and `apps` ends at the level where it was looked up.
struct CommandPath {
  std::vector<CLI::App*> apps;  // apps[0] is the top-level app
  std::string unknown;
};
CommandPath find_command_path(CLI::App& app, int argc, const char* const* argv);

// "longnet bench train" for the deepest app of `path`.
std::string command_line_name(const CommandPath& path);

// The candidate closest to `word` by edit distance (a transposition counts once), or "" when
// none is close enough to be a plausible typo.
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates);

// One line for a failed parse, with a suggestion when an unknown argument looks like a typo
// of a valid option, e.g. "unknown option --temprature for longnet generate; did you mean
// --temp? (see longnet generate --help)".
std::string describe_parse_error(const CLI::ParseError& error, const CommandPath& path);

// One line for a word that names no subcommand, e.g. "unknown command 'trian'; did you mean
// 'train'? (commands: train, eval, ...)".
std::string describe_unknown_command(const CommandPath& path);

}  // namespace ln::app

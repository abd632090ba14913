#pragma once
// Subcommands register themselves from their own file, so the CLI grows one file per
// command and main.cpp never changes:
//
//   static ln::app::RegisterCommand reg{{"bench", "matmul", "GFLOP/s of oneDNN matmul",
//       [](CLI::App& cmd) { auto opts = ...; cmd.add_option(...); return [opts] { ...; return 0; }; }}};
//
// `parent` is "" for a top-level command or the name of a group ("bench").
// `setup` adds the command's options and returns the function to run when it is chosen.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ln::app {

using RunFn = std::function<int()>;

struct Command {
  std::string parent;
  std::string name;
  std::string help;
  std::function<RunFn(CLI::App&)> setup;
};

std::vector<Command>& command_registry();

struct RegisterCommand {
  explicit RegisterCommand(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace ln::app

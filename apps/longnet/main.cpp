// longnet: the command-line front door. Parses flags, sets up threads, runs one command.
// Commands live in their own files and register themselves (command_registry.hpp).
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <new>
#include <string>

#include "cli_checks.hpp"
#include "cli_help.hpp"
#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "core/version.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"

namespace ln::app {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace ln::app

int main(int argc, char** argv) {
  ln::configure_openmp_environment(argc, argv);
  ln::tune_allocator_for_large_tensors();
  ln::parallel::MpiSession mpi;  // after the re-exec above; a no-op unless launched by mpirun

  CLI::App app{"longnet: train, evaluate and sample long-context LongNet language models on CPUs"};
  app.set_version_flag("--version", std::string("longnet ") + ln::kLongnetVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--threads) may follow the subcommand
  int threads = 0;
  bool verbose = false;
  app.add_flag("--verbose", verbose,
               "Errors also name the source line that raised them (or set LONGNET_DEBUG=1)");
  app.add_option("-t,--threads", threads, "Threads for every pool (TBB and oneDNN); 0 = all cores")
      ->check(ln::app::integer_in(0, 4096));

  // The global options are the top-level app's; every command's --help lists them too.
  const auto global_help = [] {
    return std::string(
        "Global options (before or after the command):\n"
        "  -t,--threads INT     Threads for every pool (TBB and oneDNN); 0 = all cores\n"
        "  --verbose            Errors also name the source line that raised them (or set LONGNET_DEBUG=1)");
  };
  std::map<std::string, CLI::App*> groups;
  std::vector<std::pair<CLI::App*, ln::app::RunFn>> commands;
  for (auto& command : ln::app::command_registry()) {
    CLI::App* parent = &app;
    if (!command.parent.empty()) {
      auto& group = groups[command.parent];
      if (!group) {
        const std::map<std::string, std::string> group_help = {
            {"bench", "Benchmarks; each prints one JSON object per line"},
            {"probe", "Does a trained model use its long context? copy at a distance, passkey retrieval"}};
        const auto help = group_help.find(command.parent);
        group = app.add_subcommand(command.parent, help != group_help.end() ? help->second : command.parent);
        group->require_subcommand(1);
        group->fallthrough();
        group->footer(global_help);
      }
      parent = group;
    }
    CLI::App* sub = parent->add_subcommand(command.name, command.help);
    sub->fallthrough();
    sub->footer(global_help);
    commands.emplace_back(sub, command.setup(*sub));
  }

  const ln::app::CommandPath path = ln::app::find_command_path(app, argc, argv);
  // Under mpirun every rank parses the same arguments: rank 0 alone prints a parse error.
  const bool root = ln::parallel::world_rank() == 0;
  if (!path.unknown.empty()) {
    if (root) std::cerr << "longnet: error: " << ln::app::describe_unknown_command(path) << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root ? app.exit(e) : 0;  // --help, --version
    if (root) std::cerr << "longnet: error: " << ln::app::describe_parse_error(e, path) << "\n";
    return 2;
  }
  // User errors are one line without the throwing source line, unless asked for.
  const char* debug = std::getenv("LONGNET_DEBUG");
  verbose = verbose || (debug && *debug && std::strcmp(debug, "0") != 0);

  try {
    ln::set_threads(threads);
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
    std::cerr << "longnet: error: no command chosen; see longnet --help\n";
    return 2;
  } catch (const ln::Error& e) {
    const std::string text = verbose ? std::string(e.what()) : e.message();
    if (ln::parallel::world_size() > 1 && !ln::parallel::errors_are_symmetric()) {
      // This rank failed alone; the others may wait in a collective: end the whole job.
      std::cerr << "longnet: error (rank " << ln::parallel::world_rank() << "): " << text << "\n";
      ln::parallel::abort_world(2);
    }
    if (ln::parallel::world_rank() == 0) std::cerr << "longnet: error: " << text << "\n";
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // A file-system failure not caught closer to its cause: still one line, as a user error.
    // Under mpirun only rank 0 touches the run folder, so this rank failed alone: end the job.
    if (ln::parallel::world_size() > 1)
      std::cerr << "longnet: error (rank " << ln::parallel::world_rank() << "): ";
    else
      std::cerr << "longnet: error: ";
    std::cerr << e.code().message();
    if (!e.path1().empty()) std::cerr << ": '" << e.path1().string() << "'";
    if (!e.path2().empty()) std::cerr << " -> '" << e.path2().string() << "'";
    std::cerr << "; check that the path exists and is writable\n";
    ln::parallel::abort_world(2);
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "longnet: error: out of memory; reduce the batch size, sequence length or model size\n";
    ln::parallel::abort_world(2);  // under mpirun the other ranks may wait in a collective
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "longnet: internal error: " << e.what() << "\n";
    ln::parallel::abort_world(1);
    return 1;
  }
}

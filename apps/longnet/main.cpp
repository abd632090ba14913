// longnet: the command-line front door. Parses flags, sets up threads, runs one command.
// Commands live in their own files and register themselves (command_registry.hpp).
#include <iostream>
#include <map>
#include <new>

#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "dist/mpi_session.hpp"
#include "dist/process_grid.hpp"

namespace ln::app {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace ln::app

int main(int argc, char** argv) {
  ln::configure_openmp_environment(argc, argv);
  ln::tune_allocator_for_large_tensors();
  ln::dist::MpiSession mpi;  // after the re-exec above; a no-op unless launched by mpirun

  CLI::App app{"longnet: train, evaluate and sample long-context LongNet language models on CPUs"};
  app.set_version_flag("--version", "longnet 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--threads) may follow the subcommand
  int threads = 0;
  app.add_option("--threads", threads, "Threads for every pool (TBB and oneDNN); 0 = all cores")
      ->check(CLI::NonNegativeNumber);

  std::map<std::string, CLI::App*> groups;
  std::vector<std::pair<CLI::App*, ln::app::RunFn>> commands;
  for (auto& command : ln::app::command_registry()) {
    CLI::App* parent = &app;
    if (!command.parent.empty()) {
      auto& group = groups[command.parent];
      if (!group) {
        group = app.add_subcommand(command.parent, command.parent == "bench"
                                                       ? "Benchmarks; each prints one JSON object per line"
                                                       : command.parent);
        group->require_subcommand(1);
        group->fallthrough();
      }
      parent = group;
    }
    CLI::App* sub = parent->add_subcommand(command.name, command.help);
    sub->fallthrough();
    commands.emplace_back(sub, command.setup(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    ln::set_threads(threads);
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
    std::cerr << "longnet: error: no command chosen; see longnet --help\n";
    return 2;
  } catch (const ln::Error& e) {
    if (ln::dist::world_size() > 1 && !ln::dist::errors_are_symmetric()) {
      // This rank failed alone; the others may wait in a collective: end the whole job.
      std::cerr << "longnet: error (rank " << ln::dist::world_rank() << "): " << e.what() << "\n";
      ln::dist::abort_world(2);
    }
    if (ln::dist::world_rank() == 0) std::cerr << "longnet: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "longnet: error: out of memory; reduce the batch size, sequence length or model size\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "longnet: internal error: " << e.what() << "\n";
    return 1;
  }
}

// `longnet config`: what a config means. Prints the resolved table (defaults + file + --set),
// the resolved config as YAML, or every key with its type, default, range and help.
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "config/config.hpp"

namespace {

struct ConfigOptions {
  std::string path;
  std::vector<std::string> overrides;
  bool keys = false;
  bool yaml = false;
};

ln::app::RegisterCommand reg{
    {"", "config", "Show the resolved config (or every key with --keys)", [](CLI::App& cmd) {
       auto opts = std::make_shared<ConfigOptions>();
       cmd.add_option("config,-c,--config", opts->path,
                      "YAML config file, positional or -c (default: built-in defaults)")
           ->check(CLI::ExistingFile);
       cmd.add_option("--set", opts->overrides, "Override a key, e.g. --set model.layers=6 (repeatable)")
           ->allow_extra_args(false);
       cmd.add_flag("--keys", opts->keys, "List every key with type, default, range and help");
       cmd.add_flag("--yaml", opts->yaml, "Print the resolved config as YAML (loadable with --config)");
       return [opts] {
         if (opts->keys) {
           std::cout << ln::config_keys_help();
           return 0;
         }
         ln::Config config = ln::load_config(opts->path, opts->overrides);
         std::cout << (opts->yaml ? ln::config_to_yaml(config) : ln::config_table(config));
         return 0;
       };
     }}};

}  // namespace

// attnlab command-line entry: parses arguments and dispatches to a command.
#include "commands.hpp"

#include <attnlab/framework/errors.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace {

void configure_logging(bool verbose) {
  auto logger = spdlog::stderr_color_mt("attnlab");
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"attnlab: compare attention activations head-to-head under identical training"};
  app.require_subcommand(1);
  std::vector<std::string> plugin_files;
  bool verbose = false;
  app.add_option("--plugin", plugin_files, "Load this plugin file as well (repeatable)");
  app.add_flag("-v,--verbose", verbose, "Log more detail");

  app.add_subcommand("plugins", "List every discovered plugin (built-in, $ATTNLAB_PLUGIN_PATH, --plugin)");

  attnlab::cli::CheckPluginOptions check;
  auto* check_command = app.add_subcommand("check-plugin", "Run the conformance checks on one activation plugin");
  check_command->add_option("plugin", check.target, "Plugin id, or path to a plugin .so file")->required();
  check_command->add_option("--params", check.params, "Parameter text for the plugin, e.g. 'c = 0.5'");
  check_command->add_option("--seed", check.seed, "Seed for the random test inputs");

  CLI11_PARSE(app, argc, argv);
  configure_logging(verbose);

  try {
    auto environment = attnlab::cli::load_plugin_environment(plugin_files);
    if (app.got_subcommand("plugins")) return attnlab::cli::run_plugins(environment);
    if (app.got_subcommand("check-plugin")) return attnlab::cli::run_check_plugin(environment, check);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 2;
}

// taskfarm: the coordinator and the user's command line.

#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "coordinator/exit_codes.h"
#include "coordinator/run_command.h"

int main(int argc, char** argv) {
  CLI::App app{"taskfarm: a multiprocess worker farm for CPU-heavy and rate-limited network jobs"};
  app.require_subcommand(1);
  app.fallthrough();  // --log-level may also follow the subcommand
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  int exit_status = taskfarm::exit_codes::kSuccess;
  taskfarm::AddRunCommand(app, &exit_status);

  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });
  // stdout carries only results and the --json summary; every log line goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("taskfarm"));
  spdlog::set_pattern("taskfarm: [%l] %v");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "taskfarm: " << e.what() << "\nRun 'taskfarm --help' or 'taskfarm run --help' for usage.\n";
    return taskfarm::exit_codes::kBadUsage;
  }
  return exit_status;
}

// taskfarm: the coordinator and the user's command line.

#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/exit_codes.h"
#include "coordinator/geoserver_command.h"
#include "coordinator/host_command.h"
#include "coordinator/report_command.h"
#include "coordinator/run_command.h"
#include "coordinator/search_command.h"
#include "shared/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"taskfarm: a multiprocess worker farm for CPU-heavy and rate-limited network jobs"};
  app.require_subcommand(1);
  app.fallthrough();  // --log-level may also follow the subcommand
  taskfarm::LogSettings logging;
  app.add_option("--log-level", logging.level, "trace, debug, info, warn (default), error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-file", logging.file,
                 "append log lines (the workers' too, tagged) to FILE instead of stderr");
  int exit_status = taskfarm::exit_codes::kSuccess;
  taskfarm::AddRunCommand(app, logging, &exit_status);
  taskfarm::AddReportCommand(app, &exit_status);
  taskfarm::AddGeoserverCommand(app, &exit_status);
  taskfarm::AddSearchCommand(app, &exit_status);
  taskfarm::AddHostCommand(app, &exit_status);
  taskfarm::AddKeygenCommand(app, &exit_status);

  bool logging_failed = false;
  app.parse_complete_callback([&] {
    try {
      taskfarm::SetUpLogging("coordinator", logging);
    } catch (const std::exception& e) {
      std::cerr << "taskfarm: " << e.what() << '\n';
      logging_failed = true;
      throw CLI::RuntimeError(taskfarm::exit_codes::kBadUsage);
    }
  });
  taskfarm::SetUpLogging("coordinator", taskfarm::LogSettings{});
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    if (logging_failed) return taskfarm::exit_codes::kBadUsage;
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "taskfarm: " << e.what() << "\nRun 'taskfarm --help' or 'taskfarm run --help' for usage.\n";
    return taskfarm::exit_codes::kBadUsage;
  }
  return exit_status;
}

#include "cli/taskfarm_main.h"

#include <cstring>
#include <iostream>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/exit_codes.h"
#include "cli/geoserver_command.h"
#include "cli/host_command.h"
#include "cli/report_command.h"
#include "cli/run_command.h"
#include "cli/search_command.h"
#include "coordinator/worker_process.h"
#include "shared/logging.h"

namespace taskfarm {
namespace {

// GNU parallel's `::: a b c`: the words after ::: are the inputs. CLI11 would take them for
// options, so they are cut off before it parses.
std::optional<std::vector<std::string>> TakeTrailingInputs(int& argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], ":::") == 0) {
      std::vector<std::string> inputs(argv + i + 1, argv + argc);
      argc = i;
      return inputs;
    }
  }
  return std::nullopt;
}

}  // namespace

Program TaskfarmProgram() {
  Program program;
  program.worker_executable = WorkerExecutableBesideSelf();
  return program;
}

int TaskfarmMain(int argc, char** argv, const Program& program) {
  std::optional<std::vector<std::string>> trailing_inputs = TakeTrailingInputs(argc, argv);
  CLI::App app{program.name + ": a multiprocess worker farm for CPU-heavy and rate-limited "
               "network jobs"};
  app.name(program.name);
  app.require_subcommand(1);
  // A program built on the library is itself, on taskfarm's version.
  app.set_version_flag("--version", program.name == "taskfarm"
                                        ? "taskfarm " TASKFARM_VERSION
                                        : program.name + " (taskfarm " TASKFARM_VERSION ")");
  app.fallthrough();  // --log-level may also follow the subcommand
  // Words that look like options reach the root as extras: search takes them (-debian is a
  // word to leave out); for any other command they are refused before anything runs.
  app.allow_extras();
  taskfarm::LogSettings logging;
  app.add_option("--log-level", logging.level, "trace, debug, info, warn (default), error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-file", logging.file,
                 "append log lines (the workers' too, tagged) to FILE instead of stderr");
  int exit_status = taskfarm::exit_codes::kSuccess;
  RunCommandContext context{&logging, &program, std::move(trailing_inputs)};
  taskfarm::AddRunCommand(app, context, &exit_status);
  taskfarm::AddReportCommand(app, &exit_status);
  taskfarm::AddGeoserverCommand(app, &exit_status);
  taskfarm::AddSearchCommand(app, &exit_status);
  taskfarm::AddHostCommand(app, program, &exit_status);
  taskfarm::AddKeygenCommand(app, &exit_status);

  bool logging_failed = false;
  app.parse_complete_callback([&] {
    if (!app.remaining().empty() && !app.got_subcommand("search")) {
      throw CLI::ExtrasError(app.remaining());
    }
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
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    if (logging_failed) return taskfarm::exit_codes::kBadUsage;
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program.name << ": " << e.what() << "\nRun '" << program.name << " --help' or '"
              << program.name << " run --help' for usage.\n";
    return taskfarm::exit_codes::kBadUsage;
  }
  return exit_status;
}

}  // namespace taskfarm

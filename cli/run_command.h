#pragma once
// `taskfarm run`: its flags, and turning them into a Farm run.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/program.h"
#include "shared/logging.h"

namespace taskfarm {

/// What `run` needs from the program around it.
struct RunCommandContext {
  const LogSettings* logging = nullptr;  // read when the command runs; handed to workers
  const Program* program = nullptr;      // must outlive the command
  std::optional<std::vector<std::string>> trailing_inputs;  // the words after :::
};

/// Adds the `run` subcommand to `app`; when it is chosen, the callback runs the farm and
/// stores the process exit status in `*exit_status`.
void AddRunCommand(CLI::App& app, RunCommandContext context, int* exit_status);

}  // namespace taskfarm

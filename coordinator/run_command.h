#pragma once
// `taskfarm run`: its flags, and turning them into a Farm run.

#include <CLI/CLI.hpp>

#include "shared/logging.h"

namespace taskfarm {

/// Adds the `run` subcommand to `app`; when it is chosen, the callback runs the farm and
/// stores the process exit status in `*exit_status`. `logging` (read when the command runs)
/// is handed on to the workers.
void AddRunCommand(CLI::App& app, const LogSettings& logging, int* exit_status);

}  // namespace taskfarm

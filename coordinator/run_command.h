#pragma once
// `taskfarm run`: its flags, and turning them into a Farm run.

#include <CLI/CLI.hpp>

namespace taskfarm {

/// Adds the `run` subcommand to `app`; when it is chosen, the callback runs the farm and
/// stores the process exit status in `*exit_status`.
void AddRunCommand(CLI::App& app, int* exit_status);

}  // namespace taskfarm

#pragma once
// `taskfarm host` (a remote host agent, see host_agent.h) and `taskfarm keygen` (CurveZMQ
// key pairs, see curve_keys.h).

#include <CLI/CLI.hpp>

#include "cli/program.h"

namespace taskfarm {

void AddHostCommand(CLI::App& app, const Program& program, int* exit_status);
void AddKeygenCommand(CLI::App& app, int* exit_status);

}  // namespace taskfarm

#pragma once
// `taskfarm report`: the summary of a finished or interrupted run, read back from its
// database, and exports of its results.

#include <CLI/CLI.hpp>

namespace taskfarm {

void AddReportCommand(CLI::App& app, int* exit_status);

}  // namespace taskfarm

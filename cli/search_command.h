#pragma once
// `taskfarm search`: ranked full-text search of the index a run built in its database.

#include <CLI/CLI.hpp>

namespace taskfarm {

void AddSearchCommand(CLI::App& app, int* exit_status);

}  // namespace taskfarm

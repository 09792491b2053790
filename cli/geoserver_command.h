#pragma once
// `taskfarm geoserver`: runs GeoServer until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>

namespace taskfarm {

void AddGeoserverCommand(CLI::App& app, int* exit_status);

}  // namespace taskfarm

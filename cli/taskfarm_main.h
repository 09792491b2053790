#pragma once
// TaskfarmMain: the command line of `taskfarm` (run, report, search, host, keygen,
// geoserver) for a Program: the taskfarm binary, or a program built on the library.

#include "cli/program.h"

namespace taskfarm {

/// Parses the command line and runs the chosen subcommand; returns the exit status.
int TaskfarmMain(int argc, char** argv, const Program& program);

}  // namespace taskfarm

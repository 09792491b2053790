#pragma once
// Program: what differs between the taskfarm binary and a program built on the library
// (taskfarm::App): the kinds it knows and how it starts its workers.

#include <filesystem>
#include <string>
#include <vector>

#include "shared/kinds.h"

namespace taskfarm {

struct Program {
  std::string name = "taskfarm";
  KindCatalog kinds;  // the built-in kinds, and the program's own
  /// How a worker is started: taskfarm-worker beside the coordinator, or the program
  /// itself with `--taskfarm-worker` first.
  std::filesystem::path worker_executable;
  std::vector<std::string> worker_leading_args;
};

/// The taskfarm binary: built-in kinds, taskfarm-worker beside it.
Program TaskfarmProgram();

}  // namespace taskfarm

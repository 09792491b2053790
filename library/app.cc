#include "taskfarm/app.h"

#include <cstring>
#include <stdexcept>

#include "cli/taskfarm_main.h"
#include "coordinator/worker_process.h"
#include "shared/kinds.h"
#include "worker/worker_main.h"

namespace taskfarm {
namespace {

constexpr const char* kWorkerFlag = "--taskfarm-worker";

}  // namespace

App::App(std::string name) : name_(std::move(name)) {}

App& App::AddKind(std::string name, Lane lane, KindHandler handler) {
  if (!IsValidKindName(name)) {
    throw std::invalid_argument("kind '" + name + "': use 1 to 64 letters, digits, '_' or '-'");
  }
  if (IsBuiltinKind(name)) throw std::invalid_argument("kind '" + name + "' is built in");
  for (const Kind& kind : kinds_) {
    if (kind.name == name) throw std::invalid_argument("kind '" + name + "' is added twice");
  }
  if (!handler) throw std::invalid_argument("kind '" + name + "' has no handler");
  kinds_.push_back({std::move(name), lane, std::move(handler)});
  return *this;
}

int App::Run(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kWorkerFlag) == 0) {
    argv[1] = argv[0];  // the worker's own command line follows the flag
    return WorkerMain(argc - 1, argv + 1, [this](HandlerTable& table) {
      for (const Kind& kind : kinds_) {
        table.Register(kind.name, kind.lane, [handler = kind.handler](const wire::Task& task) {
          return handler(TaskInput{task.payload, task.id, task.attempt});
        });
      }
    }, MakeLinkedHeavyKinds);
  }
  Program program;
  program.name = name_;
  for (const Kind& kind : kinds_) program.kinds.Set(kind.name, kind.lane);
  program.worker_executable = SelfExecutable();
  program.worker_leading_args = {kWorkerFlag};
  return TaskfarmMain(argc, argv, program);
}

}  // namespace taskfarm

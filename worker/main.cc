// taskfarm-worker: one process of the pool. The coordinator starts it; users do not.

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "shared/logging.h"
#include "worker/parent_watch.h"
#include "worker/worker_loop.h"

int main(int argc, char** argv) {
  CLI::App app{"taskfarm-worker: a worker process started by `taskfarm run`; not for direct use"};
  taskfarm::WorkerConfig config;
  pid_t parent = 0;
  taskfarm::CoordinatorLeftovers leftovers;
  std::string run_directory;
  app.add_option("--id", config.worker_id, "worker id")->required();
  app.add_option("--tasks", config.task_endpoint, "ZeroMQ endpoint to pull tasks from")
      ->required();
  app.add_option("--sink", config.sink_endpoint, "ZeroMQ endpoint to push results to")
      ->required();
  app.add_option("--parent", parent, "the coordinator's PID; exit when it is gone")->required();
  app.add_option("--run-dir", run_directory, "the coordinator's run directory, removed if it dies");
  app.add_option("--shm", leftovers.shm_segment, "the run's rate-limiter shared memory segment");
  taskfarm::LogSettings logging;
  app.add_option("--log-level", logging.level, "trace, debug, info, warn, error or off");
  app.add_option("--log-file", logging.file, "append log lines to FILE instead of stderr");
  CLI11_PARSE(app, argc, argv);

  // The coordinator alone decides when work stops; a terminal's Ctrl-C goes to it.
  std::signal(SIGINT, SIG_IGN);
  try {
    taskfarm::SetUpLogging("worker " + std::to_string(config.worker_id), logging);
  } catch (const std::exception& e) {
    taskfarm::SetUpLogging("worker " + std::to_string(config.worker_id), {});
    spdlog::warn("{}", e.what());
  }
  leftovers.run_directory = run_directory;
  taskfarm::WatchParent(parent, leftovers);
  try {
    taskfarm::WorkerResources resources;
    if (!leftovers.shm_segment.empty()) {
      resources.rate_limiter = taskfarm::RateLimiter::Open(leftovers.shm_segment);
    }
    return taskfarm::RunWorkerLoop(config, taskfarm::MakeHandlerTable(resources));
  } catch (const std::exception& e) {
    spdlog::error("fatal: {}", e.what());
    return 1;
  }
}

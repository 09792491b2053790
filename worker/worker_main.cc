#include "worker/worker_main.h"

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "shared/defaults.h"
#include "shared/geocode_messages.h"
#include "shared/logging.h"
#include "worker/parent_watch.h"
#include "worker/worker_loop.h"

namespace taskfarm {

int WorkerMain(int argc, char** argv, const AddKinds& add_kinds, MakeHeavyKinds linked_heavy_kinds) {
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
  app.add_option("--io-concurrency", config.network.concurrency, "network requests in flight");
  app.add_option("--user-agent", config.network.user_agent, "User-Agent of HTTP requests");
  app.add_option("--retries", config.network.retries, "retries of transient failures");
  double http_timeout_s = taskfarm::defaults::Seconds(config.network.request_timeout);
  app.add_option("--http-timeout", http_timeout_s, "seconds one HTTP request may take");
  double zero_retry_after_s = taskfarm::defaults::Seconds(config.network.zero_retry_after_pause);
  app.add_option("--zero-retry-after-pause", zero_retry_after_s,
                 "seconds a 429 with Retry-After: 0 pauses the provider");
  std::string exec_lane = "cpu";
  app.add_option("--exec-lane", exec_lane, "the lane exec tasks run in: cpu or io");
  std::string gazetteer_dir;
  app.add_option("--gazetteer", gazetteer_dir, "the offline gazetteer's data directory");
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
    resources.worker_id = config.worker_id;
    resources.linked_heavy_kinds = linked_heavy_kinds;
    resources.exec_lane = ParseLaneName(exec_lane).value_or(Lane::kCpu);
    if (!leftovers.shm_segment.empty()) {
      resources.rate_limiter = taskfarm::RateLimiter::Open(leftovers.shm_segment);
    }
    resources.gazetteer_dir = gazetteer_dir;
    config.network.request_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(http_timeout_s * 1000));
    config.network.zero_retry_after_pause =
        std::chrono::milliseconds(static_cast<int64_t>(zero_retry_after_s * 1000));
    if (const char* key = std::getenv(std::string(kGoogleKeyVariable).c_str())) config.network.google_key = key;
    taskfarm::HandlerTable handlers = taskfarm::MakeHandlerTable(resources);
    if (add_kinds) add_kinds(handlers);
    return taskfarm::RunWorkerLoop(config, handlers, resources);
  } catch (const std::exception& e) {
    spdlog::error("fatal: {}", e.what());
    return 1;
  }
}

}  // namespace taskfarm

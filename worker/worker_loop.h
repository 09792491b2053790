#pragma once
// WorkerLoop: one worker process's life, as in the ZeroMQ Guide's taskwork: connect, say
// Hello, then receive a task, report Started, run it, send the Result; until Stop.

#include <cstdint>
#include <string>

#include "shared/clock.h"
#include "worker/handler_table.h"
#include "worker/network_lane_config.h"

namespace taskfarm {

struct WorkerConfig {
  uint32_t worker_id = 0;
  std::string task_endpoint;  // this worker's own PULL endpoint
  std::string sink_endpoint;  // the coordinator's shared sink
  NetworkLaneConfig network;
};

/// Runs until a Stop message arrives; returns the process exit status (0 on a clean stop).
/// Creates its own ZeroMQ context: call it in the worker process, never before a fork.
int RunWorkerLoop(const WorkerConfig& config, const HandlerTable& handlers,
                  WorkerResources& resources);

/// Runs one task through the table, turning every failure into an error result. Measures
/// its wall time (run_ns); the caller accounts CPU time (cpu_ns).
wire::Result RunTask(const wire::Task& task, uint32_t worker_id, const HandlerTable& handlers);
/// The same with the task's binding already looked up (nullptr: none for its kind), saying
/// when the task finished (the clock read that ended its run time).
wire::Result RunTask(const wire::Task& task, uint32_t worker_id, const KindBinding* binding,
                     MonoClock::time_point& finished_at);

}  // namespace taskfarm

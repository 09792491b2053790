#include "worker/worker_loop.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "shared/clock.h"
#include "shared/transport.h"

namespace taskfarm {
namespace {

// Results still queued when the worker stops get this long to reach the coordinator.
constexpr std::chrono::milliseconds kSinkLinger{5000};
constexpr int kTaskQueueHwm = 1000;

}  // namespace

wire::Result RunTask(const wire::Task& task, uint32_t worker_id, const HandlerTable& handlers) {
  wire::Result result;
  result.task_id = task.id;
  result.worker_id = worker_id;
  result.attempt = task.attempt;
  const Handler* handler = handlers.Find(task.kind);
  if (handler == nullptr) {
    result.ok = false;
    result.error = {ErrorCode::kUnknownKind, "no handler for task kind '" + task.kind + "'",
                    false};
    return result;
  }
  const auto wall_start = MonoClock::now();
  const uint64_t cpu_start = ThreadCpuNanos();
  try {
    result.payload = (*handler)(task);
  } catch (const TaskFailure& failure) {
    result.ok = false;
    result.error = failure.error();
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = {ErrorCode::kHandlerFailed, e.what(), false};
  } catch (...) {
    result.ok = false;
    result.error = {ErrorCode::kHandlerFailed, "handler threw a non-standard exception", false};
  }
  result.run_ns = ToNanos(MonoClock::now() - wall_start);
  result.cpu_ns = ThreadCpuNanos() - cpu_start;
  return result;
}

int RunWorkerLoop(const WorkerConfig& config, const HandlerTable& handlers) {
  zmq::context_t context(1);
  zmq::socket_t tasks = MakeSocket(context, zmq::socket_type::pull, {kTaskQueueHwm, {}});
  zmq::socket_t sink = MakeSocket(context, zmq::socket_type::push, {10000, kSinkLinger});
  tasks.connect(config.task_endpoint);
  sink.connect(config.sink_endpoint);

  msgpack::sbuffer scratch;
  SendMessage(sink, wire::Hello{config.worker_id, static_cast<int32_t>(getpid())}, scratch, false);

  uint64_t tasks_done = 0;
  for (;;) {
    Received received;
    try {
      received = ReceiveMessage(tasks, false);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    if (!received.message) {
      if (!received.nothing) spdlog::warn("worker {}: dropped a message: {}", config.worker_id,
                                          received.error);
      continue;
    }
    if (std::holds_alternative<wire::Stop>(*received.message)) break;
    auto* task = std::get_if<wire::Task>(&*received.message);
    if (task == nullptr) {
      spdlog::warn("worker {}: ignored a message that is not a task", config.worker_id);
      continue;
    }
    SendMessage(sink, wire::Started{task->id, config.worker_id}, scratch, false);
    SendMessage(sink, RunTask(*task, config.worker_id, handlers), scratch, false);
    ++tasks_done;
  }
  SendMessage(sink, wire::Bye{config.worker_id, tasks_done}, scratch, false);
  return 0;
}

}  // namespace taskfarm

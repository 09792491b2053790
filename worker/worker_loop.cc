#include "worker/worker_loop.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "shared/clock.h"
#include "worker/child_command.h"
#include "shared/transport.h"
#include "worker/io_lane.h"
#include "worker/outbox.h"
#include "worker/task_queue.h"

namespace taskfarm {
namespace {

// Batches queued for this worker; the coordinator's credit keeps it far below this.
constexpr int kTaskQueueHwm = 1000;
// Results of a batch of short tasks are handed to the outbox together, at least this often.
constexpr std::chrono::microseconds kMaxResultDelay{500};

// A run of tasks that so far took this long flushes the outbox before its last task.
constexpr std::chrono::microseconds kSlowRun{200};

// Reading a thread's CPU clock is a system call that costs more than a no-op task, so it is
// read once per group of tasks and the group's CPU time is shared by their wall times.
void ShareCpuTime(std::vector<wire::Result>& group, uint64_t cpu_ns) {
  if (group.size() == 1) {
    group[0].cpu_ns = cpu_ns;
    return;
  }
  uint64_t wall_ns = 0;
  for (const wire::Result& result : group) wall_ns += result.run_ns;
  for (wire::Result& result : group) {
    result.cpu_ns = wall_ns == 0 ? cpu_ns / group.size()
                                 : static_cast<uint64_t>(static_cast<double>(cpu_ns) *
                                                         static_cast<double>(result.run_ns) /
                                                         static_cast<double>(wall_ns));
  }
}

// The result of `task` run here, without its outcome yet.
wire::Result ResultOf(const wire::Task& task, uint32_t worker_id) {
  wire::Result result;
  result.task_id = task.id;
  result.worker_id = worker_id;
  result.attempt = task.attempt;
  return result;
}

wire::Result FailedResult(const wire::Task& task, uint32_t worker_id, TaskError error) {
  wire::Result result = ResultOf(task, worker_id);
  result.ok = false;
  result.error = std::move(error);
  return result;
}

}  // namespace

wire::Result RunTask(const wire::Task& task, uint32_t worker_id, const HandlerTable& handlers) {
  MonoClock::time_point finished_at;
  return RunTask(task, worker_id, handlers.Find(task.kind), finished_at);
}

wire::Result RunTask(const wire::Task& task, uint32_t worker_id, const KindBinding* binding,
                     MonoClock::time_point& finished_at) {
  if (binding == nullptr || !binding->handler) {
    finished_at = MonoClock::now();
    return FailedResult(task, worker_id,
                        {ErrorCode::kUnknownKind, "no handler for task kind '" + task.kind + "'",
                         false});
  }
  wire::Result result = ResultOf(task, worker_id);
  const auto wall_start = MonoClock::now();
  try {
    result.payload = binding->handler(task);
  } catch (const TaskFailure& failure) {
    result.ok = false;
    result.error = failure.error();
    result.payload = failure.payload();
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = {ErrorCode::kHandlerFailed, e.what(), false};
  } catch (...) {
    result.ok = false;
    result.error = {ErrorCode::kHandlerFailed, "handler threw a non-standard exception", false};
  }
  finished_at = MonoClock::now();
  result.run_ns = ToNanos(finished_at - wall_start);
  return result;
}

// A task its lane could not take (the HTTP lane's module could not be loaded): its result
// says why, as a handler's failure would.
void FailUntaken(const wire::Task& task, uint32_t worker_id, const TaskError& error, Outbox& outbox) {
  std::vector<wire::Result> failed{FailedResult(task, worker_id, error)};
  outbox.AddResults({task.id}, failed);
}

// The lanes of network-lane kinds, each started on its first task.
struct NetworkLanes {
  std::function<TaskLane&()> http;  // geocode
  std::function<IoLane&()> io;      // --exec-lane io, a program's I/O kinds
};

// A table lookup per run of tasks of one kind, not per task: a batch is mostly one kind.
template <typename Value>
class LastKindCache {
 public:
  explicit LastKindCache(std::function<Value(const std::string&)> look_up)
      : look_up_(std::move(look_up)) {}
  Value& operator()(const std::string& kind) {
    if (last_ == nullptr || kind != last_kind_) {
      if (values_.size() >= kMaxKinds && !values_.contains(kind)) values_.clear();
      last_ = &values_.try_emplace(kind, look_up_(kind)).first->second;
      last_kind_ = kind;
    }
    return *last_;
  }

 private:
  static constexpr std::size_t kMaxKinds = 256;  // whatever kinds arrive, memory is bounded
  std::function<Value(const std::string&)> look_up_;
  std::unordered_map<std::string, Value> values_;  // nodes: `last_` stays valid
  std::string last_kind_;
  Value* last_ = nullptr;
};

// Hands a network-lane task to its lane, which reports it started when it begins (they run
// side by side, so they never wait behind the CPU lane's queue); false for any other task.
bool SubmitIfNetwork(const wire::Task& task, uint32_t worker_id, const KindBinding* binding,
                     Outbox& outbox, const NetworkLanes& lanes) {
  if (binding == nullptr || binding->lane != Lane::kNetwork) return false;
  if (binding->handler) {
    lanes.io().Submit(task);
    return true;
  }
  try {
    lanes.http().Submit(task);
  } catch (const TaskFailure& failure) {
    FailUntaken(task, worker_id, failure.error(), outbox);
  }
  return true;
}

// Reads the coordinator's messages until Stop (or the context's shutdown): network-lane
// tasks go to their lanes, the others into `queue`, and a ReturnTasks request is answered
// at once from the queue. Closes the queue when done; returns the network tasks it handed on.
uint64_t ReceiveTasks(zmq::socket_t& socket, TaskQueue& queue, uint32_t worker_id,
                      const HandlerTable& handlers, Outbox& outbox, const NetworkLanes& lanes) {
  uint64_t handed_on = 0;
  LastKindCache<const KindBinding*> binding_of(
      [&handlers](const std::string& kind) { return handlers.Find(kind); });
  try {
    for (;;) {
      Received received;
      try {
        received = ReceiveMessage(socket, /*dont_wait=*/false);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        if (e.num() != ETERM) spdlog::error("receiving tasks: {}", e.what());
        break;
      }
      if (!received.message) {
        spdlog::warn("dropped a malformed message: {}", received.error);
        continue;
      }
      if (std::holds_alternative<wire::Stop>(*received.message)) break;
      if (auto* batch = std::get_if<wire::TaskBatch>(&*received.message)) {
        // Network-lane tasks leave the batch; the rest, in order, go to the queue as it is.
        std::vector<wire::Task>& tasks = batch->tasks;
        std::size_t cpu_lane = 0;
        for (std::size_t i = 0; i < tasks.size(); ++i) {
          if (SubmitIfNetwork(tasks[i], worker_id, binding_of(tasks[i].kind), outbox, lanes)) {
            ++handed_on;
            continue;
          }
          if (cpu_lane != i) tasks[cpu_lane] = std::move(tasks[i]);
          ++cpu_lane;
        }
        tasks.resize(cpu_lane);
        queue.Push(std::move(tasks));
      } else if (auto* give_back = std::get_if<wire::ReturnTasks>(&*received.message)) {
        outbox.AddReturned(queue.TakeBack(give_back->count));
      } else {
        spdlog::warn("ignored a message that is neither tasks nor a request about them");
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("receiving tasks: {}", e.what());
  }
  queue.Close();
  return handed_on;
}

// Runs the queue's tasks (the CPU lane's) in order until it is closed and empty; returns
// how many it ran.
uint64_t RunQueuedTasks(TaskQueue& queue, uint32_t worker_id, const HandlerTable& handlers,
                        Outbox& outbox) {
  // Tasks run in groups of at most kMaxResultDelay. The first task of a group is reported
  // started at once (the outbox sends it within its delay even if the task runs for hours);
  // the others start and finish within the group, and their results, sent together, say
  // so: they need no Started note of their own.
  std::vector<wire::Result> group;
  uint64_t tasks_run = 0;
  bool was_idle = true;
  auto run_start = MonoClock::now();  // since the queue was last found empty
  auto group_start = run_start;
  uint64_t group_cpu_start = TaskCpuNanos();
  const auto send_group = [&] {
    const uint64_t cpu_now = TaskCpuNanos();
    ShareCpuTime(group, cpu_now - group_cpu_start);
    outbox.AddResults({}, group);
    group_cpu_start = cpu_now;
    group.clear();
  };
  const auto before_wait = [&] {
    // The coordinator hears of finished work before the worker sleeps. The group may hold
    // results still: the queue can empty without the last task being run here (the tasks
    // behind it were given back).
    if (!group.empty()) send_group();
    outbox.Flush();
    was_idle = true;
  };
  // The longest run of each kind here. A task of a kind that has not finished here yet, or
  // has run longer than kMaxResultDelay, begins only after the results before it are handed
  // over: a task that hangs never holds the results of others hostage (the coordinator
  // would take the last task it heard begin for the one that hangs).
  constexpr uint64_t kNeverFinished = UINT64_MAX;
  struct KindState {
    const KindBinding* binding = nullptr;
    uint64_t longest_run_ns = kNeverFinished;  // not finished here yet
  };
  LastKindCache<KindState> kind_state([&handlers](const std::string& kind) {
    return KindState{handlers.Find(kind)};
  });
  bool last_queued = false;
  while (std::optional<wire::Task> next = queue.Pop(before_wait, last_queued)) {
    const wire::Task& task = *next;
    ++tasks_run;
    const bool first_of_run = was_idle;
    if (was_idle) {
      run_start = group_start = MonoClock::now();
      group_cpu_start = TaskCpuNanos();
      was_idle = false;
    }
    if (last_queued && (first_of_run || MonoClock::now() - run_start >= kSlowRun)) {
      // The last task queued here: what the worker finished goes now, so the coordinator's
      // next tasks arrive while this one runs instead of after it (on 1 ms tasks a round
      // trip every batch cost 13% of one worker's time). A run of tasks that take
      // microseconds (noop) ends too soon for this to matter: it sends its results in one
      // Report at its end.
      if (!group.empty()) send_group();
      outbox.Flush();
    }
    KindState& kind = kind_state(task.kind);
    if (!group.empty() && kind.longest_run_ns > static_cast<uint64_t>(ToNanos(kMaxResultDelay))) {
      send_group();
    }
    if (group.empty()) outbox.AddStarted(task.id);
    MonoClock::time_point now;  // when the task finished: a clock read costs a no-op's time
    wire::Result result = RunTask(task, worker_id, kind.binding, now);
    kind.longest_run_ns = kind.longest_run_ns == kNeverFinished
                              ? result.run_ns
                              : std::max(kind.longest_run_ns, result.run_ns);
    group.push_back(std::move(result));
    if (!last_queued && now - group_start < kMaxResultDelay) continue;
    if (!group.empty()) send_group();
    group_start = now;
  }
  return tasks_run;
}

int RunWorkerLoop(const WorkerConfig& config, const HandlerTable& handlers,
                  WorkerResources& resources) {
  zmq::context_t context(1);
  zmq::socket_t tasks = MakeSocket(context, zmq::socket_type::pull, {kTaskQueueHwm, {}});
  tasks.connect(config.task_endpoint);
  uint64_t tasks_done = 0;
  {
    Outbox outbox(context, config.sink_endpoint, config.worker_id);
    std::unique_ptr<TaskLane> network_lane;  // started on the first geocode task
    NetworkLanes lanes;
    lanes.http = [&]() -> TaskLane& {
      if (!network_lane) {
        network_lane = resources.heavy_kinds().StartHttpLane(
            config.network, config.worker_id, resources.rate_limiter.get(), outbox);
      }
      return *network_lane;
    };
    std::unique_ptr<IoLane> io_lane;  // likewise, on the first I/O-lane task
    lanes.io = [&]() -> IoLane& {
      if (!io_lane) {
        io_lane = std::make_unique<IoLane>(config.network.concurrency, config.worker_id, handlers,
                                           outbox);
      }
      return *io_lane;
    };
    outbox.SendControl(wire::Hello{config.worker_id, static_cast<int32_t>(getpid())});
    spdlog::debug("connected as pid {}", getpid());
    TaskQueue queue;
    uint64_t handed_on = 0;
    std::thread receiver([&] {
      handed_on = ReceiveTasks(tasks, queue, config.worker_id, handlers, outbox, lanes);
    });
    try {
      tasks_done = RunQueuedTasks(queue, config.worker_id, handlers, outbox);
    } catch (...) {
      context.shutdown();  // the receiver's blocking read returns
      receiver.join();
      throw;
    }
    receiver.join();  // it closed the queue on Stop: it has returned
    tasks_done += handed_on;
    network_lane.reset();  // finishes its requests first
    io_lane.reset();
    spdlog::debug("stopping after {} tasks", tasks_done);
    outbox.SendControl(wire::Bye{config.worker_id, tasks_done});
  }  // the outbox sends what is left and closes the sink
  tasks.close();
  return 0;
}

}  // namespace taskfarm

#include "worker/io_lane.h"

#include "shared/clock.h"
#include "worker/child_command.h"
#include "worker/worker_loop.h"

namespace taskfarm {

IoLane::IoLane(unsigned threads, uint32_t worker_id, const HandlerTable& handlers, Outbox& outbox)
    : worker_id_(worker_id), handlers_(handlers), outbox_(outbox) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Serve(); });
}

IoLane::~IoLane() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void IoLane::Submit(wire::Task task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void IoLane::Serve() {
  for (;;) {
    wire::Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    outbox_.AddStarted(task.id);
    const uint64_t cpu_start = TaskCpuNanos();
    std::vector<wire::Result> results{RunTask(task, worker_id_, handlers_)};
    results[0].cpu_ns = TaskCpuNanos() - cpu_start;
    outbox_.AddResults({}, results);
  }
}

}  // namespace taskfarm

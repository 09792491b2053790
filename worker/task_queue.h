#pragma once
// TaskQueue: the tasks a worker has received and not begun, between the thread that reads
// them off the coordinator's socket and the thread that runs them. Because the reader never
// waits for a task to finish, a task not begun can be given back at once (TakeBack) even
// while a long one runs: the coordinator hands it to a worker that would otherwise idle.
// A task once popped is begun and is never given back.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "shared/wire.h"

namespace taskfarm {

/// Thread-safe.
class TaskQueue {
 public:
  void Push(std::vector<wire::Task> tasks);
  /// The next task to run, and whether it was the last one queued. When none is queued it
  /// calls `before_wait` (once) and waits; nullopt once the queue is closed and empty.
  std::optional<wire::Task> Pop(const std::function<void()>& before_wait, bool& was_last);
  /// Removes up to `count` tasks, the last received first, and returns their ids.
  std::vector<uint64_t> TakeBack(std::size_t count);
  /// No task will come any more: Pop returns nullopt once the queue is empty.
  void Close();

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<wire::Task> tasks_;  // guarded by mutex_
  bool closed_ = false;           // guarded by mutex_
};

}  // namespace taskfarm

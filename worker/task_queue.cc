#include "worker/task_queue.h"

#include <iterator>

namespace taskfarm {

void TaskQueue::Push(std::vector<wire::Task> tasks) {
  {
    std::lock_guard lock(mutex_);
    tasks_.insert(tasks_.end(), std::make_move_iterator(tasks.begin()),
                  std::make_move_iterator(tasks.end()));
  }
  arrived_.notify_one();
}

std::optional<wire::Task> TaskQueue::Pop(const std::function<void()>& before_wait,
                                         bool& was_last) {
  std::unique_lock lock(mutex_);
  if (tasks_.empty() && !closed_) {
    lock.unlock();
    before_wait();  // outside the lock: it may take a while (the outbox's own lock)
    lock.lock();
    arrived_.wait(lock, [this] { return !tasks_.empty() || closed_; });
  }
  if (tasks_.empty()) return std::nullopt;
  wire::Task task = std::move(tasks_.front());
  tasks_.pop_front();
  was_last = tasks_.empty();
  return task;
}

std::vector<uint64_t> TaskQueue::TakeBack(std::size_t count) {
  std::vector<uint64_t> ids;
  std::lock_guard lock(mutex_);
  while (ids.size() < count && !tasks_.empty()) {
    ids.push_back(tasks_.back().id);
    tasks_.pop_back();
  }
  return ids;
}

void TaskQueue::Close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  arrived_.notify_all();
}

}  // namespace taskfarm

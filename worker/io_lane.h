#pragma once
// IoLane: runs network-lane tasks of kinds other than geocode (exec with --exec-lane io, a
// program's own I/O kinds) on a fixed set of threads, so up to `threads` of them wait on
// the network, a rate-limit token or a child process at once without holding the CPU lane.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "shared/wire.h"
#include "worker/handler_table.h"
#include "worker/outbox.h"

namespace taskfarm {

/// Submit() is thread-safe. Destroying the lane finishes every submitted task first.
class IoLane {
 public:
  IoLane(unsigned threads, uint32_t worker_id, const HandlerTable& handlers, Outbox& outbox);
  ~IoLane();
  IoLane(const IoLane&) = delete;
  IoLane& operator=(const IoLane&) = delete;

  void Submit(wire::Task task);

 private:
  void Serve();

  const uint32_t worker_id_;
  const HandlerTable& handlers_;
  Outbox& outbox_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<wire::Task> queue_;  // guarded by mutex_
  bool closing_ = false;          // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace taskfarm

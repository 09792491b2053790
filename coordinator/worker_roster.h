#pragma once
// WorkerRoster: what a pool of workers needs of the Farm that dispatches to them. The local
// pool is the Farm's own; a HostPool adds and loses remote workers through this.

#include <cstdint>
#include <memory>

#include "coordinator/worker_link.h"
#include "shared/wire.h"

namespace taskfarm {

class WorkerRoster {
 public:
  virtual ~WorkerRoster() = default;

  /// A fresh worker id, unique in the run.
  virtual uint32_t NewWorkerId() = 0;
  /// A worker that has been started (it becomes ready with its Hello).
  virtual void AddWorker(uint32_t id, std::unique_ptr<WorkerLink> link) = 0;
  /// Some links now report an exit: re-send what those workers held and replace them.
  virtual void CollectExitedWorkers() = 0;
  /// A message from a worker (Report, Hello or Bye), as if it came on the sink.
  virtual void Deliver(wire::Message& message) = 0;
  /// True once the run is ending: no host joins and no worker is replaced.
  virtual bool Ending() const = 0;
};

}  // namespace taskfarm

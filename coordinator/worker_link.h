#pragma once
// WorkerLink: how the Farm reaches one worker, wherever it runs. A local worker is a process
// of ours with its own PUSH socket (LocalWorker); a remote one runs under a host agent and is
// reached through that host's connection (RemoteWorker, in host_pool.h). The Farm holds one
// link per worker and never asks which kind it is.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "shared/wire.h"

namespace taskfarm {

class WorkerLink {
 public:
  virtual ~WorkerLink() = default;

  /// Sends without blocking; false when it cannot be sent now (the worker has not connected
  /// yet, its queue is full, or its host is gone).
  virtual bool Send(const wire::Message& message) = 0;
  /// Delivers a signal to the worker process (through its host for a remote one).
  virtual void Signal(int signal_number) = 0;
  /// The worker's Hello came from `pid`: true if that is this worker (and it is noted).
  virtual bool AcceptHello(pid_t pid) = 0;
  /// Its process id (a remote worker's from its Hello: 0 before).
  virtual pid_t pid() const = 0;
  /// True once it has exited; never blocks.
  virtual bool HasExited() = 0;
  /// How it ended, e.g. "exit status 1" or "its host was lost (...)"; empty while running.
  virtual std::string ExitDescription() const = 0;
  /// The host it runs on: 0 for this machine.
  virtual uint32_t host() const = 0;
  /// Its resident memory, when this machine can see it.
  virtual std::optional<uint64_t> ResidentBytes() const = 0;
  /// How long a task takes to reach it and its result to come back, beyond running: zero for
  /// a worker on this machine, the measured round trip for a remote one.
  virtual std::chrono::nanoseconds RoundTrip() const { return std::chrono::nanoseconds(0); }
  /// Whether it went with its whole host (then no task it ran is to blame).
  virtual bool LostWithItsHost() const { return false; }
  /// Appends what to poll for it: readable once it exited and, with `want_space`, writable
  /// once a refused send would go through. A link that cannot be polled adds nothing (its
  /// exits and space are learnt elsewhere). Returns how many items it added.
  virtual std::size_t AddPollItems(std::vector<zmq::pollitem_t>& items, bool want_space) = 0;
};

}  // namespace taskfarm

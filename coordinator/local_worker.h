#pragma once
// LocalWorker: a taskfarm-worker process on this machine and the PUSH socket its tasks go
// down, bound at "w<id>" in the run directory. The coordinator's own pool and every host
// agent start their workers this way.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "coordinator/run_directory.h"
#include "coordinator/worker_link.h"
#include "coordinator/worker_process.h"

namespace taskfarm {

/// How to start a worker: its executable, what comes before its own arguments (a program
/// built on the library runs itself as its worker: `--taskfarm-worker`), and what follows
/// them (logging, network settings, --shm).
struct WorkerLaunch {
  std::filesystem::path executable;
  std::vector<std::string> leading_args;
  std::vector<std::string> extra_args;
};

class LocalWorker final : public WorkerLink {
 public:
  /// Binds the socket, then starts the process; throws std::runtime_error when either fails.
  LocalWorker(zmq::context_t& context, const RunDirectory& run_directory, uint32_t id,
              const WorkerLaunch& launch);

  bool Send(const wire::Message& message) override;
  void Signal(int signal_number) override;
  bool AcceptHello(pid_t pid) override { return pid == process_.pid(); }
  pid_t pid() const override { return process_.pid(); }
  bool HasExited() override { return process_.Reap(); }
  std::string ExitDescription() const override { return process_.ExitDescription(); }
  uint32_t host() const override { return 0; }
  std::optional<uint64_t> ResidentBytes() const override;
  std::size_t AddPollItems(std::vector<zmq::pollitem_t>& items, bool want_space) override;

  /// The socket, for callers that send raw frames (a host agent relays them unread).
  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
  WorkerProcess process_;  // after the socket: the worker connects to a bound endpoint
  msgpack::sbuffer scratch_;
};

/// How long workers asked to stop get before they are killed.
inline constexpr std::chrono::milliseconds kWorkerStopTimeout{3000};

/// Waits up to `limit` for the workers in `workers` (a map; `link_of(value)` gives a value's
/// WorkerLink) to exit, erasing each one that has, and calls `drain` whenever `sink` has
/// messages (their last results and Byes) or one exits. Those still in `workers` afterwards
/// did not exit in time.
template <typename WorkerMap, typename LinkOf, typename Drain>
void AwaitExits(WorkerMap& workers, LinkOf link_of, zmq::socket_t& sink, Drain drain,
                std::chrono::milliseconds limit = kWorkerStopTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!workers.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<zmq::pollitem_t> items{{sink.handle(), 0, ZMQ_POLLIN, 0}};
    for (auto& entry : workers) link_of(entry.second).AddPollItems(items, /*want_space=*/false);
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    drain();
    for (auto it = workers.begin(); it != workers.end();) {
      it = link_of(it->second).HasExited() ? workers.erase(it) : std::next(it);
    }
  }
}

}  // namespace taskfarm

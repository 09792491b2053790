#pragma once
// HostPool: the remote half of the worker pool. It owns the listener for host agents
// (RemoteHosts), welcomes each host with worker ids and its share of the rate limits, turns
// the workers a host starts into WorkerLinks for the Farm, and when a host leaves or falls
// silent, reports its workers lost (their tasks go to the others) and divides the rates again.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "coordinator/remote_hosts.h"
#include "coordinator/summary.h"
#include "coordinator/worker_roster.h"
#include "shared/rate_limiter.h"
#include "shared/rate_spec.h"

namespace taskfarm {

struct HostPoolConfig {
  ListenConfig listen;
  /// Workers of the local pool: they weigh in the division of the rates.
  uint32_t local_workers = 0;
  /// Arguments every worker gets (logging, network settings).
  std::vector<std::string> worker_args;
  /// The global rate limits (bursts applied), and the local pool's buckets to give its share.
  std::vector<RateSpec> rate_specs;
  RateLimiter* local_limiter = nullptr;
};

/// Not thread-safe; lives in the Farm's loop. Must outlive the links it handed out.
class HostPool {
 public:
  /// Binds the listener; throws std::runtime_error with a clear message.
  HostPool(zmq::context_t& context, HostPoolConfig config, WorkerRoster& roster,
           RunSummary& summary);

  const std::string& endpoint() const { return hosts_.endpoint(); }

  /// Appends the listener's sockets to `items`; returns how many.
  std::size_t AddPollItems(std::vector<zmq::pollitem_t>& items);
  /// Handles everything waiting from hosts: joins, reports, worker exits, goodbyes.
  void Drain();
  /// Heartbeats; a host silent for longer than the timeout is lost.
  void Tick(MonoClock::time_point now);
  /// True while --wait-hosts holds tasks back: too few hosts joined and time left.
  bool Waiting(MonoClock::duration since_start) const;
  /// Asks `host` to start a worker in place of one that left; false if the host is gone.
  bool StartWorker(uint32_t host);
  /// "local" for 0, else the host's "hostname:pid" (also for a host that is gone).
  std::string HostName(uint32_t host) const;
  /// The measured round trip to `host` (zero before its first echo, or once it is gone).
  std::chrono::nanoseconds RoundTrip(uint32_t host) const;
  /// Tells every host to stop its workers and leave.
  void ReleaseAll(const std::string& reason);

  // For the links: a remote worker is reached, and learns of its exit, through the pool.
  bool SendToWorker(uint32_t host, uint32_t worker, const wire::Message& message);
  std::optional<std::string> ExitOf(uint32_t host, uint32_t worker) const;
  /// Whether `host` was lost (killed, cut off, or it left) with all its workers.
  bool HostLost(uint32_t host) const;
  void Forget(uint32_t host, uint32_t worker);

 private:
  void HostJoined(RemoteHost& host);
  void HostMessage(RemoteHost& host, wire::Message& message);
  void LoseHost(const RemoteHost& host, const std::string& why);
  void AddRemoteWorker(uint32_t host, uint32_t id);
  /// Applies the local share and sends every host its share, but host `except` (0: none).
  void DivideRates(uint32_t except = 0);
  /// Workers on every host, the local pool included.
  uint32_t RateWeight() const;
  /// The weight before a host in the order strict rates are shared out in (rate_shares.h):
  /// the local workers, then the hosts by id.
  uint32_t RateWeightBefore(uint32_t host_id) const;

  HostPoolConfig config_;
  WorkerRoster& roster_;
  RunSummary& summary_;
  RemoteHosts hosts_;
  std::map<uint32_t, std::string> host_names_;  // every host that joined, even if gone
  std::map<uint32_t, std::string> lost_hosts_;  // host -> why its workers are gone
  std::map<std::pair<uint32_t, uint32_t>, std::string> exits_;  // (host, worker) -> how
  uint32_t remote_workers_ = 0;
};

}  // namespace taskfarm

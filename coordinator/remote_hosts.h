#pragma once
// RemoteHosts: the coordinator's side of remote host agents (`taskfarm host`). One ROUTER
// socket bound on TCP, CurveZMQ-encrypted and authenticated by a ZapHandler (or plain with
// --insecure); it keeps track of which hosts have joined and when each was last heard from,
// sends heartbeats, and moves messages between the Farm and the hosts' workers. The Farm
// decides what the messages mean (RemoteHosts does not know tasks or workers).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "coordinator/ledger.h"
#include "coordinator/zap_handler.h"
#include "shared/defaults.h"
#include "shared/wire.h"

namespace taskfarm {

struct ListenConfig {
  std::string endpoint;             // tcp://ADDR:PORT; port 0 picks a free one
  std::filesystem::path keys_dir;   // empty with `insecure`
  bool insecure = false;            // plain TCP: no encryption, anyone may join
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds timeout = defaults::kHeartbeatTimeout;  // silence: the host is dropped
  uint32_t max_host_workers = defaults::kMaxHostWorkers;  // a host asking for more gets this
  uint32_t wait_for_hosts = 0;      // hold tasks back until this many hosts joined...
  std::chrono::milliseconds wait_limit = defaults::kWaitHostsTimeout;  // ...or this long passed
};

struct RemoteHost {
  uint32_t id = 0;
  std::string name;      // "hostname:pid"
  std::string identity;  // ZeroMQ routing id
  uint32_t workers = 0;  // as the host asked
  MonoClock::time_point last_heard{};
  /// The smoothed round trip to it and back through the run's queues, as TCP's SRTT (from
  /// heartbeats it echoes); zero until the first echo.
  std::chrono::nanoseconds round_trip{0};
};

/// Not thread-safe; lives in the Farm's loop.
class RemoteHosts {
 public:
  /// Binds; throws std::runtime_error with a clear message (bad keys, address in use).
  RemoteHosts(zmq::context_t& context, const ListenConfig& config);

  /// The endpoint bound (with the port chosen when 0 was asked).
  const std::string& endpoint() const { return endpoint_; }
  const ListenConfig& config() const { return config_; }

  /// Appends the sockets to poll (router, ZAP handler) to `items`.
  void AddPollItems(std::vector<zmq::pollitem_t>& items);

  /// What arrived from hosts: a new host's HostHello (`joined`), or any other message from a
  /// known host (`message`). Messages from unknown identities are answered with Stop.
  struct Handlers {
    std::function<void(RemoteHost& host)> joined;
    std::function<void(RemoteHost& host, wire::Message& message)> message;
  };
  /// Reads everything waiting on the sockets.
  void Drain(const Handlers& handlers);

  /// Sends `message` to worker `worker_id` on `host_id` (0: to the agent). Returns false when
  /// it cannot be sent now (the host's queue is full, or the host is gone).
  bool Send(uint32_t host_id, uint32_t worker_id, const wire::Message& message);

  /// Heartbeats to every host when due; returns the hosts silent for longer than the timeout
  /// (forgotten here: the caller treats their workers as lost).
  std::vector<RemoteHost> Tick(MonoClock::time_point now);

  /// Asks `host_id` to echo a heartbeat now (a round trip measured at once, not in a second).
  void Probe(uint32_t host_id);

  /// Forgets a host (it said goodbye, or the run is over); sends it Stop first.
  void Release(uint32_t host_id, const std::string& reason);

  const std::map<uint32_t, RemoteHost>& hosts() const { return hosts_; }
  uint64_t refused() const { return zap_ ? zap_->refused() : 0; }

 private:
  void HandleFrame(const std::string& identity, const zmq::message_t& payload,
                   const Handlers& handlers);
  RemoteHost* FindByIdentity(const std::string& identity);
  void NoteRoundTrip(RemoteHost& host, uint64_t echo_ns);
  bool SendTo(const std::string& identity, uint32_t worker_id, const wire::Message& message);

  ListenConfig config_;
  std::unique_ptr<ZapHandler> zap_;  // bound before the router
  zmq::socket_t router_;
  std::string endpoint_;
  std::map<uint32_t, RemoteHost> hosts_;
  std::map<std::string, uint32_t> by_identity_;
  uint32_t next_host_id_ = 1;
  MonoClock::time_point next_heartbeat_{};
  msgpack::sbuffer scratch_;
};

}  // namespace taskfarm

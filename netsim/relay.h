#pragma once
// Relay: a TCP relay that gives every connection through it the shape of a real link
// (latency, jitter, loss; see DelayedStream), for measuring the farm over links this
// machine does not have (its kernel has no netem qdisc). It accepts on one address and
// connects each client to one target; it knows each connection by its client's address, so
// one client (one host in a network namespace of its own) can be partitioned or cut while
// the others carry on.
//
// Commands arrive as datagrams on a Unix socket (--control PATH), one per datagram:
//   stall ADDRESS    hold that client's bytes, both ways, until resumed (a partition)
//   resume ADDRESS   deliver what was held and carry on
//   cut ADDRESS      close its connections and refuse new ones until resumed
// ADDRESS "all" means every client. Single-threaded; Run() returns on SIGTERM or SIGINT.

#include <time.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "netsim/delayed_stream.h"

namespace taskfarm::netsim {

struct RelayConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;  // 0: any free port (printed on stdout)
  std::string target_host = "127.0.0.1";
  uint16_t target_port = 0;
  LinkShape shape;
  std::filesystem::path control;  // empty: no commands
  uint64_t seed = 1;
};

class Relay {
 public:
  /// Binds the listener and the control socket; throws std::runtime_error naming what failed.
  explicit Relay(RelayConfig config);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  uint16_t port() const { return port_; }
  /// Relays until `stop` becomes true (checked at least every 100 ms).
  void Run(const volatile int& stop);

 private:
  struct Link {
    std::string client;  // the client's address
    int client_fd = -1;
    int target_fd = -1;
    std::unique_ptr<DelayedStream> up;    // client -> target
    std::unique_ptr<DelayedStream> down;  // target -> client
    uint32_t client_events = 0;
    uint32_t target_events = 0;
    Clock::time_point retry_at{};  // while the target has not been reached
  };

  void Accept();
  /// Connects `link` to the target; false (and a retry time set) when it is not listening.
  bool ConnectTarget(Link& link);
  void HandleCommand();
  void Close(int link_id);
  /// Moves due bytes, reads what waits, and sets each socket's poll interest.
  bool Service(int id, Link& link, Clock::time_point now);
  void Watch(int fd, uint32_t& current, uint32_t wanted, uint64_t tag);
  timespec PollTimeout(Clock::time_point now) const;
  bool Stalled(const std::string& client) const;

  RelayConfig config_;
  std::mt19937_64 random_;
  int epoll_ = -1;
  int listener_ = -1;
  int control_ = -1;
  uint16_t port_ = 0;
  int next_link_id_ = 1;
  std::map<int, Link> links_;
  std::set<std::string> stalled_;
  std::set<std::string> cut_;
};

}  // namespace taskfarm::netsim

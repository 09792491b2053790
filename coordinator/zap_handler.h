#pragma once
// ZapHandler: the coordinator's ZeroMQ authentication handler (ZAP, RFC 27). Every CURVE
// handshake on the coordinator's TCP socket asks it whether the client's public key may
// connect; it says yes only to the keys in authorized_keys. Without a handler libzmq would
// let any key in, so it is bound before the listening socket.

#include <set>
#include <string>

#include <zmq.hpp>

namespace taskfarm {

/// Lives in the coordinator's loop: poll socket() for POLLIN and call HandleRequests().
/// Not thread-safe.
class ZapHandler {
 public:
  ZapHandler(zmq::context_t& context, std::set<std::string> authorized_keys);

  zmq::socket_t& socket() { return socket_; }
  /// Answers every request waiting; logs each refusal with the key and the address.
  void HandleRequests();
  uint64_t refused() const { return refused_; }

 private:
  zmq::socket_t socket_;
  std::set<std::string> authorized_keys_;  // Z85
  uint64_t refused_ = 0;
};

}  // namespace taskfarm

// The cost of CurveZMQ per message: DEALER -> ROUTER over TCP on 127.0.0.1, the socket pair
// remote hosts use, with and without CURVE, for a few message sizes (a small control
// message, a batch of noop tasks, a batch of results with text). Prints one line per size:
// microseconds per message both ways and the difference, the encryption's cost.
// Usage: curve_cost [MESSAGES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "shared/curve_keys.h"

namespace {

struct Pair {
  zmq::socket_t router;
  zmq::socket_t dealer;
};

Pair Connect(zmq::context_t& context, bool curve) {
  Pair pair{zmq::socket_t(context, zmq::socket_type::router),
            zmq::socket_t(context, zmq::socket_type::dealer)};
  for (auto* socket : {&pair.router, &pair.dealer}) {
    socket->set(zmq::sockopt::linger, 0);
    socket->set(zmq::sockopt::sndhwm, 100000);
    socket->set(zmq::sockopt::rcvhwm, 100000);
  }
  if (curve) {
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
    zmq_curve_keypair(server_public, server_secret);
    zmq_curve_keypair(client_public, client_secret);
    taskfarm::MakeCurveServer(pair.router, {server_public, server_secret});
    taskfarm::MakeCurveClient(pair.dealer, {client_public, client_secret}, server_public);
  }
  pair.router.bind("tcp://127.0.0.1:*");
  pair.dealer.connect(pair.router.get(zmq::sockopt::last_endpoint));
  return pair;
}

// Microseconds per message for `count` messages of `size` bytes, dealer to router.
double MicrosPerMessage(bool curve, std::size_t size, int count) {
  zmq::context_t context(1);
  Pair pair = Connect(context, curve);
  const std::string payload(size, 'x');
  // One round trip first: the handshake is not part of the per-message cost.
  pair.dealer.send(zmq::buffer(payload), zmq::send_flags::none);
  zmq::message_t identity, body;
  (void)pair.router.recv(identity);
  (void)pair.router.recv(body);
  const auto start = std::chrono::steady_clock::now();
  std::thread sender([&] {
    for (int i = 0; i < count; ++i) pair.dealer.send(zmq::buffer(payload), zmq::send_flags::none);
  });
  for (int i = 0; i < count; ++i) {
    (void)pair.router.recv(identity);
    (void)pair.router.recv(body);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  sender.join();
  return std::chrono::duration<double, std::micro>(elapsed).count() / count;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? static_cast<int>(std::strtol(argv[1], nullptr, 10)) : 20000;
  std::printf("%-10s %12s %12s %14s\n", "bytes", "plain us/msg", "CURVE us/msg",
              "encryption us");
  for (const std::size_t size : {64, 16 * 1024, 256 * 1024}) {
    const int n = size > 100000 ? count / 20 : count;
    double plain = 1e9, curve = 1e9;
    for (int round = 0; round < 3; ++round) {  // best of three, interleaved
      plain = std::min(plain, MicrosPerMessage(false, size, n));
      curve = std::min(curve, MicrosPerMessage(true, size, n));
    }
    std::printf("%-10zu %12.2f %12.2f %14.2f\n", size, plain, curve, curve - plain);
  }
  return 0;
}

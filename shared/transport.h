#pragma once
// Transport: ZeroMQ sockets set up the one way taskfarm needs them, and message send/receive
// in the wire format.
//
// Every socket gets a bounded LINGER (closing never hangs an exit), a high-water mark (every
// queue is bounded) and, for receiving sockets, ZMQ_MAXMSGSIZE (a peer cannot make us
// allocate without bound). Not thread-safe: a socket belongs to the thread that made it.

#include <chrono>
#include <optional>
#include <string>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "shared/wire.h"

namespace taskfarm {

struct SocketOptions {
  int high_water_mark = 10000;
  std::chrono::milliseconds linger{0};
};

/// A socket with LINGER, both HWMs and ZMQ_MAXMSGSIZE set from `options`.
zmq::socket_t MakeSocket(zmq::context_t& context, zmq::socket_type type,
                         const SocketOptions& options);

/// Sends one message. With `dont_wait`, returns false instead of blocking when the socket
/// cannot take it now (no peer yet, or the peer's queue is full).
bool SendMessage(zmq::socket_t& socket, const wire::Message& message, msgpack::sbuffer& scratch,
                 bool dont_wait);

/// What came off a socket: a message, a malformed one (error set), or nothing waiting.
struct Received {
  std::optional<wire::Message> message;
  std::string error;
  bool nothing = false;
};

/// Decodes one frame already received (a relayed message, a multipart message's body).
Received DecodeFrame(const zmq::message_t& frame);

/// Receives one message; with `dont_wait`, returns {nothing=true} when none is waiting.
Received ReceiveMessage(zmq::socket_t& socket, bool dont_wait);

}  // namespace taskfarm

#include "shared/transport.h"

namespace taskfarm {

zmq::socket_t MakeSocket(zmq::context_t& context, zmq::socket_type type,
                         const SocketOptions& options) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
  socket.set(zmq::sockopt::sndhwm, options.high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, options.high_water_mark);
  socket.set(zmq::sockopt::maxmsgsize, wire::kMaxMessageBytes);
  return socket;
}

bool SendMessage(zmq::socket_t& socket, const wire::Message& message, msgpack::sbuffer& scratch,
                 bool dont_wait) {
  wire::Encode(message, scratch);
  const auto flags = dont_wait ? zmq::send_flags::dontwait : zmq::send_flags::none;
  return socket.send(zmq::const_buffer(scratch.data(), scratch.size()), flags).has_value();
}

Received DecodeFrame(const zmq::message_t& frame) {
  wire::Decoded decoded =
      wire::Decode(std::span<const char>(static_cast<const char*>(frame.data()), frame.size()));
  return {std::move(decoded.message), std::move(decoded.error), false};
}

Received ReceiveMessage(zmq::socket_t& socket, bool dont_wait) {
  zmq::message_t frame;
  const auto flags = dont_wait ? zmq::recv_flags::dontwait : zmq::recv_flags::none;
  if (!socket.recv(frame, flags)) return {std::nullopt, {}, true};
  return DecodeFrame(frame);
}

}  // namespace taskfarm

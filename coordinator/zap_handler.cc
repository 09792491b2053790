#include "coordinator/zap_handler.h"

#include <vector>

#include <spdlog/spdlog.h>

#include "shared/curve_keys.h"

namespace taskfarm {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";  // fixed by RFC 27

// The request's frames: version, request id, domain, address, routing id, mechanism,
// credentials (for CURVE: the client's 32-byte public key).
constexpr std::size_t kRequestFrames = 7;

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, std::set<std::string> authorized_keys)
    : socket_(context, zmq::socket_type::rep), authorized_keys_(std::move(authorized_keys)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
}

void ZapHandler::HandleRequests() {
  for (;;) {
    std::vector<zmq::message_t> frames;
    for (bool more = true; more;) {
      zmq::message_t frame;
      if (!socket_.recv(frame, frames.empty() ? zmq::recv_flags::dontwait
                                              : zmq::recv_flags::none)) {
        return;
      }
      more = frame.more();
      frames.push_back(std::move(frame));
    }
    const bool well_formed = frames.size() >= kRequestFrames && frames[0].to_string() == "1.0";
    const std::string mechanism = well_formed ? frames[5].to_string() : "";
    const std::string key = well_formed ? Z85FromBinary(frames[6].to_string()) : "";
    const bool allowed = mechanism == "CURVE" && authorized_keys_.count(key) > 0;
    if (!allowed) {
      ++refused_;
      spdlog::warn("refused a host at {} with key {}: not in authorized_keys",
                   well_formed ? frames[3].to_string() : "?", key.empty() ? "?" : key);
    }
    const std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    socket_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(allowed ? "200" : "400")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(allowed ? "OK" : "key not authorized")),
                 zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(allowed ? key : std::string()), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string()), zmq::send_flags::none);
  }
}

}  // namespace taskfarm

#include "coordinator/remote_hosts.h"

#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "shared/curve_keys.h"
#include "shared/transport.h"

namespace taskfarm {
namespace {

// Far above what credit lets the coordinator queue for one host's workers: never reached
// by a live host, but a bound.
constexpr int kRouterHwm = 64 * 1024;

std::string Frame(const zmq::message_t& message) {
  return {static_cast<const char*>(message.data()), message.size()};
}

}  // namespace

// A bounded linger, so the last Stop reaches each host after the run.
RemoteHosts::RemoteHosts(zmq::context_t& context, const ListenConfig& config)
    : config_(config),
      router_(MakeSocket(context, zmq::socket_type::router,
                         {kRouterHwm, std::chrono::milliseconds(1000)})) {
  router_.set(zmq::sockopt::router_mandatory, 1);  // an unroutable send fails, not vanishes
  if (!config_.insecure) {
    const CurveKeyPair keys = LoadKeyPair(config_.keys_dir);
    zap_ = std::make_unique<ZapHandler>(context,
                                        LoadAuthorizedKeys(config_.keys_dir / "authorized_keys"));
    MakeCurveServer(router_, keys);
  }
  try {
    router_.bind(config_.endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("--listen " + config_.endpoint + ": " + e.what());
  }
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
}

void RemoteHosts::AddPollItems(std::vector<zmq::pollitem_t>& items) {
  items.push_back({router_.handle(), 0, ZMQ_POLLIN, 0});
  if (zap_) items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
}

void RemoteHosts::Drain(const Handlers& handlers) {
  if (zap_) zap_->HandleRequests();
  for (;;) {
    zmq::message_t identity;
    if (!router_.recv(identity, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> parts;
    while (identity.more() || (!parts.empty() && parts.back().more())) {
      zmq::message_t part;
      if (!router_.recv(part, zmq::recv_flags::none)) break;
      parts.push_back(std::move(part));
      if (!parts.back().more()) break;
    }
    if (parts.size() != 1) {
      spdlog::warn("dropped a message of {} frames from a host (expected 1)", parts.size());
      continue;
    }
    HandleFrame(Frame(identity), parts[0], handlers);
  }
}

void RemoteHosts::HandleFrame(const std::string& identity, const zmq::message_t& payload,
                              const Handlers& handlers) {
  Received decoded = DecodeFrame(payload);
  if (!decoded.message) {
    spdlog::warn("dropped a malformed message from a host: {}", decoded.error);
    return;
  }
  if (auto* hello = std::get_if<wire::HostHello>(&*decoded.message)) {
    if (FindByIdentity(identity) != nullptr) return;  // a repeated hello: already joined
    RemoteHost host{next_host_id_++, hello->name + ":" + std::to_string(hello->pid), identity,
                    hello->workers, MonoClock::now()};
    by_identity_[identity] = host.id;
    auto& stored = hosts_.emplace(host.id, std::move(host)).first->second;
    spdlog::info("host {} joined with {} workers", stored.name, stored.workers);
    handlers.joined(stored);
    return;
  }
  RemoteHost* host = FindByIdentity(identity);
  if (host == nullptr) {
    // A host dropped earlier (or one that never said hello): it must stop, not work on.
    SendTo(identity, 0, wire::Stop{"not part of this run"});
    return;
  }
  host->last_heard = MonoClock::now();
  if (auto* beat = std::get_if<wire::Heartbeat>(&*decoded.message)) {
    if (beat->echo_ns != 0) NoteRoundTrip(*host, beat->echo_ns);
    return;
  }
  handlers.message(*host, *decoded.message);
}

void RemoteHosts::NoteRoundTrip(RemoteHost& host, uint64_t echo_ns) {
  const uint64_t now_ns = ToNanos(MonoClock::now().time_since_epoch());
  if (echo_ns > now_ns) return;  // not a time of ours
  const std::chrono::nanoseconds sample(now_ns - echo_ns);
  // TCP's smoothing (RFC 6298): the newest sample weighs an eighth.
  host.round_trip = host.round_trip.count() == 0 ? sample : (host.round_trip * 7 + sample) / 8;
}

void RemoteHosts::Probe(uint32_t host_id) {
  Send(host_id, 0, wire::Heartbeat{host_id, ToNanos(MonoClock::now().time_since_epoch())});
}

bool RemoteHosts::Send(uint32_t host_id, uint32_t worker_id, const wire::Message& message) {
  auto it = hosts_.find(host_id);
  return it != hosts_.end() && SendTo(it->second.identity, worker_id, message);
}

bool RemoteHosts::SendTo(const std::string& identity, uint32_t worker_id,
                         const wire::Message& message) {
  wire::Encode(message, scratch_);
  const uint32_t address = worker_id;  // little-endian on every machine taskfarm runs on
  try {
    if (!router_.send(zmq::buffer(identity),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    router_.send(zmq::const_buffer(&address, sizeof(address)), zmq::send_flags::sndmore);
    router_.send(zmq::const_buffer(scratch_.data(), scratch_.size()), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return false;  // disconnected; its heartbeat will expire
    throw;
  }
  return true;
}

std::vector<RemoteHost> RemoteHosts::Tick(MonoClock::time_point now) {
  std::vector<RemoteHost> silent;
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    if (now - it->second.last_heard > config_.timeout) {
      silent.push_back(it->second);
      by_identity_.erase(it->second.identity);
      it = hosts_.erase(it);
    } else {
      ++it;
    }
  }
  if (now >= next_heartbeat_) {
    next_heartbeat_ = now + config_.heartbeat;
    for (const auto& [id, host] : hosts_) Probe(id);
  }
  return silent;
}

void RemoteHosts::Release(uint32_t host_id, const std::string& reason) {
  Send(host_id, 0, wire::Stop{reason});
  auto it = hosts_.find(host_id);
  if (it == hosts_.end()) return;
  by_identity_.erase(it->second.identity);
  hosts_.erase(it);
}

RemoteHost* RemoteHosts::FindByIdentity(const std::string& identity) {
  auto it = by_identity_.find(identity);
  return it == by_identity_.end() ? nullptr : &hosts_.at(it->second);
}

}  // namespace taskfarm

#include "coordinator/host_pool.h"

#include <signal.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "coordinator/rate_shares.h"
#include "shared/defaults.h"

namespace taskfarm {
namespace {

// A worker on a host agent: reached through the host's connection; its exit is what the host
// reports (or the host's own loss).
class RemoteWorker final : public WorkerLink {
 public:
  RemoteWorker(HostPool& pool, uint32_t host, uint32_t id) : pool_(pool), host_(host), id_(id) {}
  ~RemoteWorker() override { pool_.Forget(host_, id_); }

  bool Send(const wire::Message& message) override {
    return pool_.SendToWorker(host_, id_, message);
  }
  void Signal(int signal_number) override {
    pool_.SendToWorker(host_, 0, wire::KillWorker{id_, signal_number});
  }
  bool AcceptHello(pid_t pid) override {
    pid_ = pid;
    return true;
  }
  pid_t pid() const override { return pid_; }
  bool HasExited() override { return pool_.ExitOf(host_, id_).has_value(); }
  std::string ExitDescription() const override { return pool_.ExitOf(host_, id_).value_or(""); }
  uint32_t host() const override { return host_; }
  std::optional<uint64_t> ResidentBytes() const override { return std::nullopt; }
  std::chrono::nanoseconds RoundTrip() const override { return pool_.RoundTrip(host_); }
  bool LostWithItsHost() const override { return pool_.HostLost(host_); }
  // Its exit comes as a message from its host; a send refused for lack of room is simply
  // tried again on the Farm's next health check.
  std::size_t AddPollItems(std::vector<zmq::pollitem_t>&, bool) override { return 0; }

 private:
  HostPool& pool_;
  uint32_t host_;
  uint32_t id_;
  pid_t pid_ = 0;
};

}  // namespace

HostPool::HostPool(zmq::context_t& context, HostPoolConfig config, WorkerRoster& roster,
                   RunSummary& summary)
    : config_(std::move(config)),
      roster_(roster),
      summary_(summary),
      hosts_(context, config_.listen) {
  summary_.RecordHostJoined("local", config_.local_workers);
}

std::size_t HostPool::AddPollItems(std::vector<zmq::pollitem_t>& items) {
  const std::size_t before = items.size();
  hosts_.AddPollItems(items);
  return items.size() - before;
}

void HostPool::Drain() {
  hosts_.Drain({[this](RemoteHost& host) { HostJoined(host); },
                [this](RemoteHost& host, wire::Message& message) { HostMessage(host, message); }});
}

void HostPool::Tick(MonoClock::time_point now) {
  for (const RemoteHost& silent : hosts_.Tick(now)) {
    LoseHost(silent, fmt::format("no word from it for {} s",
                                 std::chrono::duration<double>(config_.listen.timeout).count()));
  }
}

bool HostPool::Waiting(MonoClock::duration since_start) const {
  return host_names_.size() < config_.listen.wait_for_hosts &&
         since_start < config_.listen.wait_limit;
}

bool HostPool::StartWorker(uint32_t host) {
  if (hosts_.hosts().count(host) == 0) return false;  // the host is gone too
  const uint32_t id = roster_.NewWorkerId();
  AddRemoteWorker(host, id);
  hosts_.Send(host, 0, wire::StartWorker{id});
  return true;
}

std::chrono::nanoseconds HostPool::RoundTrip(uint32_t host) const {
  auto it = hosts_.hosts().find(host);
  return it == hosts_.hosts().end() ? std::chrono::nanoseconds(0) : it->second.round_trip;
}

std::string HostPool::HostName(uint32_t host) const {
  auto it = host_names_.find(host);
  return it == host_names_.end() ? "local" : it->second;
}

void HostPool::ReleaseAll(const std::string& reason) {
  std::vector<uint32_t> host_ids;
  for (const auto& [id, host] : hosts_.hosts()) host_ids.push_back(id);
  for (uint32_t id : host_ids) hosts_.Release(id, reason);
}

bool HostPool::SendToWorker(uint32_t host, uint32_t worker, const wire::Message& message) {
  return hosts_.Send(host, worker, message);
}

std::optional<std::string> HostPool::ExitOf(uint32_t host, uint32_t worker) const {
  if (auto lost = lost_hosts_.find(host); lost != lost_hosts_.end()) return lost->second;
  if (auto exit = exits_.find({host, worker}); exit != exits_.end()) return exit->second;
  return std::nullopt;
}

bool HostPool::HostLost(uint32_t host) const { return lost_hosts_.count(host) != 0; }

void HostPool::Forget(uint32_t host, uint32_t worker) { exits_.erase({host, worker}); }

void HostPool::AddRemoteWorker(uint32_t host, uint32_t id) {
  roster_.AddWorker(id, std::make_unique<RemoteWorker>(*this, host, id));
}

void HostPool::HostJoined(RemoteHost& host) {
  host_names_[host.id] = host.name;
  if (roster_.Ending()) {
    hosts_.Release(host.id, "the run is ending");
    return;
  }
  if (host.workers > config_.listen.max_host_workers) {
    spdlog::warn("host {} asked for {} workers; it gets {} (--max-host-workers)", host.name,
                 host.workers, config_.listen.max_host_workers);
    host.workers = config_.listen.max_host_workers;
  }
  remote_workers_ += host.workers;
  summary_.set_workers(config_.local_workers + remote_workers_);
  summary_.RecordHostJoined(host.name, host.workers);
  // The others' shares shrink before the newcomer draws from its own (which starts empty);
  // its own share comes with the welcome.
  DivideRates(/*except=*/host.id);
  // Before the welcome, which has the host start its workers: the echo is not held up by them.
  hosts_.Probe(host.id);
  wire::HostWelcome welcome;
  welcome.host_id = host.id;
  for (uint32_t i = 0; i < host.workers; ++i) {
    welcome.worker_ids.push_back(roster_.NewWorkerId());
    AddRemoteWorker(host.id, welcome.worker_ids.back());
  }
  welcome.worker_args = config_.worker_args;
  welcome.rates =
      ToWire(ShareOf(config_.rate_specs, RateWeightBefore(host.id), host.workers, RateWeight()));
  welcome.heartbeat_ms = static_cast<uint32_t>(config_.listen.heartbeat.count());
  welcome.timeout_ms = static_cast<uint32_t>(config_.listen.timeout.count());
  hosts_.Send(host.id, 0, welcome);
}

void HostPool::HostMessage(RemoteHost& host, wire::Message& message) {
  if (auto* exited = std::get_if<wire::WorkerExited>(&message)) {
    exits_[{host.id, exited->worker_id}] =
        exited->description.empty() ? "exited" : exited->description;
    roster_.CollectExitedWorkers();
  } else if (auto* stop = std::get_if<wire::Stop>(&message)) {
    const RemoteHost gone = host;  // Release forgets `host`
    hosts_.Release(gone.id, "you left");
    LoseHost(gone, "it left: " + stop->reason);
  } else if (std::holds_alternative<wire::Report>(message) ||
             std::holds_alternative<wire::Hello>(message) ||
             std::holds_alternative<wire::Bye>(message)) {
    roster_.Deliver(message);
  } else {
    spdlog::warn("dropped a message of a type hosts do not send, from {}", host.name);
  }
}

void HostPool::LoseHost(const RemoteHost& host, const std::string& why) {
  summary_.RecordHostLost(host.name);
  spdlog::warn("host {} lost: {}; its tasks go to the other workers", host.name, why);
  lost_hosts_[host.id] = "its host was lost (" + why + ")";
  roster_.CollectExitedWorkers();
  DivideRates();
}

uint32_t HostPool::RateWeightBefore(uint32_t host_id) const {
  uint32_t before = config_.local_workers;
  for (const auto& [id, host] : hosts_.hosts()) {
    if (id == host_id) break;
    before += host.workers;
  }
  return before;
}

uint32_t HostPool::RateWeight() const {
  uint32_t total = config_.local_workers;
  for (const auto& [id, host] : hosts_.hosts()) total += host.workers;
  return total;
}

void HostPool::DivideRates(uint32_t except) {
  if (config_.rate_specs.empty()) return;
  const uint32_t total = RateWeight();
  if (config_.local_limiter != nullptr && config_.local_workers > 0) {
    for (const RateSpec& share : ShareOf(config_.rate_specs, 0, config_.local_workers, total)) {
      if (TokenBucket* bucket = config_.local_limiter->Find(share.name)) {
        bucket->SetRate(share, MonotonicNanos());
      }
    }
  }
  for (const auto& [id, host] : hosts_.hosts()) {
    if (host.workers == 0 || id == except) continue;
    // RateWeightBefore walks the hosts again: only when one joins or leaves.
    hosts_.Send(id, 0, wire::HostRates{ToWire(ShareOf(config_.rate_specs, RateWeightBefore(id),
                                                      host.workers, total))});
  }
}

}  // namespace taskfarm

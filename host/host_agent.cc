#include "host/host_agent.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "coordinator/rate_shares.h"
#include "coordinator/run_directory.h"
#include "coordinator/signals.h"
#include "coordinator/exit_codes.h"
#include "coordinator/local_worker.h"
#include "shared/clock.h"
#include "shared/curve_keys.h"
#include "shared/rate_limiter.h"
#include "shared/transport.h"

namespace taskfarm {
namespace {

constexpr int kUpstreamHwm = 64 * 1024;
constexpr std::chrono::milliseconds kPollTimeout{250};
constexpr const char* kMonitorEndpoint = "inproc://host-monitor";

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "host";
  return name;
}

std::string RoutingId() {
  std::random_device random;
  return fmt::format("{}-{}-{:08x}", HostName(), getpid(), random());
}

class HostAgent {
 public:
  explicit HostAgent(const HostConfig& config);
  ~HostAgent();
  int Run();

 private:
  struct Worker {
    std::unique_ptr<LocalWorker> link;
    std::deque<zmq::message_t> backlog;  // tasks its socket could not take yet
  };

  void PollOnce();
  void DrainCoordinator();
  void HandleControl(wire::Message& message);
  void Welcome(const wire::HostWelcome& welcome);
  void StartWorker(uint32_t id);
  void Deliver(uint32_t worker_id, zmq::message_t payload);
  void FlushBacklog(Worker& worker);
  void DrainWorkers();
  void SendUp(zmq::message_t payload);
  void SendUp(const wire::Message& message);
  void ReapWorkers();
  void CheckMonitor();
  void StopWorkers(bool now);
  bool CoordinatorSilent() const;

  HostConfig config_;
  MonoClock::time_point started_ = MonoClock::now();
  RunDirectory run_directory_;
  SignalPipe signals_;
  zmq::context_t context_{1};
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  zmq::socket_t sink_;
  std::unique_ptr<RateLimiter> limiter_;
  std::map<uint32_t, Worker> workers_;
  std::vector<std::string> worker_args_;
  std::deque<zmq::message_t> upstream_;  // results the coordinator's connection could not take
  msgpack::sbuffer scratch_;
  bool welcomed_ = false;
  uint32_t host_id_ = 0;
  std::chrono::milliseconds heartbeat_{1000};
  std::chrono::milliseconds give_up_after_{7500};
  MonoClock::time_point last_heard_ = MonoClock::now();
  MonoClock::time_point next_heartbeat_{};
  std::optional<int> exit_status_;
  std::string exit_reason_;
};

HostAgent::HostAgent(const HostConfig& config) : config_(config) {
  RemoveStaleSegments();
  // A bounded linger lets the last results and our goodbye reach a live coordinator.
  dealer_ = MakeSocket(context_, zmq::socket_type::dealer, {kUpstreamHwm, kWorkerStopTimeout});
  dealer_.set(zmq::sockopt::routing_id, RoutingId());  // the same one across reconnects
  if (!config_.insecure) {
    MakeCurveClient(dealer_, LoadKeyPair(config_.keys_dir),
                    LoadPublicKey(config_.keys_dir / "coordinator.key"));
  }
  // The handshake's outcome: a refused key is an event here, not an error anywhere else.
  zmq_socket_monitor(dealer_.handle(), kMonitorEndpoint,
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  monitor_ = zmq::socket_t(context_, zmq::socket_type::pair);
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(kMonitorEndpoint);
  sink_ = MakeSocket(context_, zmq::socket_type::pull, {kUpstreamHwm, {}});
  sink_.bind(run_directory_.IpcEndpoint("sink"));
  try {
    dealer_.connect(config_.connect);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("--connect " + config_.connect + ": " + e.what());
  }
}

HostAgent::~HostAgent() {
  zmq_socket_monitor(dealer_.handle(), nullptr, 0);
}

int HostAgent::Run() {
  SendUp(wire::HostHello{HostName(), getpid(), config_.workers, wire::kWireVersion});
  spdlog::info("host: joining {} with {} workers", config_.connect, config_.workers);
  while (!exit_status_) {
    PollOnce();
    const auto now = MonoClock::now();
    if (now >= next_heartbeat_ && welcomed_) {
      next_heartbeat_ = now + heartbeat_;
      SendUp(wire::Heartbeat{host_id_});
    }
    if (!welcomed_ && now - started_ > config_.join_timeout) {
      exit_reason_ = fmt::format(
          "no answer from the coordinator at {} within {} s (is it running with --listen "
          "there, and are the keys right?)",
          config_.connect, std::chrono::duration<double>(config_.join_timeout).count());
      exit_status_ = 2;
    } else if (welcomed_ && now - last_heard_ > give_up_after_) {
      exit_reason_ = fmt::format("the coordinator at {} has been silent for {:.1f} s",
                                 config_.connect,
                                 std::chrono::duration<double>(now - last_heard_).count());
      exit_status_ = 1;
    }
  }
  const bool told_to_stop = *exit_status_ == 0;
  if (!told_to_stop) {
    spdlog::error("host: {}; stopping", exit_reason_);
    // Tell the coordinator at once (if it is there) so it re-sends our tasks now.
    SendUp(wire::Stop{exit_reason_});
  }
  StopWorkers(/*now=*/!told_to_stop);
  return *exit_status_;
}

void HostAgent::PollOnce() {
  std::vector<zmq::pollitem_t> items{{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                                     {sink_.handle(), 0, ZMQ_POLLIN, 0},
                                     {monitor_.handle(), 0, ZMQ_POLLIN, 0},
                                     {nullptr, signals_.fd(), ZMQ_POLLIN, 0}};
  if (!upstream_.empty()) items[0].events |= ZMQ_POLLOUT;
  std::vector<Worker*> polled;  // whose item each of items[4...] is
  for (auto& [id, worker] : workers_) {
    polled.insert(polled.end(), worker.link->AddPollItems(items, !worker.backlog.empty()),
                  &worker);
  }
  try {
    zmq::poll(items.data(), items.size(), kPollTimeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    return;
  }
  if (items[0].revents & ZMQ_POLLOUT) {
    while (!upstream_.empty() && dealer_.send(upstream_.front(), zmq::send_flags::dontwait)) {
      upstream_.pop_front();
    }
  }
  bool exited = false;
  for (std::size_t i = 4; i < items.size(); ++i) {
    if (items[i].revents & ZMQ_POLLOUT) FlushBacklog(*polled[i - 4]);
    if (items[i].revents & ZMQ_POLLIN) exited = true;
  }
  if (items[0].revents & ZMQ_POLLIN) DrainCoordinator();
  if ((items[1].revents & ZMQ_POLLIN) || exited) DrainWorkers();
  if (exited) ReapWorkers();  // after their last results went up
  if (items[2].revents & ZMQ_POLLIN) CheckMonitor();
  if (items[3].revents & ZMQ_POLLIN) {
    while (std::optional<int> signal_number = signals_.Take()) {
      exit_reason_ = fmt::format("stopped by signal {}", *signal_number);
      exit_status_ = exit_codes::ForSignal(*signal_number);
    }
  }
}

void HostAgent::DrainCoordinator() {
  for (;;) {
    zmq::message_t address;
    if (!dealer_.recv(address, zmq::recv_flags::dontwait)) return;
    zmq::message_t payload;
    if (!address.more() || !dealer_.recv(payload, zmq::recv_flags::none) || payload.more() ||
        address.size() != sizeof(uint32_t)) {
      spdlog::warn("host: dropped a malformed message from the coordinator");
      while (payload.more() && dealer_.recv(payload, zmq::recv_flags::none)) {
      }
      continue;
    }
    last_heard_ = MonoClock::now();
    uint32_t worker_id = 0;
    std::memcpy(&worker_id, address.data(), sizeof(worker_id));
    if (worker_id != 0) {
      Deliver(worker_id, std::move(payload));
      continue;
    }
    Received control = DecodeFrame(payload);
    if (control.message) {
      HandleControl(*control.message);
    } else {
      spdlog::warn("host: dropped a malformed message from the coordinator: {}", control.error);
    }
  }
}

void HostAgent::HandleControl(wire::Message& message) {
  if (auto* welcome = std::get_if<wire::HostWelcome>(&message)) {
    if (!welcomed_) Welcome(*welcome);
  } else if (auto* rates = std::get_if<wire::HostRates>(&message)) {
    if (!limiter_) return;  // before the welcome, which carries the rates itself
    for (const RateSpec& share : FromWire(rates->rates)) {
      if (TokenBucket* bucket = limiter_->Find(share.name)) {
        bucket->SetRate(share, MonotonicNanos());
      }
    }
  } else if (auto* start = std::get_if<wire::StartWorker>(&message)) {
    if (welcomed_ && !workers_.count(start->worker_id)) StartWorker(start->worker_id);
  } else if (auto* kill = std::get_if<wire::KillWorker>(&message)) {
    if (auto it = workers_.find(kill->worker_id); it != workers_.end()) {
      it->second.link->Signal(kill->signal);
    }
  } else if (auto* beat = std::get_if<wire::Heartbeat>(&message)) {
    if (beat->echo_ns != 0) SendUp(wire::Heartbeat{host_id_, beat->echo_ns});
  } else if (auto* stop = std::get_if<wire::Stop>(&message)) {
    spdlog::info("host: the coordinator says stop ({})", stop->reason);
    exit_status_ = 0;
  }
}

void HostAgent::Welcome(const wire::HostWelcome& welcome) {
  welcomed_ = true;
  host_id_ = welcome.host_id;
  heartbeat_ = std::chrono::milliseconds(std::max<uint32_t>(welcome.heartbeat_ms, 10));
  give_up_after_ = std::chrono::milliseconds(welcome.timeout_ms) * 3 / 4;
  worker_args_ = welcome.worker_args;
  const std::vector<RateSpec> shares = FromWire(welcome.rates);
  if (!shares.empty()) {
    limiter_ = RateLimiter::Create(shares);
    worker_args_.insert(worker_args_.end(), {"--shm", limiter_->segment_name()});
  }
  spdlog::info("host: joined as host {}; starting {} workers", host_id_, welcome.worker_ids.size());
  for (uint32_t id : welcome.worker_ids) StartWorker(id);
}

void HostAgent::StartWorker(uint32_t id) {
  Worker worker;
  try {
    worker.link = std::make_unique<LocalWorker>(
        context_, run_directory_, id,
        WorkerLaunch{config_.worker_executable, config_.worker_leading_args, worker_args_});
  } catch (const std::exception& e) {
    spdlog::error("host: {}", e.what());
    SendUp(wire::WorkerExited{id, e.what()});
    return;
  }
  workers_.emplace(id, std::move(worker));
}

void HostAgent::Deliver(uint32_t worker_id, zmq::message_t payload) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;  // it exited; the coordinator knows or will
  it->second.backlog.push_back(std::move(payload));
  FlushBacklog(it->second);
}

void HostAgent::FlushBacklog(Worker& worker) {
  // A worker's socket refuses until the worker has connected: keep its tasks until then.
  while (!worker.backlog.empty() &&
         worker.link->socket().send(worker.backlog.front(), zmq::send_flags::dontwait)) {
    worker.backlog.pop_front();
  }
}

void HostAgent::DrainWorkers() {
  for (;;) {
    zmq::message_t message;
    if (!sink_.recv(message, zmq::recv_flags::dontwait)) return;
    SendUp(std::move(message));
  }
}

void HostAgent::SendUp(zmq::message_t payload) {
  if (upstream_.empty() && dealer_.send(payload, zmq::send_flags::dontwait)) return;
  upstream_.push_back(std::move(payload));
}

void HostAgent::SendUp(const wire::Message& message) {
  wire::Encode(message, scratch_);
  SendUp(zmq::message_t(scratch_.data(), scratch_.size()));
}

void HostAgent::ReapWorkers() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->second.link->HasExited()) {
      ++it;
      continue;
    }
    const std::string description = it->second.link->ExitDescription();
    spdlog::warn("host: worker {} (pid {}) exited: {}", it->first, it->second.link->pid(),
                 description);
    SendUp(wire::WorkerExited{it->first, description});
    it = workers_.erase(it);
  }
}

void HostAgent::CheckMonitor() {
  for (;;) {
    zmq::message_t event;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
    zmq::message_t address;
    if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::none);
    if (event.size() < sizeof(uint16_t)) continue;
    uint16_t kind = 0;
    std::memcpy(&kind, event.data(), sizeof(kind));
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      exit_reason_ = fmt::format(
          "the coordinator at {} refused this host's key: add {} to the coordinator's "
          "authorized_keys",
          config_.connect, (config_.keys_dir / "public.key").string());
    } else {
      exit_reason_ = fmt::format(
          "the secure handshake with {} failed (does coordinator.key hold the coordinator's "
          "public key? is it running with --keys, not --insecure?)",
          config_.connect);
    }
    exit_status_ = 2;
  }
}

void HostAgent::StopWorkers(bool now) {
  for (auto& [id, worker] : workers_) {
    worker.backlog.clear();
    const bool asked = !now && worker.link->Send(wire::Stop{"host stopping"});
    if (!asked) worker.link->Signal(SIGTERM);
  }
  AwaitExits(
      workers_, [](Worker& worker) -> WorkerLink& { return *worker.link; }, sink_,
      [this] { DrainWorkers(); });
  workers_.clear();  // kills (SIGKILL) and reaps any still running
  // The last Byes and results go out within the linger of the dealer; a coordinator that is
  // gone does not hold us up.
  while (!upstream_.empty() && dealer_.send(upstream_.front(), zmq::send_flags::dontwait)) {
    upstream_.pop_front();
  }
}

}  // namespace

int RunHostAgent(const HostConfig& config) {
  try {
    HostAgent agent(config);
    return agent.Run();
  } catch (const std::exception& e) {
    spdlog::error("host: {}", e.what());
    std::fprintf(stderr, "taskfarm host: %s\n", e.what());
    return 2;
  }
}

}  // namespace taskfarm

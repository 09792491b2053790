#include "dashboard/dashboard_server.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "dashboard/dashboard_page.h"
#include "dashboard/metrics_text.h"
#include "http/http_front.h"

namespace taskfarm {
namespace {

// A local process's resident memory (bytes) and CPU time (seconds), from /proc; null when it
// is gone.
nlohmann::json ProcessRss(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return nullptr;
}

nlohmann::json ProcessCpuSeconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto end_of_name = text.rfind(')');  // the name may hold spaces and parentheses
  if (end_of_name == std::string::npos) return nullptr;
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // fields 14 and 15: utime, stime
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

DashboardServer::DashboardServer(DashboardOptions options) : options_(std::move(options)) {
  if (!IsLoopbackHost(options_.host) && options_.token.empty()) {
    throw std::runtime_error(fmt::format(
        "--dashboard {}: a dashboard on an address other than loopback needs --dashboard-token",
        options_.host));
  }
  front_ = std::make_unique<HttpFront>([this](const HttpRequest& r) { return Answer(r); },
                                       std::chrono::seconds(10));
  options_.port = front_->Bind(options_.host, options_.port);
  thread_ = std::thread([this] { front_->Serve(); });
}

DashboardServer::~DashboardServer() {
  front_->Stop();
  if (thread_.joinable()) thread_.join();
}

std::string DashboardServer::url() const {
  const bool v6 = options_.host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/{}", v6 ? "[" : "", options_.host, v6 ? "]" : "",
                     options_.port, options_.token.empty() ? "" : "?token=" + options_.token);
}

void DashboardServer::Publish(const ProgressSnapshot& snapshot) {
  uint64_t finished = 0;
  for (const KindProgress& kind : snapshot.kinds) finished += kind.done;
  std::lock_guard lock(mutex_);
  latest_ = snapshot;
  history_.emplace_back(snapshot.elapsed_s, finished);
  if (history_.size() > kHistoryPoints) history_.pop_front();
}

void DashboardServer::RecordFailure(const std::string& kind, uint64_t task_id,
                                    const std::string& error) {
  std::lock_guard lock(mutex_);
  failures_.push_back({{"kind", kind}, {"task", task_id}, {"error", error}});
  if (failures_.size() > kLastFailures) failures_.pop_front();
}

nlohmann::json DashboardServer::Status() const {
  std::lock_guard lock(mutex_);
  nlohmann::json kinds = nlohmann::json::array();
  for (const KindProgress& kind : latest_.kinds) {
    const double rate =
        latest_.elapsed_s > 0 ? static_cast<double>(kind.done) / latest_.elapsed_s : 0;
    nlohmann::json eta = nullptr;
    if (kind.total && rate > 0 && *kind.total >= kind.done) {
      eta = static_cast<double>(*kind.total - kind.done) / rate;
    }
    // As the run's --json summary counts them: done is ok and not skipped.
    kinds.push_back({{"kind", kind.kind},
                     {"finished", kind.done},
                     {"done", kind.done - kind.failed - kind.skipped},
                     {"skipped", kind.skipped},
                     {"failed", kind.failed},
                     {"retried", kind.retried},
                     {"in_flight", kind.in_flight},
                     {"total", kind.total ? nlohmann::json(*kind.total) : nlohmann::json(nullptr)},
                     {"failed_by_reason", kind.failed_by_reason},
                     {"rate_per_s", rate},
                     {"eta_s", eta}});
  }
  nlohmann::json buckets = nlohmann::json::array();
  for (const BucketSummary& bucket : latest_.buckets) {
    buckets.push_back({{"name", bucket.name},
                       {"rate", bucket.rate},
                       {"burst", bucket.burst},
                       {"granted", bucket.counters.granted},
                       {"wait_s", static_cast<double>(bucket.counters.wait_ns) / 1e9},
                       {"backoffs", bucket.counters.backoffs}});
  }
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerProgress& worker : latest_.workers) {
    const bool local = worker.host == "local";
    workers.push_back({{"id", worker.id},
                       {"pid", worker.pid},
                       {"host", worker.host},
                       {"held", worker.held},
                       {"sent", worker.sent},
                       {"running", worker.running},
                       {"rss_bytes", local ? ProcessRss(worker.pid) : nullptr},
                       {"cpu_s", local ? ProcessCpuSeconds(worker.pid) : nullptr}});
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& [elapsed, finished] : history_) history.push_back({elapsed, finished});
  return {{"elapsed_s", latest_.elapsed_s}, {"finished", latest_.finished},
          {"kinds", kinds},                {"buckets", buckets},
          {"workers", workers},            {"failures", nlohmann::json(failures_)},
          {"history", history}};
}

HttpReply DashboardServer::Answer(const HttpRequest& request) const {
  HttpReply reply;
  if (!options_.token.empty()) {
    const std::string* token = request.Param("token");
    if (token == nullptr || *token != options_.token) {
      reply.status = 403;
      reply.body = "taskfarm dashboard: this address needs ?token=...\n";
      return reply;
    }
  }
  if (request.path == "/") {
    reply.content_type = "text/html; charset=utf-8";
    reply.body = std::string(kDashboardPage);
  } else if (request.path == "/status.json") {
    reply.content_type = "application/json";
    reply.body = Status().dump();
  } else if (request.path == "/metrics") {
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply.body = PrometheusText(Status());
  } else {
    reply.status = 404;
    reply.body = "not found: " + request.path + " (the dashboard has /, /status.json, /metrics)\n";
  }
  return reply;
}

}  // namespace taskfarm

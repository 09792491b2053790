#include "dashboard/dashboard_server.h"

#include <stdexcept>

#include <fmt/format.h>

#include "dashboard/dashboard_page.h"
#include "dashboard/metrics_text.h"
#include "http/http_front.h"

namespace taskfarm {

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
  for (const BucketSummary& bucket : snapshot.buckets) {
    auto& points = bucket_history_[bucket.name];
    points.emplace_back(snapshot.elapsed_s, bucket.counters.used);  // granted ones include reservations
    if (points.size() > kHistoryPoints) points.pop_front();
  }
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
    nlohmann::json granted_over_time = nlohmann::json::array();
    if (auto points = bucket_history_.find(bucket.name); points != bucket_history_.end()) {
      for (const auto& [elapsed, granted] : points->second) granted_over_time.push_back({elapsed, granted});
    }
    buckets.push_back({{"name", bucket.name},
                       {"limit_per_s", bucket.limit_per_s},
                       {"history", granted_over_time},
                       {"rate", bucket.rate},
                       {"burst", bucket.burst},
                       {"granted", bucket.counters.granted},
                       {"used", bucket.counters.used},
                       {"wait_s", static_cast<double>(bucket.counters.wait_ns) / 1e9},
                       {"backoffs", bucket.counters.backoffs}});
  }
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerProgress& worker : latest_.workers) {
    const bool reported = worker.rss_bytes > 0;  // the worker's own figures, local or remote
    workers.push_back({{"id", worker.id},
                       {"pid", worker.pid},
                       {"host", worker.host},
                       {"held", worker.held},
                       {"sent", worker.sent},
                       {"running", worker.running},
                       {"rss_bytes", reported ? nlohmann::json(worker.rss_bytes) : nullptr},
                       {"cpu_s", reported ? nlohmann::json(worker.cpu_s) : nullptr}});
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

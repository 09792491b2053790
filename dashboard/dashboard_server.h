#pragma once
// DashboardServer: a run seen live over HTTP, from the coordinator's process (HttpFront, on
// a thread of its own, so the farm's loop never waits on a browser). The loop publishes a
// snapshot every 250 ms (Publish: a copy under a lock, nothing else); requests are answered
// from the latest one:
//   /             the page: self-contained HTML, CSS and script (no CDN, no network), that
//                 polls status.json and draws the run: kinds, throughput, workers, buckets
//   /status.json  the run now: per kind done/total, failed by reason, in flight, rate, ETA;
//                 per worker what it runs, its CPU and RSS (as it reports them, local or
//                 remote); per bucket its
//                 tokens, waits and back-offs, and its tokens used over time; the last
//                 failures; throughput over time
//   /metrics      the same in Prometheus' text format
// Bound to loopback unless a token is given: then every request must carry ?token=TOKEN.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "coordinator/progress.h"

namespace taskfarm {

class HttpFront;
struct HttpReply;
struct HttpRequest;

struct DashboardOptions {
  std::string host = "127.0.0.1";
  int port = 0;       // 0: any free port
  std::string token;  // required for a non-loopback host
};

class DashboardServer {
 public:
  static constexpr std::size_t kHistoryPoints = 600;  // throughput samples kept (2.5 min)
  static constexpr std::size_t kLastFailures = 10;

  /// Binds and starts serving. Throws std::runtime_error (the address cannot be bound).
  explicit DashboardServer(DashboardOptions options);
  /// Stops serving and joins the thread.
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// The page's address, with the token when there is one.
  std::string url() const;
  /// Thread-safe: the latest snapshot of the run.
  void Publish(const ProgressSnapshot& snapshot);
  /// Thread-safe: a failed task's outcome, for the page's list of the last failures.
  void RecordFailure(const std::string& kind, uint64_t task_id, const std::string& error);
  /// The status document (what /status.json serves).
  nlohmann::json Status() const;

 private:
  HttpReply Answer(const HttpRequest& request) const;

  DashboardOptions options_;
  mutable std::mutex mutex_;
  ProgressSnapshot latest_;                                  // guarded by mutex_
  std::deque<std::pair<double, uint64_t>> history_;          // guarded: (elapsed, finished)
  // Per bucket, (elapsed, tokens used) at each snapshot: its use over time.
  std::map<std::string, std::deque<std::pair<double, uint64_t>>> bucket_history_;  // guarded
  std::deque<nlohmann::json> failures_;                      // guarded by mutex_
  std::unique_ptr<HttpFront> front_;
  std::thread thread_;
};

/// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

}  // namespace taskfarm

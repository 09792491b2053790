#pragma once
// NetworkLane: a worker's second lane, for tasks that wait on the network (geocode). One
// thread drives up to `concurrency` HTTP requests at once with curl's multi interface
// (connections reused), so a worker keeps hundreds of requests in flight while its main
// thread runs CPU tasks.
//
// Each request first takes a token from its provider's shared bucket: the lane reserves the
// slot and sleeps in curl_multi_poll until it comes (no busy-waiting); a task waiting for a
// token is not "started". Transient failures (429, OVER_QUERY_LIMIT, 5xx, timeouts) are
// retried with exponential back-off and full jitter, and 429 / OVER_QUERY_LIMIT push the
// shared bucket back so every worker pauses; permanent ones become error results. A provider
// that answers OVER_DAILY_LIMIT is not asked again by this worker. Providers cascade: a place
// one provider cannot find goes to the next.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "shared/gazetteer.h"
#include "shared/rate_limiter.h"
#include "shared/wire.h"
#include "worker/heavy_kinds.h"
#include "worker/network_lane_config.h"
#include "worker/outbox.h"

namespace taskfarm {

/// Submit() and Drain() are thread-safe; the lane's own thread does all the I/O.
class NetworkLane final : public TaskLane {
 public:
  /// `limiter` may be null (no rate limits); `gazetteer` loads the offline data on first use.
  NetworkLane(NetworkLaneConfig config, uint32_t worker_id, RateLimiter* limiter, Outbox& outbox,
              std::function<const Gazetteer*()> gazetteer);
  /// Finishes what was submitted, then stops.
  ~NetworkLane();
  NetworkLane(const NetworkLane&) = delete;
  NetworkLane& operator=(const NetworkLane&) = delete;

  void Submit(wire::Task task) override;
  /// Blocks until every submitted task has its result in the outbox.
  void Drain();

 private:
  struct Job;
  class Loop;

  std::mutex mutex_;
  std::condition_variable idle_;
  std::deque<wire::Task> submitted_;  // guarded by mutex_
  uint64_t unfinished_ = 0;           // guarded by mutex_
  bool closing_ = false;              // guarded by mutex_
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace taskfarm

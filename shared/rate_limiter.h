#pragma once
// RateLimiter: the run's token buckets, one per service, in one POSIX shared-memory segment
// (Boost.Interprocess) that the coordinator creates and every worker maps.
//
// The segment is named "taskfarm-<coordinator pid>-<random>" with mode 0600. Its creator
// removes it when destroyed; a segment whose creator PID is gone (a coordinator killed with
// SIGKILL) is removed by the workers that notice the death, and by RemoveStaleSegments() at
// the next start.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/rate_spec.h"
#include "shared/token_bucket.h"

namespace taskfarm {

inline constexpr std::size_t kMaxBuckets = 16;

class RateLimiter {
 public:
  /// Creates a new segment holding one bucket per spec (bursts already applied).
  /// Throws std::runtime_error when it cannot.
  static std::unique_ptr<RateLimiter> Create(const std::vector<RateSpec>& specs);
  /// Maps an existing segment; throws std::runtime_error naming it when it cannot.
  static std::unique_ptr<RateLimiter> Open(const std::string& segment_name);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  const std::string& segment_name() const { return segment_name_; }
  /// The bucket called `name`, or nullptr.
  TokenBucket* Find(std::string_view name);
  std::vector<TokenBucket*> buckets();

 private:
  struct Segment;
  RateLimiter(std::string name, bool owner);

  std::string segment_name_;
  bool owner_ = false;
  struct Mapping;
  std::unique_ptr<Mapping> mapping_;
  Segment* segment_ = nullptr;
};

/// Removes segments of earlier runs whose coordinator is gone; returns how many.
int RemoveStaleSegments();

/// Removes the named segment (from a worker whose coordinator died). Never throws.
void RemoveSegment(const std::string& segment_name);

}  // namespace taskfarm

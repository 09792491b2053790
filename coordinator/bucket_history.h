#pragma once
// BucketHistory: each rate-limit bucket's tokens used over a run, sampled from the run's
// snapshots, for the run report's curve of tokens against the limit. Bounded: past
// kMaxPoints samples a bucket keeps every other one and samples half as often, so a run of
// any length costs at most kMaxPoints points per bucket.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/progress.h"

namespace taskfarm {

class BucketHistory {
 public:
  static constexpr std::size_t kMaxPoints = 2048;

  void Record(const ProgressSnapshot& snapshot);
  /// {bucket: [[seconds into the run, tokens used], ...]}
  nlohmann::json ToJson() const;

 private:
  double interval_s_ = 0.25;
  double next_s_ = 0;
  std::map<std::string, std::vector<std::pair<double, uint64_t>>> points_;
};

}  // namespace taskfarm

#include "coordinator/bucket_history.h"

namespace taskfarm {

void BucketHistory::Record(const ProgressSnapshot& snapshot) {
  if (snapshot.elapsed_s < next_s_ && !snapshot.finished) return;
  next_s_ = snapshot.elapsed_s + interval_s_;
  bool full = false;
  for (const BucketSummary& bucket : snapshot.buckets) {
    auto& points = points_[bucket.name];
    points.emplace_back(snapshot.elapsed_s, bucket.counters.used);
    full = full || points.size() >= kMaxPoints;
  }
  if (!full) return;
  for (auto& [name, points] : points_) {  // every bucket alike: they share one interval
    std::vector<std::pair<double, uint64_t>> half;
    for (std::size_t i = 0; i < points.size(); i += 2) half.push_back(points[i]);
    points = std::move(half);
  }
  interval_s_ *= 2;
}

nlohmann::json BucketHistory::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, points] : points_) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [seconds, used] : points) list.push_back({seconds, used});
    json[name] = std::move(list);
  }
  return json;
}

}  // namespace taskfarm

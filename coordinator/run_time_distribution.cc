#include "coordinator/run_time_distribution.h"

#include <algorithm>
#include <cmath>

namespace taskfarm {
namespace {

namespace bh = boost::histogram;

constexpr double kShortestBinnedNs = 100;  // below: the underflow bin
constexpr double kLongestBinnedNs = 1e14;  // about 28 hours; above: the overflow bin

// Bins 1% wide: each spans a factor of 1.01.
unsigned BinCount() {
  return static_cast<unsigned>(
      std::ceil(std::log(kLongestBinnedNs / kShortestBinnedNs) / std::log(1.01)));
}

}  // namespace

RunTimeDistribution::RunTimeDistribution()
    : bins_(bh::make_histogram_with(bh::dense_storage<uint64_t>(),
                                    LogAxis(BinCount(), kShortestBinnedNs, kLongestBinnedNs))) {}

void RunTimeDistribution::Add(uint64_t run_ns) {
  // Shorter than the first bin (a no-op's run): no logarithm needed to know its bin.
  if (static_cast<double>(run_ns) < kShortestBinnedNs) {
    ++bins_.at(-1);
  } else {
    bins_(static_cast<double>(run_ns));
  }
  ++count_;
  shortest_ns_ = std::min(shortest_ns_, run_ns);
  longest_ns_ = std::max(longest_ns_, run_ns);
}

double RunTimeDistribution::PercentileMillis(double fraction) const {
  if (count_ == 0) return 0;
  const auto position = static_cast<uint64_t>(fraction * static_cast<double>(count_ - 1));
  const auto shortest = static_cast<double>(shortest_ns_);
  const auto longest = static_cast<double>(longest_ns_);
  double ns = longest;
  uint64_t seen = 0;
  const int regular_bins = bins_.axis(0).size();
  for (auto&& bin : bh::indexed(bins_, bh::coverage::all)) {  // underflow first, overflow last
    seen += *bin;
    if (seen <= position) continue;
    if (bin.index() < 0) {
      ns = shortest;
    } else if (bin.index() < regular_bins) {
      ns = std::sqrt(bin.bin().lower() * bin.bin().upper());  // the middle, on a log scale
    }
    break;
  }
  return std::clamp(ns, shortest, longest) / 1e6;
}

double RunTimeDistribution::MaxMillis() const {
  return count_ == 0 ? 0 : static_cast<double>(longest_ns_) / 1e6;
}

}  // namespace taskfarm

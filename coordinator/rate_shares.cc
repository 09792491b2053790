#include "coordinator/rate_shares.h"

#include <algorithm>

namespace taskfarm {

std::vector<RateSpec> ShareOf(const std::vector<RateSpec>& specs, uint32_t weight,
                              uint32_t total_weight) {
  const double fraction =
      total_weight == 0 ? 1.0 : static_cast<double>(weight) / static_cast<double>(total_weight);
  std::vector<RateSpec> shares = specs;
  for (RateSpec& spec : shares) {
    for (RateWindow& window : spec.windows) {
      window.per_second *= fraction;
      window.burst = std::max(1.0, window.burst * fraction);
    }
  }
  return shares;
}

std::vector<wire::BucketRate> ToWire(const std::vector<RateSpec>& specs) {
  std::vector<wire::BucketRate> rates;
  for (const RateSpec& spec : specs) {
    wire::BucketRate rate{spec.name, {}, {}};
    for (const RateWindow& window : spec.windows) {
      rate.per_second.push_back(window.per_second);
      rate.burst.push_back(window.burst);
    }
    rates.push_back(std::move(rate));
  }
  return rates;
}

std::vector<RateSpec> FromWire(const std::vector<wire::BucketRate>& rates) {
  std::vector<RateSpec> specs;
  for (const wire::BucketRate& rate : rates) {
    RateSpec spec{rate.bucket, {}};
    const std::size_t count = std::min(rate.per_second.size(), rate.burst.size());
    for (std::size_t i = 0; i < count; ++i) {
      if (rate.per_second[i] > 0) spec.windows.push_back({rate.per_second[i], rate.burst[i]});
    }
    if (!spec.windows.empty()) specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace taskfarm

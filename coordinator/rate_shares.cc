#include "coordinator/rate_shares.h"

#include <algorithm>
#include <cmath>

namespace taskfarm {

namespace {

// Grants a strict window gives those of weight up to `weight` out of `total`, whole.
double WholeGrantsUpTo(double grants_per_span, uint32_t weight, uint32_t total) {
  constexpr double kRounding = 1e-9;  // 40 x 8 / 16 is 20, not 19.999...
  return std::floor(grants_per_span * weight / total + kRounding);
}

}  // namespace

std::vector<RateSpec> ShareOf(const std::vector<RateSpec>& specs, uint32_t weight_before,
                              uint32_t weight, uint32_t total_weight) {
  const double fraction =
      total_weight == 0 ? 1.0 : static_cast<double>(weight) / static_cast<double>(total_weight);
  std::vector<RateSpec> shares = specs;
  for (RateSpec& spec : shares) {
    for (RateWindow& window : spec.windows) {
      if (window.strict_span_s > 0 && total_weight > 0) {
        const double per_span = window.per_second * window.strict_span_s;
        const double whole = WholeGrantsUpTo(per_span, weight_before + weight, total_weight) -
                             WholeGrantsUpTo(per_span, weight_before, total_weight);
        if (whole >= 1) {
          window.per_second = whole / window.strict_span_s;
          window.burst = 1;
          continue;
        }
      }
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

#pragma once
// Rate shares: with remote hosts, each host enforces its own share of every rate limit in
// its own shared-memory buckets. Shares are proportional to worker counts and add up to at
// most the global rate (and burst), so the sum over hosts never exceeds the limit.

#include <cstdint>
#include <vector>

#include "shared/rate_spec.h"
#include "shared/wire.h"

namespace taskfarm {

/// `specs` (bursts applied) scaled by weight / total_weight. A share's burst is at least one
/// token (a bucket must be able to grant); the rate is never rounded up.
std::vector<RateSpec> ShareOf(const std::vector<RateSpec>& specs, uint32_t weight,
                              uint32_t total_weight);

std::vector<wire::BucketRate> ToWire(const std::vector<RateSpec>& specs);
std::vector<RateSpec> FromWire(const std::vector<wire::BucketRate>& rates);

}  // namespace taskfarm

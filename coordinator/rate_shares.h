#pragma once
// Rate shares: with remote hosts, each host enforces its own share of every rate limit in
// its own shared-memory buckets. Shares are proportional to worker counts and add up to at
// most the global rate (and burst), so the sum over hosts never exceeds the limit.
//
// A strict window (--strict-rate: at most N in any span) is shared out in whole grants per
// span: a host's strict bucket can always grant one more in a span than a fractional share
// (2.5 a span is 3 in some spans), so 16 hosts sharing 40 strictly saw up to 48 in a span.
// Each takes its place in one order (the local pool, then the hosts by id) and gets the
// grants between floor(N x weight before it / total) and floor(N x weight up to it / total):
// shares differ by at most one and add up to N. A host whose whole share would be nothing
// (more workers than N) gets its fractional one, and a span may see one more per such host.

#include <cstdint>
#include <vector>

#include "shared/rate_spec.h"
#include "shared/wire.h"

namespace taskfarm {

/// `specs` (bursts applied) scaled by weight / total_weight. A share's burst is at least one
/// token (a bucket must be able to grant); the rate is never rounded up. `weight_before`:
/// the weight of those before it in the order strict windows are shared out in.
std::vector<RateSpec> ShareOf(const std::vector<RateSpec>& specs, uint32_t weight_before,
                              uint32_t weight, uint32_t total_weight);

std::vector<wire::BucketRate> ToWire(const std::vector<RateSpec>& specs);
std::vector<RateSpec> FromWire(const std::vector<wire::BucketRate>& rates);

}  // namespace taskfarm

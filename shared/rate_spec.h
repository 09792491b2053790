#pragma once
// RateSpec: a rate limit as the user writes it: `[NAME=]R/UNIT[,R/UNIT...]`, e.g. `10/s`,
// `google=50/s`, `locationiq=2/s,60/min`. Units: s, min, h, day. Each R/UNIT is a window;
// a request needs a token from every window of its bucket.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfarm {

struct RateWindow {
  double per_second = 0;  // the sustained rate
  double burst = 0;       // capacity in tokens; 0 means one second's worth (at least 1)
  double window_s = 1;    // the unit it was written in: 60/min counts per 60 s
  // Strict (ApplyStrict): per_second x strict_span_s grants in any span of this length.
  double strict_span_s = 0;  // 0: not strict
};

struct RateSpec {
  std::string name;  // the bucket's name; "default" when the spec names none
  std::vector<RateWindow> windows;
};

inline constexpr std::string_view kDefaultBucket = "default";

/// Parses one --rate value. On failure returns nullopt and sets `error` to a message that
/// names the value and says what is wrong.
std::optional<RateSpec> ParseRateSpec(std::string_view text, std::string& error);

/// The slowest rate kept: one token a year.
inline constexpr double kSlowestRate = 1.0 / (365.0 * 86400.0);
/// The most tokens a bucket holds, and the most seconds of its rate.
inline constexpr double kMaxBurst = 1e6;
inline constexpr double kMaxBurstSeconds = 10 * 365.0 * 86400.0;

/// Sets the burst of every window that has none: `burst` tokens if given, otherwise one
/// second's worth of its rate (at least 1 token).
void ApplyBurst(RateSpec& spec, std::optional<double> burst);

/// Strict mode (--strict-rate): no window of the service's own length (the unit written,
/// W) ever sees more than its N requests, though each request reaches the service up to
/// `jitter` later than its token was granted. Each window's tokens are spaced by
/// (W + jitter) / N with a burst of 1: any span of W + jitter holds at most N grants, so
/// any span of W holds at most N arrivals. Costs jitter / (W + jitter) of the rate (50/s
/// with 50 ms: 47.6/s).
void ApplyStrict(RateSpec& spec, std::chrono::milliseconds jitter);

/// After ApplyBurst: a message when a window's burst is not a number of tokens a bucket can
/// hold (NaN, below 1, over kMaxBurst, or more than kMaxBurstSeconds of its rate).
std::optional<std::string> CheckBursts(const RateSpec& spec);

/// "2/s,60/min" back from a spec, for summaries.
std::string FormatRate(const RateSpec& spec);

}  // namespace taskfarm

#pragma once
// RateSpec: a rate limit as the user writes it: `[NAME=]R/UNIT[,R/UNIT...]`, e.g. `10/s`,
// `google=50/s`, `locationiq=2/s,60/min`. Units: s, min, h, day. Each R/UNIT is a window;
// a request needs a token from every window of its bucket.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfarm {

struct RateWindow {
  double per_second = 0;  // the sustained rate
  double burst = 0;       // capacity in tokens; 0 means one second's worth (at least 1)
};

struct RateSpec {
  std::string name;  // the bucket's name; "default" when the spec names none
  std::vector<RateWindow> windows;
};

inline constexpr std::string_view kDefaultBucket = "default";

/// Parses one --rate value. On failure returns nullopt and sets `error` to a message that
/// names the value and says what is wrong.
std::optional<RateSpec> ParseRateSpec(std::string_view text, std::string& error);

/// Sets the burst of every window that has none: `burst` tokens if given, otherwise one
/// second's worth of its rate (at least 1 token).
void ApplyBurst(RateSpec& spec, std::optional<double> burst);

/// "2/s,60/min" back from a spec, for summaries.
std::string FormatRate(const RateSpec& spec);

}  // namespace taskfarm

#include "shared/rate_spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace taskfarm {
namespace {

constexpr std::size_t kMaxNameLength = 31;  // fits the shared-memory bucket's name field
constexpr std::size_t kMaxWindows = 4;

std::optional<double> SecondsPerUnit(std::string_view unit) {
  if (unit == "s" || unit == "sec") return 1.0;
  if (unit == "min" || unit == "m") return 60.0;
  if (unit == "h" || unit == "hour") return 3600.0;
  if (unit == "day" || unit == "d") return 86400.0;
  return std::nullopt;
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

std::optional<RateWindow> ParseWindow(std::string_view text, std::string_view whole,
                                      std::string& error) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    error = fmt::format("--rate '{}': '{}' is not R/UNIT (e.g. 10/s)", whole, text);
    return std::nullopt;
  }
  const std::string_view number = text.substr(0, slash);
  double count = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(count) ||
      count <= 0) {
    error = fmt::format("--rate '{}': '{}' is not a positive number", whole, number);
    return std::nullopt;
  }
  const auto unit = SecondsPerUnit(text.substr(slash + 1));
  if (!unit) {
    error = fmt::format("--rate '{}': unknown unit '{}' (use s, min, h or day)", whole,
                        text.substr(slash + 1));
    return std::nullopt;
  }
  const double per_second = count / *unit;
  if (per_second > 1e6) {
    error = fmt::format("--rate '{}': more than 1,000,000 per second is not a limit", whole);
    return std::nullopt;
  }
  if (per_second < kSlowestRate) {
    // Slower, and the time between two tokens no longer fits the bucket's 64-bit clock.
    error = fmt::format("--rate '{}': fewer than one token a year is not a rate taskfarm keeps",
                        whole);
    return std::nullopt;
  }
  return RateWindow{per_second, 0, *unit};
}

}  // namespace

std::optional<RateSpec> ParseRateSpec(std::string_view text, std::string& error) {
  RateSpec spec;
  std::string_view windows = text;
  if (const auto eq = text.find('='); eq != std::string_view::npos) {
    spec.name = std::string(text.substr(0, eq));
    windows = text.substr(eq + 1);
    if (!ValidName(spec.name)) {
      error = fmt::format("--rate '{}': bucket name '{}' must be 1-{} letters, digits, '_', "
                          "'-' or '.'",
                          text, spec.name, kMaxNameLength);
      return std::nullopt;
    }
  } else {
    spec.name = std::string(kDefaultBucket);
  }
  while (!windows.empty()) {
    const auto comma = windows.find(',');
    auto window = ParseWindow(windows.substr(0, comma), text, error);
    if (!window) return std::nullopt;
    spec.windows.push_back(*window);
    if (comma == std::string_view::npos) break;
    windows = windows.substr(comma + 1);
    if (windows.empty()) {
      error = fmt::format("--rate '{}': nothing after the last ','", text);
      return std::nullopt;
    }
  }
  if (spec.windows.empty()) {
    error = fmt::format("--rate '{}': no R/UNIT given", text);
    return std::nullopt;
  }
  if (spec.windows.size() > kMaxWindows) {
    error = fmt::format("--rate '{}': at most {} windows per bucket", text, kMaxWindows);
    return std::nullopt;
  }
  return spec;
}

void ApplyBurst(RateSpec& spec, std::optional<double> burst) {
  for (RateWindow& window : spec.windows) {
    if (window.burst > 0) continue;
    window.burst = burst ? *burst : std::max(1.0, std::floor(window.per_second));
  }
}

void ApplyStrict(RateSpec& spec, std::chrono::milliseconds jitter) {
  const double jitter_s = std::chrono::duration<double>(jitter).count();
  for (RateWindow& window : spec.windows) {
    const double per_window = window.per_second * window.window_s;
    window.per_second = per_window / (window.window_s + jitter_s);
    window.burst = 1;
    window.strict_span_s = window.window_s + jitter_s;
  }
}

std::optional<std::string> CheckBursts(const RateSpec& spec) {
  for (const RateWindow& window : spec.windows) {
    if (!std::isfinite(window.burst) || window.burst < 1 || window.burst > kMaxBurst) {
      return fmt::format("--burst {}: a bucket holds 1 to {:.0f} tokens", window.burst, kMaxBurst);
    }
    if (window.burst / window.per_second > kMaxBurstSeconds) {
      return fmt::format("--burst {} with --rate {}: a bucket may hold at most {:.0f} years of "
                         "tokens",
                         window.burst, FormatRate(spec), kMaxBurstSeconds / (365.0 * 86400));
    }
  }
  return std::nullopt;
}

std::string FormatRate(const RateSpec& spec) {
  std::string out;
  for (const RateWindow& window : spec.windows) {
    if (!out.empty()) out += ',';
    const double r = window.per_second;
    if (r >= 1) {
      out += fmt::format("{:g}/s", r);
    } else if (r * 60 >= 1) {
      out += fmt::format("{:g}/min", r * 60);
    } else if (r * 3600 >= 1) {
      out += fmt::format("{:g}/h", r * 3600);
    } else {
      out += fmt::format("{:g}/day", r * 86400);
    }
  }
  return out;
}

}  // namespace taskfarm

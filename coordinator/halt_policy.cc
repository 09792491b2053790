#include "coordinator/halt_policy.h"

#include <cmath>
#include <stdexcept>

namespace taskfarm {
namespace {

constexpr uint64_t kMinimumFinishedForPercent = 3;  // as parallel

[[noreturn]] void Refuse(const std::string& text) {
  throw std::invalid_argument("--halt '" + text +
                              "': use never, soon,fail=N, now,fail=N, or fail=N% (e.g. "
                              "now,fail=10%)");
}

}  // namespace

bool HaltPolicy::Triggered(uint64_t failed, uint64_t finished) const {
  if (when == When::kNever || failed == 0) return false;
  if (percent) {
    return finished >= kMinimumFinishedForPercent &&
           100.0 * static_cast<double>(failed) >= *percent * static_cast<double>(finished);
  }
  return failed >= failures;
}

HaltPolicy ParseHaltPolicy(const std::string& text) {
  HaltPolicy policy;
  if (text == "never" || text == "0") return policy;
  if (text == "1" || text == "2") {
    policy.when = text == "1" ? HaltPolicy::When::kSoon : HaltPolicy::When::kNow;
    policy.failures = 1;
    return policy;
  }
  const auto comma = text.find(',');
  if (comma == std::string::npos) Refuse(text);
  const std::string when = text.substr(0, comma);
  std::string condition = text.substr(comma + 1);
  if (when == "soon") {
    policy.when = HaltPolicy::When::kSoon;
  } else if (when == "now") {
    policy.when = HaltPolicy::When::kNow;
  } else {
    Refuse(text);
  }
  if (condition.rfind("fail=", 0) != 0 || condition.size() == 5) Refuse(text);
  condition.erase(0, 5);
  const bool is_percent = condition.back() == '%';
  if (is_percent) condition.pop_back();
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(condition, &used);
  } catch (const std::exception&) {
    Refuse(text);
  }
  if (used != condition.size() || !std::isfinite(value) || value <= 0) Refuse(text);
  if (is_percent) {
    if (value > 100) Refuse(text);
    policy.percent = value;
  } else {
    if (value != std::floor(value)) Refuse(text);
    policy.failures = static_cast<uint64_t>(value);
  }
  return policy;
}

}  // namespace taskfarm

#include "coordinator/credit_policy.h"

namespace taskfarm {
namespace {

constexpr double kSmoothing = 0.2;  // weight of the newest observation
constexpr uint64_t kUnknownEstimateNs = 1'000'000'000;

}  // namespace

void CreditPolicy::Observe(const std::string& kind, uint64_t run_ns) {
  auto [it, inserted] = average_ns_.try_emplace(kind, static_cast<double>(run_ns));
  if (!inserted) it->second += kSmoothing * (static_cast<double>(run_ns) - it->second);
}

uint64_t CreditPolicy::Estimate(const std::string& kind) const {
  auto it = average_ns_.find(kind);
  return it == average_ns_.end() ? kUnknownEstimateNs : static_cast<uint64_t>(it->second);
}

bool CreditPolicy::MayTake(std::size_t held, uint64_t held_ns, const std::string& kind) const {
  if (held == 0) return true;
  if (held >= kMaxCredit) return false;
  // One of the held tasks is running: what counts is the work queued behind it.
  const uint64_t queued_ns = held_ns - held_ns / held;
  return queued_ns + Estimate(kind) <= static_cast<uint64_t>(kQueueTarget.count());
}

}  // namespace taskfarm

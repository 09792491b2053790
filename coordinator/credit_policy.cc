#include "coordinator/credit_policy.h"

#include <algorithm>
#include <cmath>

namespace taskfarm {
namespace {

constexpr double kSmoothing = 0.2;  // weight of the newest observation
constexpr uint64_t kUnknownEstimateNs = 1'000'000'000;

}  // namespace

void CreditPolicy::Observe(const std::string& kind, uint64_t run_ns) {
  const double sample = static_cast<double>(run_ns);
  auto [it, inserted] = kinds_.try_emplace(kind, RunTimes{sample, 0, 1});
  if (inserted) return;
  RunTimes& times = it->second;
  times.deviation_ns += kSmoothing * (std::abs(sample - times.mean_ns) - times.deviation_ns);
  times.mean_ns += kSmoothing * (sample - times.mean_ns);
  ++times.runs;
}

uint64_t CreditPolicy::Estimate(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? kUnknownEstimateNs : static_cast<uint64_t>(it->second.mean_ns);
}

bool CreditPolicy::IsSteady(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it != kinds_.end() && it->second.runs >= kSteadyAfterRuns &&
         it->second.deviation_ns <= kSteadyDeviation * it->second.mean_ns;
}

bool CreditPolicy::MayTake(std::size_t held, uint64_t held_ns, const std::string& kind) const {
  if (held == 0) return true;
  if (held >= kMaxCredit) return false;
  // One of the held tasks is running: what counts is the work queued behind it. Which one
  // runs is not known here, so it is taken to be like the new task (a noop never queues
  // behind a task that may take a second).
  const uint64_t estimate = Estimate(kind);
  const uint64_t queued_ns = held_ns - std::min(held_ns, estimate);
  if (queued_ns + estimate <= static_cast<uint64_t>(kQueueTarget.count())) return true;
  return held == 1 && IsSteady(kind) && held_ns <= 2 * estimate;
}

}  // namespace taskfarm

#include "coordinator/credit_policy.h"

#include <algorithm>
#include <cmath>

namespace taskfarm {
namespace {

constexpr double kSmoothing = 0.2;  // weight of the newest observation
constexpr uint64_t kUnknownEstimateNs = 1'000'000'000;

}  // namespace

const CreditPolicy::RunTimes* CreditPolicy::Find(const std::string& kind) const {
  if (last_times_ != nullptr && last_kind_ == kind) return last_times_;
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) return nullptr;
  last_kind_ = kind;
  last_times_ = &it->second;
  return last_times_;
}

void CreditPolicy::Observe(const std::string& kind, uint64_t run_ns) {
  const double sample = static_cast<double>(run_ns);
  const RunTimes* found = Find(kind);
  if (found == nullptr) {
    kinds_.try_emplace(kind, RunTimes{sample, 0, sample, 1});
    return;
  }
  RunTimes& times = const_cast<RunTimes&>(*found);  // a node of kinds_, which this owns
  times.short_ns = std::min(sample, times.short_ns * (1 + kShortRise));
  times.deviation_ns += kSmoothing * (std::abs(sample - times.mean_ns) - times.deviation_ns);
  times.mean_ns += kSmoothing * (sample - times.mean_ns);
  ++times.runs;
}

uint64_t CreditPolicy::Estimate(const std::string& kind) const {
  const RunTimes* times = Find(kind);
  return times == nullptr ? kUnknownEstimateNs : static_cast<uint64_t>(times->mean_ns);
}

uint64_t CreditPolicy::ShortEstimate(const std::string& kind) const {
  const RunTimes* times = Find(kind);
  return times == nullptr ? kUnknownEstimateNs : static_cast<uint64_t>(times->short_ns);
}

bool CreditPolicy::IsSteady(const std::string& kind) const {
  const RunTimes* times = Find(kind);
  return times != nullptr && times->runs >= kSteadyAfterRuns &&
         times->deviation_ns <= kSteadyDeviation * times->mean_ns;
}

bool CreditPolicy::MayTake(std::size_t held, uint64_t held_ns, const std::string& kind,
                           std::chrono::nanoseconds round_trip) const {
  if (held == 0) return true;
  if (held >= kMaxCredit) return false;
  // One of the held tasks is running and a round trip's worth is on the wire: what counts
  // is the work queued behind them. Which one runs is not known here, so it is taken to be
  // like the new task (a noop never queues behind a task that may take a second).
  const uint64_t estimate = Estimate(kind);
  const uint64_t on_the_wire_ns = static_cast<uint64_t>(round_trip.count()) * 5 / 4;  // + jitter
  const uint64_t held_after_ns = held_ns + estimate;
  const uint64_t queued_after_ns =
      held_after_ns - std::min(held_after_ns, estimate + on_the_wire_ns);
  if (queued_after_ns <= static_cast<uint64_t>(kQueueTarget.count())) return true;
  // Far away: the tasks queued behind the running one cover the wire even if all are short.
  const uint64_t short_ns = std::max<uint64_t>(ShortEstimate(kind), 1);
  if (round_trip.count() > 0 && held * short_ns < on_the_wire_ns) return true;
  const bool round_trip_costs =
      static_cast<double>(round_trip.count()) > kRoundTripShare * static_cast<double>(estimate);
  return held == 1 && (IsSteady(kind) || round_trip_costs) && held_ns <= 2 * estimate;
}

}  // namespace taskfarm

#pragma once
// CreditPolicy: how many unfinished tasks a worker may hold.
//
// A worker holds, behind the task it is running, queued work worth about kQueueTarget of its
// observed run time: enough that it never waits for the coordinator between short tasks
// (noop: up to kMaxCredit queued; a 1.5 ms command: one queued behind the running one), and
// little enough that a long task never hides others behind it while another worker idles.
// Longer tasks go one at a time, except a kind whose run times are steady (gzip of similar
// files): then one waits queued behind the running one, so the worker starts it the moment
// the first ends instead of after a round trip to the coordinator (which, on a machine
// whose every core is busy, costs about a millisecond per task). A kind never seen yet
// counts as long.
//
// A worker across a link with a round trip (a remote host) holds that much more: a round
// trip's worth of its work is always on the wire, tasks going out or results coming back,
// so, as TCP sizes its window to the bandwidth-delay product, its credit grows by the work
// it does in one round trip and it never waits a round trip for its next task. Where even
// one task outlasts the round trip by less than kRoundTripShare, the round trip would idle
// the worker for a noticeable share of its time, so one task waits queued behind the
// running one, as for a steady kind.
//
// Run times that differ a hundredfold within a kind (1 ms and 200 ms sleeps) defeat a credit
// counted in mean run times: the two tasks a distant worker holds are often a long one and
// a short one, and after the long one the worker idles a round trip. So a distant worker
// holds at least enough tasks to cover the round trip even if each is as short as the
// kind's short ones (ShortEstimate follows the short end of its run times); the deep
// queue this gives at the end of a run is evened out by taking tasks back from it
// (coordinator/return_policy.h), and by that alone a long task never hides others for long.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace taskfarm {

class CreditPolicy {
 public:
  CreditPolicy() = default;
  CreditPolicy(const CreditPolicy&) = delete;
  CreditPolicy& operator=(const CreditPolicy&) = delete;

  static constexpr std::chrono::nanoseconds kQueueTarget = std::chrono::milliseconds(2);
  static constexpr std::size_t kMaxCredit = 2048;
  /// A kind is steady once this many runs vary on average by at most kSteadyDeviation.
  static constexpr uint32_t kSteadyAfterRuns = 8;
  static constexpr double kSteadyDeviation = 0.25;
  /// A round trip over a tenth of a task's time earns it one queued behind the running one.
  static constexpr double kRoundTripShare = 0.1;
  /// The short-end estimate falls to a shorter run time at once and rises by at most this
  /// share a run towards a longer one (from 1 ms to 200 ms in about 110 runs).
  static constexpr double kShortRise = 0.05;

  /// Learns from a finished task's run time (exponentially weighted moving averages).
  void Observe(const std::string& kind, uint64_t run_ns);
  /// The expected run time of a task of `kind`, in nanoseconds.
  uint64_t Estimate(const std::string& kind) const;
  /// The short end of `kind`'s run times: the shortest seen, rising slowly when none as
  /// short come any more.
  uint64_t ShortEstimate(const std::string& kind) const;
  /// Whether tasks of `kind` take about the same time each.
  bool IsSteady(const std::string& kind) const;
  /// May a worker that holds `held` tasks worth `held_ns` take one more of `kind`, with
  /// `round_trip` between it and the coordinator?
  bool MayTake(std::size_t held, uint64_t held_ns, const std::string& kind,
               std::chrono::nanoseconds round_trip = std::chrono::nanoseconds(0)) const;

 private:
  struct RunTimes {
    double mean_ns = 0;
    double deviation_ns = 0;  // mean absolute deviation from mean_ns
    double short_ns = 0;      // the short end (ShortEstimate)
    uint32_t runs = 0;
  };
  /// The kind's run times, or nullptr when none has finished yet.
  const RunTimes* Find(const std::string& kind) const;

  std::unordered_map<std::string, RunTimes> kinds_;  // nodes: a RunTimes never moves
  // Dispatch asks about one kind many times in a row: the last kind found is remembered
  // (a pointer into kinds_, which is why the policy is not copied).
  mutable std::string last_kind_;
  mutable const RunTimes* last_times_ = nullptr;
};

}  // namespace taskfarm

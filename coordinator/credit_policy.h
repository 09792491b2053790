#pragma once
// CreditPolicy: how many unfinished tasks a worker may hold.
//
// A worker holds, behind the task it is running, queued work worth about kQueueTarget of its
// observed run time: enough that it never waits for the coordinator between short tasks
// (noop: up to kMaxCredit queued; a 1.5 ms command: one queued behind the running one), and
// little enough that a long task never hides others behind it while another worker idles
// (tasks of 2 ms or more: one at a time). A kind never seen yet counts as long.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace taskfarm {

class CreditPolicy {
 public:
  static constexpr std::chrono::nanoseconds kQueueTarget = std::chrono::milliseconds(2);
  static constexpr std::size_t kMaxCredit = 1024;

  /// Learns from a finished task's run time (an exponentially weighted moving average).
  void Observe(const std::string& kind, uint64_t run_ns);
  /// The expected run time of a task of `kind`, in nanoseconds.
  uint64_t Estimate(const std::string& kind) const;
  /// May a worker that holds `held` tasks worth `held_ns` take one more of `kind`?
  bool MayTake(std::size_t held, uint64_t held_ns, const std::string& kind) const;

 private:
  std::unordered_map<std::string, double> average_ns_;
};

}  // namespace taskfarm

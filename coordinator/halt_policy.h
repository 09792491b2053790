#pragma once
// HaltPolicy: --halt, as GNU parallel's: when enough tasks have failed, stop the run
// "soon" (no new tasks; those running finish) or "now" (those running are killed too).
//   --halt never            the default: run everything
//   --halt soon,fail=3      after 3 failures;  --halt now,fail=10%  after 10% of tasks
//   --halt 1 / --halt 2     parallel's shorthands for soon,fail=1 and now,fail=1

#include <cstdint>
#include <optional>
#include <string>

namespace taskfarm {

struct HaltPolicy {
  enum class When { kNever, kSoon, kNow };
  When when = When::kNever;
  uint64_t failures = 0;          // fail=N
  std::optional<double> percent;  // fail=N%: of the tasks finished so far (at least 3)

  /// Whether `failed` failures among `finished` outcomes call for a halt.
  bool Triggered(uint64_t failed, uint64_t finished) const;
};

/// Throws std::invalid_argument with a message naming `text` when it is not a policy.
HaltPolicy ParseHaltPolicy(const std::string& text);

}  // namespace taskfarm

#include "coordinator/progress.h"

#include <cstdio>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

using namespace std::chrono_literals;

TEST(ProgressDisplay, AnOffDisplayIsNeverDueSoTheLoopDoesNotWakeForIt) {
  // The coordinator's poll waits at most TimeUntilDue: an off display (--quiet, a pipe)
  // once said 0, and the loop woke every millisecond of a run.
  const ProgressDisplay off(ProgressDisplay::Mode::kOff, 100ms, stderr);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_FALSE(off.Due(now + 1h));
  EXPECT_GE(off.TimeUntilDue(now), std::chrono::milliseconds(1h));
}

TEST(ProgressDisplay, AnOnDisplayIsDueAtItsInterval) {
  const ProgressDisplay lines(ProgressDisplay::Mode::kLines, 500ms, stderr);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_LE(lines.TimeUntilDue(now), std::chrono::milliseconds(500ms));
  EXPECT_TRUE(lines.Due(now + 501ms));
}

}  // namespace
}  // namespace taskfarm

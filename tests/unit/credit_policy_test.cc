#include "coordinator/credit_policy.h"

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

TEST(CreditPolicy, AnIdleWorkerAlwaysTakesATask) {
  CreditPolicy policy;
  EXPECT_TRUE(policy.MayTake(0, 0, "never-seen"));
}

TEST(CreditPolicy, UnknownKindsGoOneAtATime) {
  CreditPolicy policy;
  EXPECT_FALSE(policy.MayTake(1, policy.Estimate("never-seen"), "never-seen"));
}

TEST(CreditPolicy, ShortTasksQueueUpToTheCap) {
  CreditPolicy policy;
  policy.Observe("noop", 1000);  // 1 us
  EXPECT_TRUE(policy.MayTake(10, uint64_t{10} * 1000, "noop"));
  EXPECT_FALSE(
      policy.MayTake(CreditPolicy::kMaxCredit, CreditPolicy::kMaxCredit * uint64_t{1000}, "noop"));
}

TEST(CreditPolicy, LongTasksGoOneAtATime) {
  CreditPolicy policy;
  policy.Observe("sleep", 200'000'000);
  policy.Observe("sleep", 1'000'000);
  EXPECT_FALSE(policy.MayTake(1, policy.Estimate("sleep"), "sleep"));
}

TEST(CreditPolicy, ATaskOfAMillisecondHasOneQueuedBehindIt) {
  CreditPolicy policy;
  policy.Observe("exec", 1'500'000);  // 1.5 ms: the next waits behind the running one
  EXPECT_TRUE(policy.MayTake(1, 1'500'000, "exec"));
  EXPECT_FALSE(policy.MayTake(2, 3'000'000, "exec"));
}

TEST(CreditPolicy, SteadyLongTasksHaveOneQueuedBehindTheRunningOne) {
  CreditPolicy policy;
  for (int i = 0; i < 10; ++i) policy.Observe("gzip", 4'000'000 + 100'000 * (i % 3));
  EXPECT_TRUE(policy.IsSteady("gzip"));
  EXPECT_TRUE(policy.MayTake(1, 4'000'000, "gzip"));
  EXPECT_FALSE(policy.MayTake(2, 8'000'000, "gzip"));
}

TEST(CreditPolicy, UnevenLongTasksStayOneAtATime) {
  CreditPolicy policy;
  for (int i = 0; i < 20; ++i) policy.Observe("sleep", i % 5 == 4 ? 200'000'000 : 1'000'000);
  EXPECT_FALSE(policy.IsSteady("sleep"));
  EXPECT_FALSE(policy.MayTake(1, policy.Estimate("sleep"), "sleep"));
}

TEST(CreditPolicy, ARemoteWorkerHoldsARoundTripsWorthMore) {
  // Steady 10 ms tasks, 50 ms away: a local worker holds the running one and one queued; the
  // remote one the running one and about 62 ms on the wire: 7 (a task's cycle is 60 ms: 10
  // running, 50 away).
  CreditPolicy policy;
  for (int i = 0; i < 10; ++i) policy.Observe("burn", 10'000'000);
  const auto round_trip = std::chrono::milliseconds(50);
  EXPECT_FALSE(policy.MayTake(2, 20'000'000, "burn"));
  EXPECT_TRUE(policy.MayTake(6, 60'000'000, "burn", round_trip));
  EXPECT_FALSE(policy.MayTake(7, 70'000'000, "burn", round_trip));
}

TEST(CreditPolicy, AnUnevenKindFarAwayQueuesShortOnesEnoughToCoverTheRoundTrip) {
  // 1 ms and 200 ms sleeps, 50 ms away: about 60 queued, as if each were 1 ms (the long
  // ones among them are taken back for idle workers at the end: return_policy.h).
  CreditPolicy policy;
  for (int i = 0; i < 20; ++i) policy.Observe("sleep", i % 5 == 4 ? 200'000'000 : 1'000'000);
  EXPECT_NEAR(static_cast<double>(policy.ShortEstimate("sleep")), 1'050'000.0, 1'000.0)
      << "one long run after the last short one lifts the short end by 5%";
  const uint64_t estimate = policy.Estimate("sleep");
  const auto far = std::chrono::milliseconds(50);
  EXPECT_TRUE(policy.MayTake(50, 50 * estimate, "sleep", far));
  EXPECT_FALSE(policy.MayTake(64, 64 * estimate, "sleep", far));
  const auto near = std::chrono::milliseconds(2);  // 2.5 ms on the wire: two short ones
  EXPECT_TRUE(policy.MayTake(1, estimate, "sleep", near));
  EXPECT_FALSE(policy.MayTake(3, 3 * estimate, "sleep", near));
  EXPECT_FALSE(policy.MayTake(1, estimate, "sleep")) << "on this machine, one at a time";
}

TEST(CreditPolicy, TheShortEndFallsAtOnceAndRisesSlowly) {
  CreditPolicy policy;
  policy.Observe("sleep", 100'000'000);
  policy.Observe("sleep", 1'000'000);
  EXPECT_EQ(policy.ShortEstimate("sleep"), 1'000'000u);
  for (int i = 0; i < 10; ++i) policy.Observe("sleep", 100'000'000);
  EXPECT_NEAR(static_cast<double>(policy.ShortEstimate("sleep")), 1'628'895.0, 1'000.0)
      << "1.05 to the 10th";
}

TEST(CreditPolicy, EstimateFollowsRecentRunTimes) {
  CreditPolicy policy;
  policy.Observe("burn", 1'000'000);
  for (int i = 0; i < 50; ++i) policy.Observe("burn", 100'000);
  EXPECT_NEAR(static_cast<double>(policy.Estimate("burn")), 100'000.0, 1'000.0);
}

}  // namespace
}  // namespace taskfarm

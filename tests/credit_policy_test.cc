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

TEST(CreditPolicy, EstimateFollowsRecentRunTimes) {
  CreditPolicy policy;
  policy.Observe("burn", 1'000'000);
  for (int i = 0; i < 50; ++i) policy.Observe("burn", 100'000);
  EXPECT_NEAR(static_cast<double>(policy.Estimate("burn")), 100'000.0, 1'000.0);
}

}  // namespace
}  // namespace taskfarm

#include "coordinator/return_policy.h"

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

TEST(ReturnPolicy, TheWorkerHoldingMostUnbegunIsAskedForHalfForAnIdleOne) {
  const auto requests = PlanReturns({{5, 0}}, {{1, 4, true}, {2, 9, true}, {3, 2, true}});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].giver, 2u);
  EXPECT_EQ(requests[0].taker, 5u);
  EXPECT_EQ(requests[0].count, 5u) << "a busy worker gives back the larger half";
}

TEST(ReturnPolicy, ATaskQueuedBehindARunningOneGoesToAnIdleWorker) {
  const auto requests = PlanReturns({{5, 0}}, {{7, 1, true}});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count, 1u);
}

TEST(ReturnPolicy, AWorkerThatBeganNothingKeepsItsOnlyTask) {
  EXPECT_TRUE(PlanReturns({{5, 0}}, {{7, 1, false}}).empty()) << "its batch may be on its way";
  const auto requests = PlanReturns({{5, 0}}, {{7, 5, false}});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count, 2u) << "it keeps the larger half";
}

TEST(ReturnPolicy, CountsEvenOutBeforeAWorkerRunsDry) {
  const auto requests = PlanReturns({{5, 3}}, {{7, 11, true}});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count, 4u) << "half of the difference, 11 - 3";
  EXPECT_TRUE(PlanReturns({{5, 3}}, {{7, 4, true}}).empty()) << "nearly even: nothing moves";
  EXPECT_TRUE(PlanReturns({{5, 3}}, {{5, 9, true}}).empty()) << "not from itself";
}

TEST(ReturnPolicy, EachTakerGetsAGiverOfItsOwn) {
  const auto requests = PlanReturns({{8, 1}, {9, 0}}, {{1, 3, true}, {2, 6, true}, {3, 5, true}});
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].taker, 9u) << "the one holding least first";
  EXPECT_EQ(requests[0].giver, 2u);
  EXPECT_EQ(requests[1].taker, 8u);
  EXPECT_EQ(requests[1].giver, 3u);
  EXPECT_TRUE(PlanReturns({}, {{1, 3, true}}).empty()) << "no taker, nothing asked";
}

}  // namespace
}  // namespace taskfarm

// Rate shares: what each host (and the local pool) may draw of a global limit.

#include <cmath>

#include <gtest/gtest.h>

#include "coordinator/rate_shares.h"

namespace taskfarm {
namespace {

RateSpec Spec(const std::string& name, std::vector<RateWindow> windows) {
  return RateSpec{name, std::move(windows)};
}

TEST(RateShares, SharesAreProportionalAndAddUpToAtMostTheLimit) {
  const std::vector<RateSpec> global{Spec("google", {{50, 50}, {1000.0 / 60, 1000}})};
  const uint32_t weights[] = {1, 3, 4};  // local pool, host A, host B
  double rate_sum = 0;
  double burst_sum = 0;
  for (uint32_t weight : weights) {
    const auto share = ShareOf(global, 0, weight, 8);
    ASSERT_EQ(share.size(), 1u);
    EXPECT_EQ(share[0].name, "google");
    ASSERT_EQ(share[0].windows.size(), 2u);
    EXPECT_DOUBLE_EQ(share[0].windows[0].per_second, 50.0 * weight / 8);
    rate_sum += share[0].windows[0].per_second;
    burst_sum += share[0].windows[0].burst;
  }
  EXPECT_LE(rate_sum, 50.0 + 1e-9);
  EXPECT_LE(burst_sum, 50.0 + 1e-9);
}

TEST(RateShares, ASmallShareStillHoldsOneTokenAndIsNeverRoundedUp) {
  const auto share = ShareOf({Spec("nominatim", {{1, 1}})}, 0, 1, 10);
  EXPECT_DOUBLE_EQ(share[0].windows[0].per_second, 0.1);
  EXPECT_DOUBLE_EQ(share[0].windows[0].burst, 1.0);  // a bucket must be able to grant
}

TEST(RateShares, NoWeightAtAllMeansTheWholeLimit) {
  const auto share = ShareOf({Spec("default", {{10, 10}})}, 0, 0, 0);
  EXPECT_DOUBLE_EQ(share[0].windows[0].per_second, 10.0);
}

TEST(RateShares, AStrictRateIsSharedInWholeGrantsThatAddUpToIt) {
  // 40 a second strictly, 16 hosts of one worker: 2.5 each would let each host grant 3 in
  // some second (48 in all); whole grants give 8 hosts 3 and 8 hosts 2.
  RateSpec strict = Spec("nominatim", {{40, 0, 1}});
  ApplyStrict(strict, std::chrono::milliseconds(50));
  double grants = 0;
  int threes = 0;
  for (uint32_t host = 0; host < 16; ++host) {
    const auto share = ShareOf({strict}, host, 1, 16);
    const RateWindow& window = share[0].windows[0];
    const double per_span = window.per_second * 1.05;
    EXPECT_NEAR(per_span, std::round(per_span), 1e-9) << "host " << host << ": whole grants";
    EXPECT_DOUBLE_EQ(window.burst, 1.0);
    grants += per_span;
    threes += std::round(per_span) == 3 ? 1 : 0;
  }
  EXPECT_NEAR(grants, 40.0, 1e-9);
  EXPECT_EQ(threes, 8);
}

TEST(RateShares, AStrictShareTooSmallForOneGrantIsFractional) {
  // 2 a second strictly over 4 hosts: two get one grant a span, two would get none and get
  // a fractional share instead (then a span may see one more per such host).
  RateSpec strict = Spec("slow", {{2, 0, 1}});
  ApplyStrict(strict, std::chrono::milliseconds(50));
  const double whole = ShareOf({strict}, 1, 1, 4)[0].windows[0].per_second * 1.05;
  const double fractional = ShareOf({strict}, 0, 1, 4)[0].windows[0].per_second * 1.05;
  EXPECT_NEAR(whole, 1.0, 1e-9);
  EXPECT_NEAR(fractional, 0.5, 1e-9);
}

TEST(RateShares, WireRoundTripKeepsEveryWindowAndDropsEmptyOnes) {
  const std::vector<RateSpec> specs{Spec("a", {{2, 2}, {1.0, 60}}), Spec("b", {{5, 7}})};
  const auto back = FromWire(ToWire(specs));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "a");
  ASSERT_EQ(back[0].windows.size(), 2u);
  EXPECT_DOUBLE_EQ(back[0].windows[1].burst, 60.0);
  EXPECT_DOUBLE_EQ(back[1].windows[0].per_second, 5.0);

  std::vector<wire::BucketRate> hostile{{"zero", {0.0}, {1.0}}, {"short", {1.0, 2.0}, {1.0}}};
  const auto kept = FromWire(hostile);
  ASSERT_EQ(kept.size(), 1u);  // a zero rate is no bucket; mismatched lists are cut
  EXPECT_EQ(kept[0].name, "short");
  EXPECT_EQ(kept[0].windows.size(), 1u);
}

}  // namespace
}  // namespace taskfarm

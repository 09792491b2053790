#include "shared/rate_spec.h"

#include <cmath>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

RateSpec Parse(std::string_view text) {
  std::string error;
  auto spec = ParseRateSpec(text, error);
  EXPECT_TRUE(spec.has_value()) << text << ": " << error;
  return spec.value_or(RateSpec{});
}

std::string ErrorOf(std::string_view text) {
  std::string error;
  EXPECT_FALSE(ParseRateSpec(text, error).has_value()) << text;
  return error;
}

TEST(RateSpec, UnitsAndNames) {
  EXPECT_EQ(Parse("10/s").name, "default");
  EXPECT_DOUBLE_EQ(Parse("10/s").windows[0].per_second, 10);
  EXPECT_DOUBLE_EQ(Parse("google=50/s").windows[0].per_second, 50);
  EXPECT_EQ(Parse("google=50/s").name, "google");
  EXPECT_DOUBLE_EQ(Parse("x=120/min").windows[0].per_second, 2);
  EXPECT_DOUBLE_EQ(Parse("x=7200/h").windows[0].per_second, 2);
  EXPECT_DOUBLE_EQ(Parse("x=86400/day").windows[0].per_second, 1);
  EXPECT_DOUBLE_EQ(Parse("x=0.5/s").windows[0].per_second, 0.5);
}

TEST(RateSpec, SeveralWindows) {
  RateSpec spec = Parse("locationiq=2/s,60/min");
  ASSERT_EQ(spec.windows.size(), 2u);
  EXPECT_DOUBLE_EQ(spec.windows[0].per_second, 2);
  EXPECT_DOUBLE_EQ(spec.windows[1].per_second, 1);
  EXPECT_EQ(FormatRate(spec), "2/s,1/s");
}

TEST(RateSpec, BurstDefaultsToOneSecondsWorth) {
  RateSpec spec = Parse("a=50/s,30/min");
  ApplyBurst(spec, std::nullopt);
  EXPECT_DOUBLE_EQ(spec.windows[0].burst, 50);
  EXPECT_DOUBLE_EQ(spec.windows[1].burst, 1);  // at least one token
  RateSpec given = Parse("a=50/s");
  ApplyBurst(given, 5);
  EXPECT_DOUBLE_EQ(given.windows[0].burst, 5);
}

TEST(RateSpec, AStrictWindowSpacesItsTokensOverItsUnitAndTheJitter) {
  RateSpec spec = Parse("a=50/s,60/min");
  ApplyStrict(spec, std::chrono::milliseconds(50));
  // 50 per 1.05 s and 60 per 60.05 s, one token at a time.
  EXPECT_NEAR(spec.windows[0].per_second, 50 / 1.05, 1e-9);
  EXPECT_NEAR(spec.windows[1].per_second, 60 / 60.05, 1e-9);
  EXPECT_DOUBLE_EQ(spec.windows[0].burst, 1);
  EXPECT_DOUBLE_EQ(spec.windows[1].burst, 1);
  ApplyBurst(spec, std::nullopt);
  EXPECT_DOUBLE_EQ(spec.windows[0].burst, 1) << "a default burst does not undo it";
}

TEST(RateSpec, ClearErrorsNameTheValue) {
  EXPECT_NE(ErrorOf("10").find("'10'"), std::string::npos);
  EXPECT_NE(ErrorOf("10/fortnight").find("unknown unit 'fortnight'"), std::string::npos);
  EXPECT_NE(ErrorOf("-3/s").find("not a positive number"), std::string::npos);
  EXPECT_NE(ErrorOf("0/s").find("not a positive number"), std::string::npos);
  EXPECT_NE(ErrorOf("abc/s").find("not a positive number"), std::string::npos);
  EXPECT_NE(ErrorOf("a b=1/s").find("bucket name"), std::string::npos);
  EXPECT_NE(ErrorOf("=1/s").find("bucket name"), std::string::npos);
  EXPECT_NE(ErrorOf("a=1/s,").find("nothing after"), std::string::npos);
  EXPECT_NE(ErrorOf("a=").find("no R/UNIT"), std::string::npos);
  EXPECT_NE(ErrorOf("a=1/s,1/s,1/s,1/s,1/s").find("at most"), std::string::npos);
  EXPECT_FALSE(ErrorOf("nan/s").empty());
  EXPECT_FALSE(ErrorOf("inf/s").empty());
}

// Numbers that would wrap in the bucket's 64-bit nanosecond clock are refused, not run.
TEST(RateSpec, RatesTooSlowForTheBucketsClockAreRefused) {
  EXPECT_NE(ErrorOf("1e-12/s").find("fewer than one token a year"), std::string::npos);
  std::string error;
  EXPECT_TRUE(ParseRateSpec("1/day", error).has_value()) << error;
}

TEST(RateSpec, BurstsThatAreNotANumberOfTokensAreRefused) {
  const auto burst_error = [](const std::string& text, double burst) {
    RateSpec spec = Parse(text);
    ApplyBurst(spec, burst);
    return CheckBursts(spec).value_or("");
  };
  EXPECT_NE(burst_error("a=5/s", std::nan("")).find("1 to 1000000 tokens"), std::string::npos);
  EXPECT_NE(burst_error("a=5/s", 0.5).find("1 to 1000000 tokens"), std::string::npos);
  EXPECT_NE(burst_error("a=5/s", 2e6).find("1 to 1000000 tokens"), std::string::npos);
  EXPECT_NE(burst_error("a=1/day", 1e6).find("at most 10 years"), std::string::npos);
  EXPECT_EQ(burst_error("a=5/s", 10), "");
}

}  // namespace
}  // namespace taskfarm

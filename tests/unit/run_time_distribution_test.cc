#include "coordinator/run_time_distribution.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

// The run at position floor(fraction x (n - 1)) in sorted order, as the summary reports it.
double ExactPercentileMillis(std::vector<uint64_t> runs, double fraction) {
  const auto position = static_cast<std::size_t>(fraction * static_cast<double>(runs.size() - 1));
  std::nth_element(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(position), runs.end());
  return static_cast<double>(runs[position]) / 1e6;
}

TEST(RunTimeDistribution, NoRunsReportZero) {
  const RunTimeDistribution runs;
  EXPECT_EQ(runs.PercentileMillis(0.5), 0);
  EXPECT_EQ(runs.MaxMillis(), 0);
  EXPECT_EQ(runs.count(), 0u);
}

TEST(RunTimeDistribution, RunsThatAllTookTheSameTimeReportItExactly) {
  RunTimeDistribution runs;
  for (int i = 0; i < 1000; ++i) runs.Add(1'234'567);
  EXPECT_DOUBLE_EQ(runs.PercentileMillis(0.5), 1.234567);
  EXPECT_DOUBLE_EQ(runs.PercentileMillis(0.95), 1.234567);
  EXPECT_DOUBLE_EQ(runs.MaxMillis(), 1.234567);
}

TEST(RunTimeDistribution, PercentilesAreWithinHalfAPercentOfTheExactOnes) {
  // Log-normal run times around 2 ms spanning several decades, and a bimodal mix (1 ms and
  // 200 ms, as uneven sleeps are), each against the exact order statistic.
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> lognormal(std::log(2e6), 1.5);
  std::vector<uint64_t> spread(100'000);
  for (uint64_t& run : spread) run = static_cast<uint64_t>(lognormal(random));
  std::vector<uint64_t> bimodal;
  for (int i = 0; i < 5000; ++i) bimodal.push_back(i % 5 == 4 ? 200'000'000 + i : 1'000'000 + i);
  for (const std::vector<uint64_t>* sample : {&spread, &bimodal}) {
    RunTimeDistribution runs;
    for (uint64_t run : *sample) runs.Add(run);
    ASSERT_EQ(runs.count(), sample->size());
    for (double fraction : {0.0, 0.01, 0.5, 0.79, 0.8, 0.95, 0.999, 1.0}) {
      const double exact = ExactPercentileMillis(*sample, fraction);
      EXPECT_NEAR(runs.PercentileMillis(fraction), exact, exact * 0.005) << "fraction " << fraction;
    }
    EXPECT_DOUBLE_EQ(runs.MaxMillis(),
                     static_cast<double>(*std::max_element(sample->begin(), sample->end())) / 1e6);
  }
}

TEST(RunTimeDistribution, RunsOutsideTheBinnedRangeAreKeptAtItsEnds) {
  RunTimeDistribution runs;
  runs.Add(0);                    // a no-op measured as no time at all
  runs.Add(40);                   // below the first bin
  runs.Add(200'000'000'000'000);  // 55 hours: beyond the last
  EXPECT_EQ(runs.PercentileMillis(0.0), 0);
  EXPECT_DOUBLE_EQ(runs.PercentileMillis(0.5), 0);  // the underflow bin reports the shortest
  EXPECT_DOUBLE_EQ(runs.PercentileMillis(1.0), 200'000'000.0);
  EXPECT_DOUBLE_EQ(runs.MaxMillis(), 200'000'000.0);
}

}  // namespace
}  // namespace taskfarm

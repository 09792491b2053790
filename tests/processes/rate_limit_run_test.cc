// Rate limits in a real run: the coordinator's segment, the workers drawing from it, and
// nothing left in /dev/shm on any path.

#include <signal.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::seconds;

TEST(RateLimitRun, WorkersShareOneBudgetThatStartsEmpty) {
  TempDir tmp;
  Taskfarm farm({"run", "--tick", "60", "--rate", "api=40/s", "--workers", "4", "--json",
                 "--quiet"},
                tmp);
  // While it runs, its segment exists and is the coordinator's.
  EXPECT_TRUE(WaitFor([&] { return !SegmentsOwnedBy(farm.pid()).empty(); }, seconds(5)));
  RunOutput run = farm.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["rate_limits"]["api"]["granted"], 60);
  EXPECT_EQ(summary["rate_limits"]["api"]["rate"], "40/s");
  // Zero tokens at start and 40/s at most: 60 tokens take at least 1.5 s.
  EXPECT_GE(summary["wall_s"].get<double>(), 1.5);
  EXPECT_TRUE(SegmentsOwnedBy(farm.pid()).empty()) << "removed at exit";
}

TEST(RateLimitRun, SigkilledCoordinatorLeavesNoSegment) {
  TempDir tmp;
  Taskfarm farm({"run", "--tick", "1000", "--rate", "10/s", "--workers", "2", "--out",
                 (tmp / "r.jsonl").string()},
                tmp);
  ASSERT_TRUE(WaitFor([&] { return !SegmentsOwnedBy(farm.pid()).empty(); }, seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(tmp / "r.jsonl").empty(); }, seconds(10)));
  farm.Signal(SIGKILL);
  EXPECT_EQ(farm.Wait().exit_code, 128 + SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return SegmentsOwnedBy(farm.pid()).empty(); }, seconds(5)))
      << "the workers remove the segment of their dead coordinator";
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(tmp.path().string()).empty(); },
                      seconds(5)));
}

TEST(RateLimitRun, StaleSegmentOfADeadCoordinatorIsRemovedAtStart) {
  // PID 2^22+1 is above Linux's pid_max default and cannot be alive.
  const std::string stale = "/taskfarm-4194305-deadbeef";
  const int fd = shm_open(stale.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--noop", "5", "--quiet"}, tmp);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_TRUE(SegmentsOwnedBy(4194305).empty());
}

TEST(RateLimitRun, SegmentIsRemovedWhenTheRunFailsAndWhenInterrupted) {
  TempDir tmp;
  RunOutput failed = RunTaskfarm({"run", "--tick", "3", "--fault", "2", "--rate", "50/s",
                                  "--quiet"},
                                 tmp);
  EXPECT_EQ(failed.exit_code, 1);
  Taskfarm farm({"run", "--tick", "1000", "--rate", "20/s", "--quiet"}, tmp);
  ASSERT_TRUE(WaitFor([&] { return !SegmentsOwnedBy(farm.pid()).empty(); }, seconds(5)));
  farm.Signal(SIGINT);
  EXPECT_EQ(farm.Wait().exit_code, 130);
  EXPECT_TRUE(SegmentsOwnedBy(farm.pid()).empty());
}

TEST(RateLimitRun, BadRateSpecsAreRefusedWithAClearLine) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--tick", "3", "--rate", "api=3/fortnight"}, tmp);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--rate 'api=3/fortnight': unknown unit 'fortnight'"), std::string::npos)
      << run.err;
  RunOutput twice = RunTaskfarm({"run", "--tick", "3", "--rate", "a=1/s", "--rate", "a=2/s"}, tmp);
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("given twice"), std::string::npos) << twice.err;
  RunOutput no_rate = RunTaskfarm({"run", "--tick", "3"}, tmp);
  EXPECT_EQ(no_rate.exit_code, 2);
}

}  // namespace
}  // namespace taskfarm::testing

// Rate limits in a real run: the coordinator's segment, the workers drawing from it, and
// nothing left in /dev/shm on any path.

#include <signal.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <string>

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

// The burn and tick counts at the first progress line where every burn task is done.
struct WhenCpuKindFinished {
  bool seen = false;
  int ticks_done = 0;
};

WhenCpuKindFinished ProgressWhenBurnFinished(const std::string& err, int burn_total) {
  const std::regex kind_line(R"(progress t=[0-9.]+s kind=(burn|tick) done=(\d+)/)");
  WhenCpuKindFinished when;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (!std::regex_search(line, match, kind_line)) continue;
    const int done = std::stoi(match[2]);
    if (match[1] == "tick") {
      when.ticks_done = done;
    } else if (done == burn_total) {
      when.seen = true;
      return when;
    }
  }
  return when;
}

TEST(RateLimitRun, TasksWaitingForATokenHoldNoCpuSlot) {
  // 60 tokens at 20/s take 3 s; 200 CPU tasks of 5 ms take about 0.5 s on two workers. Were a
  // task waiting for its token to hold its worker's CPU lane, the CPU tasks would be paced by
  // the tokens and finish with the last ticks (they did: burn ended after tick 60 of 60).
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--burn", "200", "--burn-us", "5000", "--tick", "60",
                               "--rate", "api=20/s", "--workers", "2", "--progress-interval",
                               "0.1"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const WhenCpuKindFinished when = ProgressWhenBurnFinished(run.err, 200);
  ASSERT_TRUE(when.seen) << run.err;
  // Half the ticks, 1.5 s: three times the CPU tasks' own time, for a loaded machine.
  EXPECT_LE(when.ticks_done, 30) << run.err;
}

TEST(RateLimitRun, AStrictRateNeverGivesAServiceMoreThanItsCountInAnySecond) {
  // The service refuses a request that would make 20 within the last second (a sliding
  // window, as strict providers count). Tokens spaced at exactly 1/20 s would be refused now
  // and then (requests reach it with a few ms of jitter: 21 in a second); strict spacing
  // keeps every second at 20 or fewer.
  TempDir tmp;
  GeoServerProcess server({"--max-rate", "20"}, tmp);
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 60).string(), "--provider",
                               "nominatim", "--endpoint", server.url(), "--rate",
                               "nominatim=20/s", "--strict-rate", "--workers", "2", "--json",
                               "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto stats = server.Stats();
  EXPECT_EQ(stats["refused"], 0) << stats.dump();
  EXPECT_LE(stats["max_in_a_second"].get<int>(), 20) << stats.dump();
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["rate_limits"]["nominatim"]["backoffs"], 0);
  EXPECT_EQ(summary["rate_limits"]["nominatim"]["burst"], 1);

  RunOutput contradiction = RunTaskfarm(
      {"run", "--noop", "1", "--rate", "5/s", "--strict-rate", "--burst", "5"}, tmp);
  EXPECT_EQ(contradiction.exit_code, 2);
  EXPECT_NE(contradiction.err.find("--burst 5 contradicts it"), std::string::npos)
      << contradiction.err;
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

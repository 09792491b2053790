// The shared token bucket under real concurrency: separate processes (fork), each mapping the
// segment on its own, as workers do.

#include "shared/token_bucket.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "shared/rate_limiter.h"

namespace taskfarm {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

std::unique_ptr<RateLimiter> MakeLimiter(double per_second, double burst,
                                         const std::vector<double>& more_windows = {}) {
  RateSpec spec{"t", {{per_second, burst}}};
  for (double rate : more_windows) spec.windows.push_back({rate, 1});
  return RateLimiter::Create({spec});
}

// A child process that acquires tokens until `deadline_ns` and reports each grant time.
struct Acquirer {
  pid_t pid = 0;
  int read_fd = -1;
};

Acquirer StartAcquirer(const std::string& segment, uint64_t deadline_ns) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto limiter = RateLimiter::Open(segment);
    TokenBucket* bucket = limiter->Find("t");
    while (auto slot = bucket->Acquire(1, deadline_ns)) {
      if (write(fds[1], &*slot, sizeof(*slot)) != sizeof(*slot)) _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Waits for the child and returns the grant times it reported.
std::vector<uint64_t> Finish(const Acquirer& acquirer) {
  std::vector<uint64_t> slots;
  uint64_t slot = 0;
  while (read(acquirer.read_fd, &slot, sizeof(slot)) == sizeof(slot)) slots.push_back(slot);
  close(acquirer.read_fd);
  int status = 0;
  waitpid(acquirer.pid, &status, 0);
  return slots;
}

struct Totals {
  uint64_t all = 0;
  uint64_t fewest = UINT64_MAX;
};

Totals RunAcquirers(double per_second, double burst, int processes, uint64_t seconds) {
  auto limiter = MakeLimiter(per_second, burst);
  const uint64_t deadline = MonotonicNanos() + seconds * kSecond;
  std::vector<Acquirer> acquirers;
  acquirers.reserve(static_cast<std::size_t>(processes));
  for (int i = 0; i < processes; ++i) {
    acquirers.push_back(StartAcquirer(limiter->segment_name(), deadline));
  }
  Totals totals;
  for (const Acquirer& acquirer : acquirers) {
    const uint64_t n = Finish(acquirer).size();
    totals.all += n;
    totals.fewest = std::min(totals.fewest, n);
  }
  return totals;
}

class RateAccuracy : public ::testing::TestWithParam<double> {};

TEST_P(RateAccuracy, EightProcessesGetTheRateAndNeverMore) {
  const double rate = GetParam();
  const uint64_t seconds = 3;
  const Totals totals = RunAcquirers(rate, 1, 8, seconds);
  const double expected = rate * static_cast<double>(seconds);
  EXPECT_LE(static_cast<double>(totals.all), expected + 1) << "rate x T + burst";
  // Demand exceeds the rate, so the tokens are all taken but for the acquirers' own delays:
  // 97.5% at 2000/s seen with eight AddressSanitizer processes on two busy cores.
  EXPECT_GE(static_cast<double>(totals.all), 0.95 * expected);
  EXPECT_GE(static_cast<double>(totals.fewest), 0.5 * expected / 8) << "a process starved";
}

INSTANTIATE_TEST_SUITE_P(Rates, RateAccuracy, ::testing::Values(5.0, 200.0, 2000.0));

TEST(TokenBucket, TokensReservedAheadAreUsedOnlyWhenTheirTimeComes) {
  // Requests in flight reserve their slots far ahead; a live rate that counted reservations
  // would read as a burst at the start and a stall after it.
  auto limiter = MakeLimiter(1000, 1);
  TokenBucket* bucket = limiter->Find("t");
  const uint64_t now = MonotonicNanos();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bucket->Reserve(1, UINT64_MAX, now));
  EXPECT_EQ(bucket->counters().granted, 5u);
  EXPECT_EQ(bucket->counters().used, 0u);
  bucket->CountUsed(1, now);
  ASSERT_TRUE(bucket->Acquire(1));
  EXPECT_EQ(bucket->counters().granted, 6u);
  EXPECT_EQ(bucket->counters().used, 2u) << "Acquire counts its own token when it returns";
}

TEST(TokenBucket, ANewRateVoidsTheSlotsReservedAheadAtTheOldOne) {
  // Waiters (a network lane holds dozens) sleep on slots reserved at the old spacing; if they
  // kept them, a share that grew when a host left would be spent beside the old spacing for
  // seconds: the host's share spent twice (measured: 52-68 requests in a second at 40/s).
  auto limiter = MakeLimiter(10, 1);
  TokenBucket* bucket = limiter->Find("t");
  const uint64_t reserved_at = MonotonicNanos();
  std::vector<uint64_t> slots;
  for (int i = 0; i < 10; ++i) slots.push_back(*bucket->Reserve(1, UINT64_MAX, reserved_at));
  const uint64_t changed_at = MonotonicNanos();
  bucket->SetRate({"t", {{20, 1}}}, changed_at);
  for (uint64_t slot : slots) {
    EXPECT_EQ(bucket->Voided(slot, reserved_at), slot > changed_at);
  }
  // Reserved again, the first comes one new interval after the change, not after the ten.
  const uint64_t again = *bucket->Reserve(1, UINT64_MAX, changed_at);
  EXPECT_LE(again, changed_at + kSecond / 20 + kSecond / 1000);
  EXPECT_FALSE(bucket->Voided(again, changed_at + 1));
}

TEST(TokenBucket, ShareChangesFasterThanItsIntervalStillLetTokensThrough) {
  // Hosts joining and leaving every quarter second re-divide the rate each time; a share of
  // 5/s (a token every 200 ms) that restarted empty at each change would never grant one.
  auto limiter = MakeLimiter(5, 1);
  TokenBucket* bucket = limiter->Find("t");
  std::atomic<bool> done{false};
  std::thread changer([&] {
    for (int i = 0; !done; ++i) {
      bucket->SetRate({"t", {{i % 2 == 0 ? 4.0 : 5.0, 1}}}, MonotonicNanos());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const uint64_t deadline = MonotonicNanos() + 2 * kSecond;
  int granted = 0;
  while (bucket->Acquire(1, deadline)) ++granted;
  done = true;
  changer.join();
  EXPECT_GE(granted, 6) << "about 9 at 4-5/s over 2 s";
  EXPECT_LE(granted, 11);
}

TEST(TokenBucket, StartsWithZeroTokens) {
  // Capacity of a whole second, yet the first second grants at most one second's worth.
  const Totals totals = RunAcquirers(100, 100, 4, 1);
  EXPECT_LE(totals.all, 100u);
  EXPECT_GE(totals.all, 90u);
}

TEST(TokenBucket, BurstAfterAQuietSpellIsTheCapacity) {
  auto limiter = MakeLimiter(100, 10);
  TokenBucket* bucket = limiter->Find("t");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // fills up: 30 > capacity
  int taken = 0;
  while (bucket->TryAcquire()) ++taken;
  EXPECT_GE(taken, 10);
  EXPECT_LE(taken, 11);  // the capacity, plus one token that may accrue meanwhile
}

TEST(TokenBucket, TryAcquireNeverWaitsAndNeverOverdraws) {
  auto limiter = MakeLimiter(10, 1);
  TokenBucket* bucket = limiter->Find("t");
  EXPECT_FALSE(bucket->TryAcquire()) << "zero tokens at start";
  const uint64_t start = MonotonicNanos();
  EXPECT_FALSE(bucket->Acquire(1, start + kSecond / 20).has_value()) << "deadline before token";
  EXPECT_LT(MonotonicNanos() - start, kSecond / 20) << "gave up without sleeping";
  EXPECT_THROW(bucket->Acquire(2), std::invalid_argument) << "more than the capacity";
}

TEST(TokenBucket, SeveralWindowsAreAllHonoured) {
  // 50/s, but also 2/s: the slower window decides.
  auto limiter = MakeLimiter(50, 1, {2});
  const uint64_t deadline = MonotonicNanos() + 2 * kSecond;
  std::vector<Acquirer> acquirers;
  acquirers.reserve(4);
  for (int i = 0; i < 4; ++i) acquirers.push_back(StartAcquirer(limiter->segment_name(), deadline));
  std::vector<uint64_t> all;
  for (const Acquirer& acquirer : acquirers) {
    auto slots = Finish(acquirer);
    all.insert(all.end(), slots.begin(), slots.end());
  }
  EXPECT_LE(all.size(), 4u);
  EXPECT_GE(all.size(), 3u);
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i] - all[i - 1], kSecond / 2 - 1000);
}

TEST(TokenBucket, KilledProcessesDoNotWedgeTheOthers) {
  const double rate = 100;
  auto limiter = MakeLimiter(rate, 1);
  const uint64_t start = MonotonicNanos();
  const uint64_t end = start + 3 * kSecond;
  std::vector<Acquirer> survivors;
  survivors.reserve(4);
  for (int i = 0; i < 4; ++i) survivors.push_back(StartAcquirer(limiter->segment_name(), end));
  // For two seconds, start a greedy process and SIGKILL it a few milliseconds later.
  std::mt19937 random(42);
  int killed = 0;
  while (MonotonicNanos() < start + 2 * kSecond) {
    Acquirer victim = StartAcquirer(limiter->segment_name(), end);
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 30'000));
    kill(victim.pid, SIGKILL);
    Finish(victim);
    ++killed;
  }
  uint64_t last_second = 0;
  for (const Acquirer& survivor : survivors) {
    for (uint64_t slot : Finish(survivor)) last_second += slot >= end - kSecond;
  }
  EXPECT_GT(killed, 20);
  EXPECT_GE(static_cast<double>(last_second), 0.9 * rate) << "survivors get the full rate";
  EXPECT_LE(limiter->Find("t")->counters().granted, static_cast<uint64_t>(3 * rate) + 1);
}

TEST(TokenBucket, BackOffPausesEveryProcess) {
  auto limiter = MakeLimiter(100, 1);
  const uint64_t start = MonotonicNanos();
  const uint64_t end = start + 2500 * kSecond / 1000;
  std::vector<Acquirer> acquirers;
  acquirers.reserve(4);
  for (int i = 0; i < 4; ++i) acquirers.push_back(StartAcquirer(limiter->segment_name(), end));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t called = MonotonicNanos();
  const uint64_t until = called + kSecond;
  limiter->Find("t")->BackOff(until);
  uint64_t during = 0, before = 0, after = 0;
  for (const Acquirer& acquirer : acquirers) {
    for (uint64_t slot : Finish(acquirer)) {
      if (slot < called) {
        ++before;
      } else if (slot < until) {
        ++during;
      } else {
        ++after;
      }
    }
  }
  EXPECT_EQ(during, 0u) << "a token was granted during the back-off";
  EXPECT_GT(before, 20u);
  EXPECT_GT(after, 50u);
  EXPECT_EQ(limiter->Find("t")->counters().backoffs, 1u);
}

TEST(RateLimiter, SegmentIsPrivateAndGoneWithItsOwner) {
  std::string name;
  {
    auto limiter = MakeLimiter(1, 1);
    name = limiter->segment_name();
    struct stat info {};
    ASSERT_EQ(stat(("/dev/shm/" + name).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto view = RateLimiter::Open(name);
    EXPECT_NE(view->Find("t"), nullptr);
    EXPECT_EQ(view->Find("nope"), nullptr);
  }
  EXPECT_THROW(RateLimiter::Open(name), std::runtime_error);
}

}  // namespace
}  // namespace taskfarm

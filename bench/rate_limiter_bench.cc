// rate_limiter_bench: the shared token bucket's costs (bench/rate.py runs it beside its Python baseline).
//   - try_acquire latency, uncontended and with 2 processes contending on one bucket;
//   - CPU time used by 16 processes blocked in acquire at 10/s for 3 s (must be near zero).

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "shared/rate_limiter.h"

namespace {

using taskfarm::MonotonicNanos;
using taskfarm::RateLimiter;
using taskfarm::RateSpec;

constexpr int kCalls = 2'000'000;

// ns per TryAcquire over kCalls calls, from a fresh mapping of the segment.
double TryAcquireNanos(const std::string& segment) {
  auto limiter = RateLimiter::Open(segment);
  auto* bucket = limiter->Find("b");
  const uint64_t start = MonotonicNanos();
  for (int i = 0; i < kCalls; ++i) bucket->TryAcquire();
  return static_cast<double>(MonotonicNanos() - start) / kCalls;
}

double ContendedNanos(const std::string& segment, int processes) {
  std::vector<int> reads;
  for (int p = 0; p < processes; ++p) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    if (fork() == 0) {
      const double ns = TryAcquireNanos(segment);
      if (write(fds[1], &ns, sizeof(ns)) != sizeof(ns)) _exit(1);
      _exit(0);
    }
    close(fds[1]);
    reads.push_back(fds[0]);
  }
  double worst = 0;
  for (int fd : reads) {
    double ns = 0;
    if (read(fd, &ns, sizeof(ns)) == sizeof(ns) && ns > worst) worst = ns;
    close(fd);
    wait(nullptr);
  }
  return worst;
}

}  // namespace

int main() {
  // A bucket that never runs dry measures the granting path; one that is always dry, the
  // refusing path.
  auto plenty = RateLimiter::Create({RateSpec{"b", {{1e6, 1e6}}}});
  auto dry = RateLimiter::Create({RateSpec{"b", {{0.001, 1}}}});
  std::printf("shared token bucket: try_acquire latency, ns per call (%d calls)\n", kCalls);
  std::printf("%-34s%12s%12s\n", "", "granted", "refused");
  std::printf("%-34s%12.1f%12.1f\n", "1 process", TryAcquireNanos(plenty->segment_name()),
              TryAcquireNanos(dry->segment_name()));
  std::printf("%-34s%12.1f%12.1f\n", "2 processes contending (slower)",
              ContendedNanos(plenty->segment_name(), 2), ContendedNanos(dry->segment_name(), 2));

  auto slow = RateLimiter::Create({RateSpec{"b", {{10, 1}}}});
  const uint64_t deadline = MonotonicNanos() + 3'000'000'000ull;
  const int kBlocked = 16;
  for (int p = 0; p < kBlocked; ++p) {
    if (fork() == 0) {
      auto limiter = RateLimiter::Open(slow->segment_name());
      while (limiter->Find("b")->Acquire(1, deadline)) {
      }
      _exit(0);
    }
  }
  double cpu_ms = 0;
  for (int p = 0; p < kBlocked; ++p) {
    rusage usage{};
    int status = 0;
    wait4(-1, &status, 0, &usage);
    cpu_ms += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  }
  std::printf("\n16 processes blocked in acquire at 10/s for 3 s: %lu tokens granted, "
              "%.1f ms CPU in all (%.3f%% of one core)\n",
              static_cast<unsigned long>(slow->Find("b")->counters().granted), cpu_ms,
              cpu_ms / 3000.0 * 100);
  return 0;
}

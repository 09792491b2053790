#pragma once
// Clocks: one monotonic clock for every duration and deadline, and thread CPU time.

#include <time.h>

#include <chrono>
#include <cstdint>

namespace taskfarm {

using MonoClock = std::chrono::steady_clock;

inline uint64_t ToNanos(MonoClock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

/// CPU time the calling thread has used, in nanoseconds.
inline uint64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace taskfarm

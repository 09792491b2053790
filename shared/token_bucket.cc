#include "shared/token_bucket.h"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace taskfarm {
namespace {

constexpr double kNanosPerSecond = 1e9;

void SleepUntilNanos(uint64_t when_ns) {
  timespec until{static_cast<time_t>(when_ns / 1'000'000'000),
                 static_cast<long>(when_ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

// Raises `target` to at least `value`.
void AtomicMax(std::atomic<uint64_t>& target, uint64_t value) {
  uint64_t current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

// The earliest time `window` grants n tokens, given its TAT.
uint64_t EarliestGrant(const GcraWindow& window, uint64_t tat, uint32_t n) {
  const uint64_t last = tat + (n - 1) * window.interval_ns.load();
  const uint64_t tolerance = window.tolerance_ns.load();
  return last > tolerance ? last - tolerance : 0;
}

// Interval rounded up, so a window never grants faster than its rate.
void SetWindow(GcraWindow& window, const RateWindow& rate) {
  const uint64_t interval =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(kNanosPerSecond / rate.per_second)));
  const auto burst = static_cast<uint32_t>(std::max(1.0, std::floor(rate.burst)));
  window.interval_ns.store(interval);
  window.burst.store(burst);
  window.tolerance_ns.store((burst - 1) * interval);
}

}  // namespace

uint64_t MonotonicNanos() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(now.tv_nsec);
}

void TokenBucket::Init(const RateSpec& spec, uint64_t now_ns) {
  std::strncpy(name, spec.name.c_str(), kBucketNameSize - 1);
  window_count = static_cast<uint32_t>(std::min(spec.windows.size(), kMaxBucketWindows));
  for (uint32_t i = 0; i < window_count; ++i) {
    GcraWindow& window = windows[i];
    SetWindow(window, spec.windows[i]);
    // Zero tokens now: the first one is due one interval from now.
    window.tat_ns.store(now_ns + window.interval_ns.load() + window.tolerance_ns.load());
  }
}

void TokenBucket::SetRate(const RateSpec& spec, uint64_t now_ns) {
  const uint32_t count =
      std::min<uint32_t>(window_count, static_cast<uint32_t>(spec.windows.size()));
  for (uint32_t i = 0; i < count; ++i) {
    GcraWindow& window = windows[i];
    const uint64_t old_interval = window.interval_ns.load();
    SetWindow(window, spec.windows[i]);
    const uint64_t new_interval = window.interval_ns.load();
    // The TAT runs ahead of now by the tokens already granted (and reserved for later) at
    // the old spacing. Stretch that lead to the new spacing, so those tokens count at the
    // new rate: a host whose share shrinks cannot spend its old rate while the others
    // already spend their new shares. The reservations in it are void from now (Voided),
    // so the lead is cut to an empty bucket's: the next token one new interval after the
    // last one used (or now, if that is past).
    const uint64_t next_ns = std::max(now_ns, last_used_slot_ns.load() + new_interval);
    const uint64_t empty_tat = next_ns + window.tolerance_ns.load();
    uint64_t tat = window.tat_ns.load();
    for (;;) {
      if (tat <= now_ns) break;
      const auto lead = static_cast<double>(tat - now_ns) * static_cast<double>(new_interval) /
                        static_cast<double>(old_interval);
      const uint64_t stretched = std::min(now_ns + static_cast<uint64_t>(lead), empty_tat);
      if (window.tat_ns.compare_exchange_weak(tat, stretched)) break;
    }
  }
  AtomicMax(rate_changed_ns, now_ns);
}

uint32_t TokenBucket::max_tokens() const {
  uint32_t most = UINT32_MAX;
  for (uint32_t i = 0; i < window_count; ++i) most = std::min(most, windows[i].burst.load());
  return most;
}

std::optional<uint64_t> TokenBucket::Reserve(uint32_t n, uint64_t deadline_ns, uint64_t now_ns) {
  if (n == 0 || n > max_tokens()) {
    throw std::invalid_argument("a request for " + std::to_string(n) + " tokens from bucket '" +
                                name + "' (at most " + std::to_string(max_tokens()) + ")");
  }
  for (;;) {
    uint64_t slot = std::max(now_ns, backoff_until_ns.load());
    uint64_t tats[kMaxBucketWindows];
    for (uint32_t i = 0; i < window_count; ++i) {
      tats[i] = windows[i].tat_ns.load();
      slot = std::max(slot, EarliestGrant(windows[i], tats[i], n));
    }
    if (slot > deadline_ns) return std::nullopt;
    uint32_t reserved = 0;
    for (; reserved < window_count; ++reserved) {
      GcraWindow& window = windows[reserved];
      uint64_t tat = tats[reserved];
      bool taken = false;
      // Another process may move TAT between our read and our CAS; as long as the slot is
      // still allowed, try again on the new value.
      while (EarliestGrant(window, tat, n) <= slot) {
        if (window.tat_ns.compare_exchange_weak(tat, std::max(tat, slot) + n * window.interval_ns.load())) {
          taken = true;
          break;
        }
      }
      if (!taken) break;
    }
    if (reserved == window_count) {
      granted.fetch_add(n);
      return slot;
    }
    if (reserved > 0) wasted.fetch_add(n);  // those windows' tokens go unused
  }
}

bool TokenBucket::TryAcquire(uint32_t n) {
  const uint64_t now = MonotonicNanos();
  return Reserve(n, now, now).has_value();
}

std::optional<uint64_t> TokenBucket::Acquire(uint32_t n, uint64_t deadline_ns) {
  const uint64_t start = MonotonicNanos();
  for (;;) {
    const uint64_t reserved_at = MonotonicNanos();
    std::optional<uint64_t> slot = Reserve(n, deadline_ns, reserved_at);
    if (!slot) return std::nullopt;
    if (*slot > MonotonicNanos()) SleepUntilNanos(*slot);
    if (Voided(*slot, reserved_at)) {  // a back-off or a new rate arrived while we slept
      wasted.fetch_add(n);
      granted.fetch_sub(n);
      continue;
    }
    wait_ns.fetch_add(MonotonicNanos() - start);
    CountUsed(n, *slot);
    return slot;
  }
}

void TokenBucket::BackOff(uint64_t until_ns) {
  const uint64_t before = backoff_until_ns.load();
  AtomicMax(backoff_until_ns, until_ns);
  if (until_ns > before) backoffs.fetch_add(1);
  // Restart empty: the first token after the back-off is due at `until_ns`.
  for (uint32_t i = 0; i < window_count; ++i) {
    AtomicMax(windows[i].tat_ns, until_ns + windows[i].tolerance_ns.load());
  }
}

void TokenBucket::CountUsed(uint32_t n, uint64_t slot_ns) {
  used.fetch_add(n);
  AtomicMax(last_used_slot_ns, slot_ns);
}

BucketCounters TokenBucket::counters() const {
  return {granted.load(), used.load(), wait_ns.load(), backoffs.load(), wasted.load()};
}

}  // namespace taskfarm

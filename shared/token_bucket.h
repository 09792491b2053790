#pragma once
// TokenBucket: a rate limit that any number of processes share through memory they all map.
//
// The algorithm is GCRA (the generic cell rate algorithm), the token bucket written as one
// number per window: the theoretical arrival time (TAT) of the next token. A request for n
// tokens is granted at the earliest time t with TAT + (n-1)*T - tau <= t, and moves TAT to
// max(TAT, t) + n*T, where T is the emission interval (1/rate) and tau = (burst-1)*T lets up
// to `burst` tokens be taken at once after a quiet spell. Over any interval of length L at
// most L*rate + burst tokens are granted.
//
// Why this design: Boost.Interprocess mutexes in Boost 1.74 are not robust, so a process
// killed while holding one would wedge every other. Here every change is a single
// compare-and-swap of a std::atomic<uint64_t> (lock-free on x86-64, so valid across
// processes): a process can die at any instant and the others go on. The worst a death
// costs is the tokens it had reserved and not used: the rate is then under-used, never
// exceeded.
//
// Blocking: Acquire reserves its slot (the time its tokens will be there) with one CAS and
// then sleeps until that moment; no polling, no busy-waiting. Waiters are served in the
// order they reserved. Several windows (2/s and 60/min): the slot is the earliest time that
// every window allows, reserved in each; a race that moves a window on makes the request
// start over (tokens reserved in the other windows are counted as wasted).
//
// The bucket starts with zero tokens: the first is there one interval after creation.
// Back-off: BackOff(until) makes every process wait until `until`; reservations made before
// and falling earlier are voided when their holder wakes, and the bucket restarts empty.

#include <atomic>
#include <cstdint>
#include <optional>

#include "shared/rate_spec.h"

namespace taskfarm {

/// CLOCK_MONOTONIC in nanoseconds: the same clock in every process of this host.
uint64_t MonotonicNanos();

inline constexpr std::size_t kMaxBucketWindows = 4;
inline constexpr std::size_t kBucketNameSize = 32;

struct GcraWindow {
  // Atomic because a host's share of the rate changes while its workers draw (SetRate).
  std::atomic<uint64_t> interval_ns{0};   // T: time between tokens
  std::atomic<uint64_t> tolerance_ns{0};  // tau = (burst - 1) * T
  std::atomic<uint32_t> burst{1};
  std::atomic<uint64_t> tat_ns{0};
};

struct BucketCounters {
  uint64_t granted = 0;   // tokens granted, including those reserved for a later time
  uint64_t used = 0;      // granted tokens whose time has come (what a live rate counts)
  uint64_t wait_ns = 0;   // total time acquirers slept for their tokens
  uint64_t backoffs = 0;  // BackOff calls that pushed the bucket further
  uint64_t wasted = 0;    // tokens reserved and then not used (a race, a voided slot)
};

/// The state of one bucket, placed in shared memory. Initialized once by its creator
/// (Init), then used concurrently by any process through the functions below.
struct alignas(64) TokenBucket {
  char name[kBucketNameSize] = {};
  uint32_t window_count = 0;
  GcraWindow windows[kMaxBucketWindows];
  std::atomic<uint64_t> backoff_until_ns{0};
  std::atomic<uint64_t> granted{0};
  std::atomic<uint64_t> used{0};
  std::atomic<uint64_t> wait_ns{0};
  std::atomic<uint64_t> backoffs{0};
  std::atomic<uint64_t> wasted{0};
  std::atomic<uint64_t> rate_changed_ns{0};  // when SetRate last ran
  std::atomic<uint64_t> last_used_slot_ns{0};  // the latest slot whose time came

  /// Sets the windows from `spec` (bursts applied) with zero tokens at `now_ns`.
  void Init(const RateSpec& spec, uint64_t now_ns);

  /// Changes the rate and burst of every window to `spec`'s (same windows, in order) while
  /// other processes draw: grants from then on are spaced by the new rate from the last slot
  /// used (no token in stock), and every reservation made before and falling after `now_ns`
  /// is void (its holder sees Voided and reserves again at the new spacing). Without the
  /// voiding, waiters sleeping on slots at the old spacing (up to a network lane's credit of
  /// them, seconds ahead) would go on at the old rate beside the new shares: a host that left
  /// would have its share spent twice. Spaced from the last use, not from `now_ns`: changes
  /// faster than a share's interval (hosts joining and leaving every quarter second) would
  /// otherwise push its next token out at every change, and it would never grant one.
  void SetRate(const RateSpec& spec, uint64_t now_ns);

  /// The smallest burst of its windows: the most tokens one request may take.
  uint32_t max_tokens() const;

  /// Reserves `n` tokens at the earliest time every window allows (not before `now_ns` and
  /// not during a back-off) and returns that time; nullopt, reserving nothing, if it would
  /// be after `deadline_ns`. Never blocks. Requires 1 <= n <= max_tokens().
  std::optional<uint64_t> Reserve(uint32_t n, uint64_t deadline_ns, uint64_t now_ns);

  /// Takes `n` tokens if they are there now.
  bool TryAcquire(uint32_t n = 1);

  /// Sleeps until `n` tokens are granted and returns the grant time, or returns nullopt
  /// without sleeping past `deadline_ns` (default: none) when they would come later.
  std::optional<uint64_t> Acquire(uint32_t n = 1, uint64_t deadline_ns = UINT64_MAX);

  /// No token is granted before `until_ns`, to anyone; afterwards the bucket starts empty.
  void BackOff(uint64_t until_ns);
  /// True when a back-off reaches past `slot_ns`: a slot reserved for then is void.
  bool BackedOffPast(uint64_t slot_ns) const { return slot_ns < backoff_until_ns.load(); }
  /// True when the slot `slot_ns`, reserved at `reserved_ns`, may not be used: a back-off
  /// reaches past it, or the rate changed after it was reserved and before it came.
  bool Voided(uint64_t slot_ns, uint64_t reserved_ns) const {
    const uint64_t changed = rate_changed_ns.load();
    return BackedOffPast(slot_ns) || (changed > reserved_ns && slot_ns > changed);
  }
  /// Counts `waited_ns` that an acquirer spends waiting for its reserved slot.
  void CountWait(uint64_t waited_ns) { wait_ns.fetch_add(waited_ns); }
  /// Counts `n` reserved tokens whose time has come. Acquire counts its own; a caller of
  /// Reserve counts when its slot arrives, so a live rate is not inflated by reservations
  /// made far ahead (many requests in flight each reserve one).
  void CountUsed(uint32_t n, uint64_t slot_ns);

  BucketCounters counters() const;
};

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the shared token bucket needs lock-free 64-bit atomics");

}  // namespace taskfarm

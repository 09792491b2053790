#pragma once
// DelayedStream: one direction of a relayed TCP connection, as a link with latency would
// carry it. Bytes read from one socket are held until their due time (half the round trip,
// plus jitter, plus a retransmission timeout when the link "loses" a segment) and then
// written to the other, in order: a late segment holds back the ones behind it, as TCP's
// in-order delivery does. At most kWindowBytes are held; beyond that the stream stops
// reading, so the sender feels the link's capacity as it would a TCP window.
//
// Passive: the relay's loop tells it when its sockets are ready. Not thread-safe.

#include <chrono>
#include <cstddef>
#include <deque>
#include <random>
#include <string>

namespace taskfarm::netsim {

using Clock = std::chrono::steady_clock;

/// How a link delays what crosses it.
struct LinkShape {
  std::chrono::microseconds one_way{0};
  std::chrono::microseconds jitter{0};  // added uniformly in [0, jitter]
  double loss = 0;                      // share of 1448-byte segments lost (then resent)
};

class DelayedStream {
 public:
  static constexpr std::size_t kWindowBytes = 4 << 20;
  static constexpr std::size_t kReadBytes = 64 << 10;

  DelayedStream(int from, int to, const LinkShape& shape, std::mt19937_64& random)
      : from_(from), to_(to), shape_(shape), random_(random) {}

  /// Reads what `from` has. False once it is closed or failed (nothing more will come).
  bool ReadAvailable(Clock::time_point now);
  /// Writes what is due to `to`. False when `to` failed.
  bool WriteDue(Clock::time_point now);
  /// When the next held bytes are due (Clock::time_point::max() when none are held).
  Clock::time_point NextDue() const;
  bool WantsToRead() const { return !ended_ && held_bytes_ < kWindowBytes; }
  /// True when a write would not go through and due bytes wait: poll `to` for writing.
  bool Blocked() const { return blocked_; }
  /// True once `from` has ended and everything it sent has been delivered.
  bool Finished() const { return ended_ && chunks_.empty(); }
  /// Held bytes stay held until Resume (a partition: the link carries nothing).
  void Stall() { stalled_ = true; }
  void Resume() { stalled_ = false; }

 private:
  struct Chunk {
    Clock::time_point due;
    std::string bytes;
    std::size_t written = 0;
  };
  Clock::time_point DueTime(Clock::time_point now, std::size_t bytes);

  int from_;
  int to_;
  const LinkShape& shape_;
  std::mt19937_64& random_;
  std::deque<Chunk> chunks_;
  std::size_t held_bytes_ = 0;
  Clock::time_point last_due_{};
  bool ended_ = false;
  bool blocked_ = false;
  bool stalled_ = false;
  bool shut_ = false;
};

}  // namespace taskfarm::netsim

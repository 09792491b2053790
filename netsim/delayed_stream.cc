#include "netsim/delayed_stream.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace taskfarm::netsim {
namespace {

constexpr std::size_t kSegmentBytes = 1448;  // a TCP segment's payload on Ethernet
// A lost segment costs TCP at least its minimum retransmission timeout (Linux: 200 ms).
constexpr auto kMinRetransmitTimeout = std::chrono::milliseconds(200);

}  // namespace

Clock::time_point DelayedStream::DueTime(Clock::time_point now, std::size_t bytes) {
  auto delay = std::chrono::duration_cast<Clock::duration>(shape_.one_way);
  if (shape_.jitter.count() > 0) {
    std::uniform_int_distribution<int64_t> jitter(0, shape_.jitter.count());
    delay += std::chrono::microseconds(jitter(random_));
  }
  if (shape_.loss > 0) {
    const double segments = std::ceil(static_cast<double>(bytes) / kSegmentBytes);
    const double any_lost = 1 - std::pow(1 - shape_.loss, segments);
    if (std::uniform_real_distribution<double>(0, 1)(random_) < any_lost) {
      delay += std::max<Clock::duration>(kMinRetransmitTimeout, 4 * shape_.one_way);
    }
  }
  // In order: nothing overtakes what was sent before it.
  last_due_ = std::max(last_due_, now + delay);
  return last_due_;
}

bool DelayedStream::ReadAvailable(Clock::time_point now) {
  while (WantsToRead()) {
    std::string buffer(kReadBytes, '\0');
    const ssize_t n = ::read(from_, buffer.data(), buffer.size());
    if (n > 0) {
      buffer.resize(static_cast<std::size_t>(n));
      held_bytes_ += buffer.size();
      const auto due = DueTime(now, buffer.size());
      chunks_.push_back({due, std::move(buffer), 0});
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    ended_ = true;  // end of stream or a reset: deliver what is held, then close
    return false;
  }
  return true;
}

bool DelayedStream::WriteDue(Clock::time_point now) {
  blocked_ = false;
  while (!stalled_ && !chunks_.empty() && chunks_.front().due <= now) {
    Chunk& chunk = chunks_.front();
    const ssize_t n = ::send(to_, chunk.bytes.data() + chunk.written,
                             chunk.bytes.size() - chunk.written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      blocked_ = true;
      return true;
    }
    if (n < 0) return false;
    chunk.written += static_cast<std::size_t>(n);
    if (chunk.written == chunk.bytes.size()) {
      held_bytes_ -= chunk.bytes.size();
      chunks_.pop_front();
    }
  }
  if (Finished() && !shut_) {
    shut_ = true;
    ::shutdown(to_, SHUT_WR);  // the end of the stream, delivered after its last bytes
  }
  return true;
}

Clock::time_point DelayedStream::NextDue() const {
  if (stalled_ || chunks_.empty() || blocked_) return Clock::time_point::max();
  return chunks_.front().due;
}

}  // namespace taskfarm::netsim

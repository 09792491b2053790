#include "coordinator/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace taskfarm {
namespace {

constexpr double kRateSmoothing = 0.5;  // weight of the newest interval's rate

std::string Eta(double seconds) {
  if (seconds < 0 || seconds > 86400 * 365) return "?";
  const auto s = static_cast<uint64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// The terminal's width in columns, read at each redraw (a window may be resized); 80 when the
// terminal does not say.
std::size_t TerminalWidth(FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

ProgressDisplay::Mode ProgressDisplay::ModeFor(FILE* out) {
  const char* term = std::getenv("TERM");
  const bool smart = isatty(fileno(out)) && term != nullptr && std::strcmp(term, "dumb") != 0;
  return smart ? Mode::kTerminal : Mode::kLines;
}

ProgressDisplay::ProgressDisplay(Mode mode, std::chrono::milliseconds interval, FILE* out)
    : mode_(mode), interval_(interval), out_(out) {
  next_ = std::chrono::steady_clock::now() + interval_;
}

bool ProgressDisplay::Due(std::chrono::steady_clock::time_point now) const {
  return mode_ != Mode::kOff && now >= next_;
}

std::chrono::milliseconds ProgressDisplay::TimeUntilDue(
    std::chrono::steady_clock::time_point now) const {
  // Off is never due: the loop's poll must not wake every millisecond for it.
  if (mode_ == Mode::kOff) return std::chrono::milliseconds::max();
  if (now >= next_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(next_ - now);
}

double ProgressDisplay::UpdateRate(const std::string& key, uint64_t count, double elapsed) {
  Rate& rate = rates_[key];
  const double span = elapsed - rate.last_elapsed;
  if (span > 0) {
    const double latest = static_cast<double>(count - rate.last_count) / span;
    rate.per_second = rate.measured ? rate.per_second + kRateSmoothing * (latest - rate.per_second)
                                    : latest;
    rate.measured = true;
  }
  rate.last_count = count;
  rate.last_elapsed = elapsed;
  return rate.per_second;
}

std::vector<std::string> ProgressDisplay::Lines(const ProgressSnapshot& snapshot,
                                                std::size_t width) {
  std::vector<std::string> lines;
  for (const KindProgress& kind : snapshot.kinds) {
    const double rate = UpdateRate("kind:" + kind.kind, kind.done, snapshot.elapsed_s);
    const std::string total = kind.total ? std::to_string(*kind.total) : "?";
    const double eta =
        kind.total && rate > 0 ? static_cast<double>(*kind.total - kind.done) / rate : -1;
    if (mode_ == Mode::kLines) {
      lines.push_back(fmt::format(
          "taskfarm: progress t={:.1f}s kind={} done={}/{} failed={} retried={} in_flight={} "
          "rate={:.1f}/s eta={}",
          snapshot.elapsed_s, kind.kind, kind.done, total, kind.failed, kind.retried,
          kind.in_flight, rate, Eta(eta)));
    } else {
      const std::string percent =
          kind.total && *kind.total > 0
              ? fmt::format("{:3.0f}%", 100.0 * static_cast<double>(kind.done) /
                                            static_cast<double>(*kind.total))
              : "   ";
      // The most telling fields first; the counts follow as far as the terminal is wide.
      std::string line = fmt::format("{:<8} {:>9}/{:<9} {} {:>9.1f}/s  ETA {:<6}", kind.kind,
                                     kind.done, total, percent, rate, Eta(eta));
      for (const std::string& field :
           {fmt::format("failed {:<5}", kind.failed), fmt::format("in flight {:<4}", kind.in_flight),
            fmt::format("retried {}", kind.retried)}) {
        if (line.size() + 1 + field.size() > width) break;
        line += ' ' + field;
      }
      lines.push_back(std::move(line));
    }
  }
  for (const BucketSummary& bucket : snapshot.buckets) {
    // A bucket is older than the run's clock: its first sample is only a baseline.
    const std::string key = "bucket:" + bucket.name;
    const bool first = rates_.find(key) == rates_.end();
    if (first) rates_[key] = {0, bucket.counters.used, snapshot.elapsed_s, false};
    const double rate = first ? 0.0 : UpdateRate(key, bucket.counters.used, snapshot.elapsed_s);
    const double waited = static_cast<double>(bucket.counters.wait_ns) / 1e9;
    if (mode_ == Mode::kLines) {
      lines.push_back(fmt::format(
          "taskfarm: progress t={:.1f}s bucket={} granted={} rate={:.1f}/s limit={} "
          "waited={:.1f}s backoffs={}",
          snapshot.elapsed_s, bucket.name, bucket.counters.used, rate, bucket.rate, waited,
          bucket.counters.backoffs));
    } else {
      lines.push_back(fmt::format("rate {:<8} {:>7.1f} tokens/s (limit {})  waited {:.1f} s  "
                                  "back-offs {}",
                                  bucket.name, rate, bucket.rate, waited,
                                  bucket.counters.backoffs));
    }
  }
  return lines;
}

void ProgressDisplay::Show(const ProgressSnapshot& snapshot,
                           std::chrono::steady_clock::time_point now) {
  if (mode_ == Mode::kOff) return;
  next_ = now + interval_;
  // A line as wide as the terminal would wrap, and the cursor would no longer come back up
  // to the block's first line: each is kept one column short.
  const std::size_t width = mode_ == Mode::kTerminal ? TerminalWidth(out_) - 1 : SIZE_MAX;
  const std::vector<std::string> lines = Lines(snapshot, width);
  std::string text;
  if (mode_ == Mode::kTerminal && lines_shown_ > 0) {
    text += fmt::format("\x1b[{}A", lines_shown_);  // back to the first line of the block
  }
  for (const std::string& line : lines) {
    if (mode_ == Mode::kTerminal) text += "\r\x1b[2K";  // clear the old line
    text.append(line, 0, std::min(line.size(), width));
    text += '\n';
  }
  lines_shown_ = lines.size();
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

void ProgressDisplay::Finish() {
  if (mode_ != Mode::kTerminal || lines_shown_ == 0) return;
  std::string text = fmt::format("\x1b[{}A", lines_shown_);
  for (std::size_t i = 0; i < lines_shown_; ++i) text += "\r\x1b[2K\n";
  text += fmt::format("\x1b[{}A", lines_shown_);
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  lines_shown_ = 0;
}

}  // namespace taskfarm

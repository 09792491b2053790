#pragma once
// ProgressDisplay: live progress on stderr while a run lasts, as ninja's LinePrinter does:
// on a terminal one line per task kind (and per rate-limit bucket) rewritten in place, each
// cut to the terminal's width so it never wraps; in a pipe or a log file a plain `key=value`
// line per kind every few seconds, easy to parse.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/summary.h"

namespace taskfarm {

struct KindProgress {
  std::string kind;
  uint64_t done = 0;  // finished, ok or not
  uint64_t failed = 0;
  uint64_t skipped = 0;  // of the ok ones, passed over (an index task's skipped file)
  uint64_t retried = 0;
  uint64_t in_flight = 0;
  std::optional<uint64_t> total;
  std::map<std::string, uint64_t> failed_by_reason;  // ErrorCodeName -> count
};

struct WorkerProgress {
  uint32_t id = 0;
  int pid = 0;           // on its host (a remote worker's is the host's)
  std::string host;      // "local", or the host agent's name
  uint64_t held = 0;     // tasks in its hands (running and queued)
  uint64_t sent = 0;     // tasks sent to it since it started, less those it gave back
  std::string running;   // the kind of the task it runs now ("" when idle)
  uint64_t rss_bytes = 0;  // as the worker last reported (0: not yet)
  double cpu_s = 0;        // its CPU time, its commands' included, as last reported
};

struct ProgressSnapshot {
  double elapsed_s = 0;
  std::vector<KindProgress> kinds;
  std::vector<BucketSummary> buckets;
  std::vector<WorkerProgress> workers;
  bool finished = false;  // the run's last snapshot
};

/// Not thread-safe; the coordinator's loop calls it.
class ProgressDisplay {
 public:
  enum class Mode { kOff, kTerminal, kLines };

  /// kTerminal when `out` is a terminal (and TERM is not "dumb"), kLines otherwise.
  static Mode ModeFor(FILE* out);

  ProgressDisplay(Mode mode, std::chrono::milliseconds interval, FILE* out);
  /// True when the next Show() is due.
  bool Due(std::chrono::steady_clock::time_point now) const;
  /// How long until it is due (the loop's poll timeout takes it into account); the largest
  /// duration there is when the display is off.
  std::chrono::milliseconds TimeUntilDue(std::chrono::steady_clock::time_point now) const;
  void Show(const ProgressSnapshot& snapshot, std::chrono::steady_clock::time_point now);
  /// Clears the in-place lines, so the summary follows on a clean screen.
  void Finish();

 private:
  struct Rate {
    double per_second = 0;
    uint64_t last_count = 0;
    double last_elapsed = 0;
    bool measured = false;  // per_second holds a measured interval (smoothing starts there)
  };
  double UpdateRate(const std::string& key, uint64_t count, double elapsed);
  /// The lines to show; a terminal's are fitted to `width` columns.
  std::vector<std::string> Lines(const ProgressSnapshot& snapshot, std::size_t width);

  Mode mode_;
  std::chrono::milliseconds interval_;
  FILE* out_;
  std::chrono::steady_clock::time_point next_{};
  std::size_t lines_shown_ = 0;  // terminal mode: how many lines to rewrite
  std::map<std::string, Rate> rates_;
};

}  // namespace taskfarm

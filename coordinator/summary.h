#pragma once
// RunSummary: what a run did, per task kind, for the final line and for `--json`.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/index_source.h"
#include "coordinator/ledger.h"
#include "coordinator/run_time_distribution.h"
#include "shared/token_bucket.h"
#include "shared/wire.h"

namespace taskfarm {

struct KindSummary {
  uint64_t done = 0;     // finished ok, skipped ones included
  uint64_t skipped = 0;  // of those, passed over: a file no converter reads
  uint64_t failed = 0;   // finished with an error
  uint64_t retried = 0;  // times a task of this kind was sent again
  std::map<std::string, uint64_t> failed_by_reason;  // ErrorCodeName -> count
  std::map<std::string, uint64_t> skipped_by_reason;  // why: "no converter for application/gzip"
  RunTimeDistribution run_times;                      // for the percentiles, in fixed memory
  uint64_t cpu_ns = 0;
};

/// A rate-limit bucket's figures at the end of the run.
struct BucketSummary {
  std::string name;
  std::string rate;  // as the user wrote it, normalized: "2/s,60/min"
  uint32_t burst = 0;
  BucketCounters counters;
  double limit_per_s = 0;  // the slowest window's sustained rate: what it allows over time
};

/// Not thread-safe; fed by the coordinator's loop.
class RunSummary {
 public:
  void RecordOutcome(const TaskRecord& record, const wire::Result& result);
  /// The same from stored figures (a journal row): `reason` is empty when ok.
  void RecordOutcome(const std::string& kind, bool ok, const std::string& reason, uint64_t run_ns,
                     uint64_t cpu_ns);
  void RecordRetries(const std::string& kind, uint64_t n) { kinds_[kind].retried += n; }
  /// A task recorded as done that passed its input over (an index task's skipped file).
  void RecordSkipped(const std::string& kind, const std::string& reason) {
    ++kinds_[kind].skipped;
    ++kinds_[kind].skipped_by_reason[reason];
  }
  /// An archive's files, indexed and not (skipped or unreadable), beside its own row.
  void RecordArchiveMembers(uint64_t indexed, uint64_t not_indexed) {
    members_indexed_ += indexed;
    members_not_indexed_ += not_indexed;
  }
  void RecordRetry(const std::string& kind);
  void RecordWorkerLost() { ++workers_lost_; }
  void RecordWorkerRetired() { ++workers_retired_; }
  void set_resumed_skipped(uint64_t n) { resumed_skipped_ = n; }
  void set_index_counts(const IndexCounts& counts) { index_counts_ = counts; }
  /// Geocoding input: places served from the cache, and lines that repeated a place.
  void set_geocode_input(uint64_t cache_hits, uint64_t duplicates) {
    cache_hits_ = cache_hits;
    duplicate_places_ = duplicates;
  }

  void set_workers(unsigned workers) { workers_ = workers; }
  /// A remote host joined (its name, its workers) or left (lost = true).
  void RecordHostJoined(const std::string& host, uint32_t workers) {
    hosts_[host].workers = workers;
  }
  void RecordHostLost(const std::string& host) { hosts_[host].lost = true; }
  /// A task finished on `host` ("local" for the coordinator's own pool).
  void RecordTaskOnHost(const std::string& host) { ++hosts_[host].tasks; }
  void set_wall_seconds(double seconds) { wall_seconds_ = seconds; }
  /// From the first task sent to the last outcome: the schedule, without start-up and stop.
  void set_busy_seconds(double seconds) { busy_seconds_ = seconds; }
  void set_unfinished(uint64_t unfinished) { unfinished_ = unfinished; }
  void set_interrupted_by(int signal_number) { interrupted_by_ = signal_number; }
  void set_duplicates_dropped(uint64_t n) { duplicates_dropped_ = n; }
  /// A worker gave a task back unbegun, for an idle one to run.
  void RecordReturned() { ++tasks_returned_; }
  void set_buckets(std::vector<BucketSummary> buckets) { buckets_ = std::move(buckets); }
  /// Results could not be written: which file and why (the first failure).
  void set_not_recorded(std::string why) {
    if (not_recorded_.empty()) not_recorded_ = std::move(why);
  }
  const std::string& not_recorded() const { return not_recorded_; }

  uint64_t finished() const;
  uint64_t failed() const;
  /// True when every task finished ok, every result was recorded, and the run was not
  /// interrupted.
  bool ok() const {
    return failed() == 0 && unfinished_ == 0 && interrupted_by_ == 0 && not_recorded_.empty();
  }
  const std::map<std::string, KindSummary>& kinds() const { return kinds_; }

  nlohmann::json ToJson() const;
  /// A few lines for a person, on stderr.
  void Print(std::ostream& out) const;

 private:
  struct HostFigures {
    uint32_t workers = 0;
    uint64_t tasks = 0;
    bool lost = false;
  };
  std::map<std::string, KindSummary> kinds_;
  std::map<std::string, HostFigures> hosts_;  // empty unless remote hosts joined
  unsigned workers_ = 0;
  double wall_seconds_ = 0;
  double busy_seconds_ = 0;
  uint64_t unfinished_ = 0;
  uint64_t workers_lost_ = 0;
  uint64_t workers_retired_ = 0;
  uint64_t resumed_skipped_ = 0;
  uint64_t cache_hits_ = 0;
  std::optional<IndexCounts> index_counts_;
  uint64_t members_indexed_ = 0;
  uint64_t members_not_indexed_ = 0;
  uint64_t duplicate_places_ = 0;
  uint64_t duplicates_dropped_ = 0;
  uint64_t tasks_returned_ = 0;
  int interrupted_by_ = 0;
  std::string not_recorded_;
  std::vector<BucketSummary> buckets_;
};

}  // namespace taskfarm

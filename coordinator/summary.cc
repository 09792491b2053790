#include "coordinator/summary.h"
#include "shared/system_text.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace taskfarm {

void RunSummary::RecordOutcome(const TaskRecord& record, const wire::Result& result) {
  RecordOutcome(record.spec.kind, result.ok,
                result.ok ? std::string() : std::string(ErrorCodeName(result.error.code)),
                result.run_ns, result.cpu_ns);
}

void RunSummary::RecordOutcome(const std::string& kind_name, bool ok, const std::string& reason,
                               uint64_t run_ns, uint64_t cpu_ns) {
  KindSummary& kind = kinds_[kind_name];
  if (ok) {
    ++kind.done;
  } else {
    ++kind.failed;
    ++kind.failed_by_reason[reason];
  }
  kind.run_times.Add(run_ns);
  kind.cpu_ns += cpu_ns;
}

void RunSummary::RecordRetry(const std::string& kind) { ++kinds_[kind].retried; }

uint64_t RunSummary::finished() const {
  uint64_t n = 0;
  for (const auto& [name, kind] : kinds_) n += kind.done + kind.failed;
  return n;
}

uint64_t RunSummary::failed() const {
  uint64_t n = 0;
  for (const auto& [name, kind] : kinds_) n += kind.failed;
  return n;
}

nlohmann::json RunSummary::ToJson() const {
  nlohmann::json kinds = nlohmann::json::object();
  for (const auto& [name, kind] : kinds_) {
    kinds[name] = {
        {"done", kind.done - kind.skipped},  // a skipped file is not counted done
        {"skipped", kind.skipped},
        {"failed", kind.failed},
        {"retried", kind.retried},
        {"failed_by_reason", kind.failed_by_reason},
        {"skipped_by_reason", kind.skipped_by_reason},
        {"run_ms", {{"p50", kind.run_times.PercentileMillis(0.50)},
                    {"p95", kind.run_times.PercentileMillis(0.95)},
                    {"max", kind.run_times.MaxMillis()}}},
        {"cpu_s", static_cast<double>(kind.cpu_ns) / 1e9},
        {"tasks_per_s", wall_seconds_ > 0 ? static_cast<double>(kind.done + kind.failed) /
                                                wall_seconds_
                                          : 0.0},
    };
  }
  nlohmann::json buckets = nlohmann::json::object();
  for (const BucketSummary& bucket : buckets_) {
    buckets[bucket.name] = {
        {"rate", bucket.rate},
        {"limit_per_s", bucket.limit_per_s},
        {"burst", bucket.burst},
        {"granted", bucket.counters.granted},
        {"wait_s", static_cast<double>(bucket.counters.wait_ns) / 1e9},
        {"backoffs", bucket.counters.backoffs},
        {"wasted", bucket.counters.wasted},
    };
  }
  const uint64_t finished_tasks = finished();
  nlohmann::json index = nullptr;
  if (index_counts_) {
    index = {{"added", index_counts_->added},
             {"changed", index_counts_->changed},
             {"unchanged", index_counts_->unchanged},
             {"removed", index_counts_->removed},
             {"retried", index_counts_->retried},
             {"failed_unchanged", index_counts_->failed_unchanged},
             {"reconverted", index_counts_->reconverted},
             {"archive_members", {{"indexed", members_indexed_},
                                  {"not_indexed", members_not_indexed_}}}};
  }
  nlohmann::json hosts = nlohmann::json::object();
  for (const auto& [name, figures] : hosts_) {
    hosts[name] = {{"workers", figures.workers}, {"tasks", figures.tasks}, {"lost", figures.lost}};
  }
  return {
      {"hosts", hosts},
      {"index", index},
      {"rate_limits", buckets},
      {"ok", ok()},
      {"wall_s", wall_seconds_},
      {"busy_s", busy_seconds_},
      {"tasks", finished_tasks},
      {"tasks_per_s", wall_seconds_ > 0 ? static_cast<double>(finished_tasks) / wall_seconds_ : 0},
      {"workers", workers_},
      {"workers_lost", workers_lost_},
      {"workers_retired", workers_retired_},
      {"resumed_skipped", resumed_skipped_},
      {"geocode_cache_hits", cache_hits_},
      {"duplicate_places", duplicate_places_},
      {"unfinished", unfinished_},
      {"duplicates_dropped", duplicates_dropped_},
      {"tasks_returned", tasks_returned_},
      {"interrupted", interrupted_by_ != 0},
      {"not_recorded", not_recorded_.empty() ? nlohmann::json(nullptr) : nlohmann::json(not_recorded_)},
      {"kinds", kinds},
  };
}

void RunSummary::Print(std::ostream& out) const {
  const uint64_t finished_tasks = finished();
  uint64_t skipped = 0;
  for (const auto& [name, kind] : kinds_) skipped += kind.skipped;
  out << fmt::format("taskfarm: {} tasks in {:.2f} s ({:.0f} tasks/s) on {} workers: {} ok, ",
                     finished_tasks, wall_seconds_,
                     wall_seconds_ > 0 ? static_cast<double>(finished_tasks) / wall_seconds_ : 0.0,
                     workers_, finished_tasks - failed() - skipped);
  if (skipped > 0) out << fmt::format("{} skipped, ", skipped);
  out << fmt::format("{} failed", failed());
  if (unfinished_ > 0) out << fmt::format(", {} unfinished", unfinished_);
  if (workers_lost_ > 0) out << fmt::format(", {} workers lost", workers_lost_);
  if (workers_retired_ > 0) out << fmt::format(", {} workers replaced", workers_retired_);
  if (resumed_skipped_ > 0) {
    out << fmt::format(", {} tasks already done before --resume", resumed_skipped_);
  }
  if (cache_hits_ > 0) out << fmt::format(", {} places from the cache", cache_hits_);
  if (duplicate_places_ > 0) out << fmt::format(", {} repeated places asked once", duplicate_places_);
  if (interrupted_by_ != 0) out << fmt::format(" (interrupted by {})", SignalText(interrupted_by_));
  out << '\n';
  if (!not_recorded_.empty()) {
    out << fmt::format("  results not recorded: {}; the run stopped (--resume finishes the tasks "
                       "without a recorded result)\n",
                       not_recorded_);
  }
  for (const auto& [name, host] : hosts_) {
    out << fmt::format("  host {:<24} {:>3} workers {:>8} tasks{}\n", name, host.workers, host.tasks,
                       host.lost ? "  (lost)" : "");
  }
  for (const auto& [name, kind] : kinds_) {
    const std::string skipped =
        kind.skipped > 0 ? fmt::format(" {:>6} skipped", kind.skipped) : std::string();
    out << fmt::format("  {:<8} {:>8} ok{} {:>6} failed {:>6} retried   run p50 {:.2f} ms  "
                       "p95 {:.2f} ms  max {:.2f} ms   CPU {:.2f} s",
                       name, kind.done - kind.skipped, skipped, kind.failed, kind.retried,
                       kind.run_times.PercentileMillis(0.5),
                       kind.run_times.PercentileMillis(0.95), kind.run_times.MaxMillis(),
                       static_cast<double>(kind.cpu_ns) / 1e9);
    for (const auto& [reason, count] : kind.failed_by_reason) {
      out << fmt::format("  [{}: {}]", reason, count);
    }
    for (const auto& [reason, count] : kind.skipped_by_reason) {
      out << fmt::format("  [{}: {}]", reason, count);
    }
    out << '\n';
  }
  if (index_counts_) {
    out << fmt::format("  index: {} added, {} changed, {} unchanged, {} removed",
                       index_counts_->added, index_counts_->changed, index_counts_->unchanged,
                       index_counts_->removed);
    if (index_counts_->retried > 0) {
      out << fmt::format(", {} failed before and tried again", index_counts_->retried);
    }
    if (index_counts_->failed_unchanged > 0) {
      out << fmt::format(", {} failed before and unchanged, left failed (--retry-failed tries "
                         "them again)",
                         index_counts_->failed_unchanged);
    }
    if (index_counts_->reconverted > 0) {
      out << fmt::format(", {} converted again (their converter is another now)",
                         index_counts_->reconverted);
    }
    if (members_indexed_ + members_not_indexed_ > 0) {
      out << fmt::format("; archive members: {} indexed, {} not", members_indexed_,
                         members_not_indexed_);
    }
    out << '\n';
  }
  for (const BucketSummary& bucket : buckets_) {
    const double granted_per_s =
        wall_seconds_ > 0 ? static_cast<double>(bucket.counters.granted) / wall_seconds_ : 0.0;
    out << fmt::format("  rate {:<8} {} (burst {}): {} tokens granted ({:.1f}/s over the run), "
                       "{:.1f} s waited in all, {} back-offs\n",
                       bucket.name, bucket.rate, bucket.burst, bucket.counters.granted,
                       granted_per_s, static_cast<double>(bucket.counters.wait_ns) / 1e9,
                       bucket.counters.backoffs);
  }
}

}  // namespace taskfarm

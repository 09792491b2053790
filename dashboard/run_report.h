#pragma once
// The run report with pictures (`taskfarm report --html FILE`): one self-contained HTML file
// (inline SVG drawn here, no script, no external assets) of a run from its journal: per
// worker a timeline (Gantt) of its tasks coloured by kind, failures in red; throughput and
// run-time percentiles over the run; rate-limit tokens used over the run against their
// limits; the summary per kind; the failed tasks. With two runs (--compare), side by side.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "journal/journal.h"
#include "journal/outcome_row.h"

namespace taskfarm {

/// One run's figures for the report, fed row by row. Memory: 16 bytes per task for the
/// curves, and the first kMaxTimelineTasks tasks (and kMaxFailures failures) in full.
class RunPicture {
 public:
  static constexpr std::size_t kMaxTimelineTasks = 20'000;
  static constexpr std::size_t kMaxFailures = 50;

  RunPicture(RunRecord run, nlohmann::json summary);
  void Add(const OutcomeRow& row);
  void set_summary(nlohmann::json summary) { summary_ = std::move(summary); }

  /// This run's section of the report.
  std::string Html() const;

 private:
  struct TimelineTask {
    uint64_t id;
    std::string kind;
    uint32_t worker;
    bool ok;
    bool network;
    int64_t start_ms, end_ms;
  };
  struct Finish {
    int64_t end_ms;
    float run_ms;
  };
  std::string TimelineSvg(int64_t t0, int64_t t1) const;
  std::string CurvesSvg(int64_t t0, int64_t t1) const;
  std::string KindsTable() const;
  std::string BucketsTable() const;
  std::string BucketCurve(const std::string& name, const nlohmann::json& bucket) const;
  std::string FailuresTable() const;

  RunRecord run_;
  nlohmann::json summary_;
  std::vector<TimelineTask> timeline_;
  std::vector<Finish> finishes_;
  std::vector<OutcomeRow> failures_;
  uint64_t tasks_ = 0;
};

/// The whole report: the runs' sections side by side.
std::string RunReportHtml(const std::vector<const RunPicture*>& runs);

}  // namespace taskfarm

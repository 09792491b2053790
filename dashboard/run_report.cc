#include "dashboard/run_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace taskfarm {
namespace {

constexpr int kWidth = 880;  // the drawings' width, px
constexpr int kBins = 60;    // points of the curves over the run
constexpr const char* kPalette[] = {"#2a7", "#37c", "#e90", "#95c", "#0aa", "#a63", "#6a2", "#c5a"};
constexpr const char* kFailedColour = "#c22";

std::string EscapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

double Percentile(std::vector<float>& values, double fraction) {
  if (values.empty()) return 0;
  const auto at = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

// A polyline of `points` (x in 0..1, y in 0..max) in a box of `height` px.
std::string Polyline(const std::vector<std::pair<double, double>>& points, double max, int height,
                     const char* colour, const char* css_class) {
  std::string text;
  for (const auto& [x, y] : points) {
    text += fmt::format("{:.1f},{:.1f} ", 40 + x * (kWidth - 50), height - 16 - (height - 30) * y / max);
  }
  return fmt::format("<polyline class=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
                     css_class, colour, text);
}

}  // namespace

RunPicture::RunPicture(RunRecord run, nlohmann::json summary)
    : run_(std::move(run)), summary_(std::move(summary)) {}

void RunPicture::Add(const OutcomeRow& row) {
  ++tasks_;
  if (row.finished_unix_ms == 0) return;  // a row from before the journal kept times
  finishes_.push_back({row.finished_unix_ms, static_cast<float>(row.run_ms)});
  if (timeline_.size() < kMaxTimelineTasks) {
    timeline_.push_back({row.task_id, row.kind, row.worker, row.ok, row.network_lane,
                         row.started_unix_ms, row.finished_unix_ms});
  }
  if (!row.ok && failures_.size() < kMaxFailures) failures_.push_back(row);
}

std::string RunPicture::TimelineSvg(int64_t t0, int64_t t1) const {
  std::set<uint32_t> workers;
  std::set<std::string> kinds;
  for (const TimelineTask& task : timeline_) {
    workers.insert(task.worker);
    kinds.insert(task.kind);
  }
  std::map<std::string, const char*> colour;
  std::size_t next = 0;
  for (const std::string& kind : kinds) colour[kind] = kPalette[next++ % std::size(kPalette)];
  const int row_height = workers.size() > 40 ? 8 : 18;
  const int height = static_cast<int>(workers.size()) * (row_height + 2) + 24;
  const double span = static_cast<double>(std::max<int64_t>(1, t1 - t0));
  std::map<uint32_t, std::string> rows;
  for (const TimelineTask& task : timeline_) {
    const double x = 40 + (kWidth - 50) * static_cast<double>(task.start_ms - t0) / span;
    const double w = std::max(0.6, (kWidth - 50) * static_cast<double>(task.end_ms - task.start_ms) / span);
    // A network-lane task (waiting for a token or a reply, many at once) is a thin line at
    // the row's foot, so the CPU tasks above it stay readable.
    const bool network = task.network;
    rows[task.worker] += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"{}><title>task {} "
        "({}), {} ms{}</title></rect>",
        x, network ? row_height - 3 : 0, w, network ? 3 : row_height - 4,
        task.ok ? colour[task.kind] : kFailedColour, network ? " opacity=\"0.5\"" : "", task.id,
        EscapeHtml(task.kind), task.end_ms - task.start_ms, task.ok ? "" : ", failed");
  }
  std::string svg = fmt::format("<svg class=\"timeline\" width=\"{}\" height=\"{}\">", kWidth, height);
  int y = 4;
  for (uint32_t worker : workers) {
    svg += fmt::format("<g class=\"worker-row\" data-worker=\"{}\" transform=\"translate(0,{})\">"
                       "<text x=\"2\" y=\"{}\" font-size=\"11\">w{}</text>{}</g>",
                       worker, y, row_height - 5, worker, rows[worker]);
    y += row_height + 2;
  }
  svg += fmt::format("<text x=\"40\" y=\"{}\" font-size=\"11\" fill=\"#666\">0 s</text>"
                     "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#666\" text-anchor=\"end\">{:.1f} s</text></svg>",
                     height - 4, kWidth - 10, height - 4, span / 1000);
  std::string legend = "<div class=\"legend\">";
  for (const auto& [kind, c] : colour) {
    legend += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", c, EscapeHtml(kind));
  }
  legend += fmt::format("<span><i style=\"background:{}\"></i>failed</span></div>", kFailedColour);
  if (timeline_.size() == kMaxTimelineTasks) {
    legend += fmt::format("<p class=\"muted\">The first {} tasks of {} are drawn.</p>", kMaxTimelineTasks, tasks_);
  }
  return svg + legend;
}

std::string RunPicture::CurvesSvg(int64_t t0, int64_t t1) const {
  const double span = static_cast<double>(std::max<int64_t>(1, t1 - t0));
  std::vector<std::vector<float>> bins(kBins);
  for (const Finish& finish : finishes_) {
    const auto bin = std::min<std::size_t>(
        kBins - 1, static_cast<std::size_t>(kBins * static_cast<double>(finish.end_ms - t0) / span));
    bins[bin].push_back(finish.run_ms);
  }
  const double bin_s = span / 1000 / kBins;
  std::vector<std::pair<double, double>> rate, p50, p95;
  double max_rate = 1, max_ms = 0.001;
  for (int i = 0; i < kBins; ++i) {
    const double x = (i + 0.5) / kBins;
    rate.emplace_back(x, static_cast<double>(bins[i].size()) / bin_s);
    max_rate = std::max(max_rate, rate.back().second);
    if (bins[i].empty()) continue;
    p50.emplace_back(x, Percentile(bins[i], 0.5));
    p95.emplace_back(x, Percentile(bins[i], 0.95));
    max_ms = std::max(max_ms, p95.back().second);
  }
  return fmt::format(
      "<h3>Throughput, tasks finished per second (max {:.0f}/s)</h3><svg class=\"throughput\" "
      "width=\"{}\" height=\"120\">{}</svg>"
      "<h3>Run time of the tasks finishing, p50 <span style=\"color:#37c\">&#9632;</span> and "
      "p95 <span style=\"color:#e90\">&#9632;</span> (max {:.1f} ms)</h3><svg class=\"latency\" "
      "width=\"{}\" height=\"120\">{}{}</svg>",
      max_rate, kWidth, Polyline(rate, max_rate, 120, "#2a7", "rate"), max_ms, kWidth,
      Polyline(p50, max_ms, 120, "#37c", "p50"), Polyline(p95, max_ms, 120, "#e90", "p95"));
}

std::string RunPicture::KindsTable() const {
  std::string html = "<table class=\"kinds\"><tr><th>kind</th><th>done</th><th>skipped</th>"
                     "<th>failed</th><th>retried</th><th>p50 ms</th><th>p95 ms</th><th>CPU s</th></tr>";
  for (const auto& [kind, k] : summary_["kinds"].items()) {
    html += fmt::format("<tr data-kind=\"{}\"><td>{}</td><td class=\"done\">{}</td><td>{}</td>"
                        "<td class=\"failed\">{}</td><td>{}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td></tr>",
                        EscapeHtml(kind), EscapeHtml(kind), k["done"].get<uint64_t>(), k["skipped"].get<uint64_t>(),
                        k["failed"].get<uint64_t>(), k["retried"].get<uint64_t>(),
                        k["run_ms"]["p50"].get<double>(), k["run_ms"]["p95"].get<double>(),
                        k["cpu_s"].get<double>());
  }
  return html + "</table>";
}

std::string RunPicture::BucketsTable() const {
  if (summary_["rate_limits"].empty()) return "<p class=\"muted\">No rate limit.</p>";
  const double wall = summary_["wall_s"].get<double>();
  std::string html = "<table class=\"buckets\"><tr><th>bucket</th><th>limit</th><th>tokens granted</th>"
                     "<th>granted/s over the run</th><th>waited s</th><th>back-offs</th></tr>";
  for (const auto& [name, b] : summary_["rate_limits"].items()) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}</td><td>{:.1f}</td><td>{}</td></tr>",
                        EscapeHtml(name), EscapeHtml(b["rate"].get<std::string>()), b["granted"].get<uint64_t>(),
                        wall > 0 ? static_cast<double>(b["granted"].get<uint64_t>()) / wall : 0.0,
                        b["wait_s"].get<double>(), b["backoffs"].get<uint64_t>());
  }
  html += "</table>";
  for (const auto& [name, b] : summary_["rate_limits"].items()) {
    html += BucketCurve(name, b);
  }
  return html;
}

// A bucket's tokens used per second over the run, against its limit (dashed): from the
// samples the run kept (its `used_over_time`); "" when it has none.
std::string RunPicture::BucketCurve(const std::string& name, const nlohmann::json& bucket) const {
  const nlohmann::json& points = bucket.contains("used_over_time") ? bucket["used_over_time"]
                                                                   : nlohmann::json::array();
  if (points.size() < 2) return "";
  const double limit = bucket.value("limit_per_s", 0.0);
  const double span = std::max(1e-9, points.back()[0].get<double>() - points.front()[0].get<double>());
  std::vector<std::pair<double, double>> rates;
  double max = limit * 1.25;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double dt = points[i][0].get<double>() - points[i - 1][0].get<double>();
    if (dt < 0.1) continue;  // the last sample may come early
    const double rate = static_cast<double>(points[i][1].get<uint64_t>() - points[i - 1][1].get<uint64_t>()) / dt;
    rates.emplace_back((points[i][0].get<double>() - points.front()[0].get<double>()) / span, rate);
    max = std::max(max, rate);
  }
  max = std::max(max, 1.0);
  const double limit_y = 120 - 16 - (120 - 30) * limit / max;
  return fmt::format(
      "<h3>{}: tokens used per second over the run, limit {:.2f}/s dashed</h3><svg "
      "class=\"bucket-curve\" data-bucket=\"{}\" width=\"{}\" height=\"120\"><line x1=\"40\" "
      "x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#c22\" stroke-dasharray=\"5,4\"/>{}</svg>",
      EscapeHtml(name), limit, EscapeHtml(name), kWidth, kWidth - 10, limit_y, limit_y,
      Polyline(rates, max, 120, "#37c", "used"));
}

std::string RunPicture::FailuresTable() const {
  if (failures_.empty()) return "<p class=\"muted\">No task failed.</p>";
  std::string html = "<table class=\"failures\"><tr><th>task</th><th>kind</th><th>worker</th>"
                     "<th>attempts</th><th>error</th></tr>";
  for (const OutcomeRow& row : failures_) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}: {}</td></tr>",
                        row.task_id, EscapeHtml(row.kind), row.worker, row.attempts,
                        EscapeHtml(row.error_code), EscapeHtml(row.error));
  }
  return html + "</table>";
}

std::string RunPicture::Html() const {
  int64_t t0 = INT64_MAX, t1 = 0;
  for (const TimelineTask& task : timeline_) t0 = std::min(t0, task.start_ms);
  for (const Finish& finish : finishes_) t1 = std::max(t1, finish.end_ms);
  if (t0 > t1) t0 = t1;
  std::string html = fmt::format(
      "<section data-run=\"{}\"><h2>Run {}</h2><p>started {}, {}; {} tasks in {:.2f} s on {} "
      "workers</p><h3>Per kind</h3>{}",
      run_.run_id, run_.run_id, EscapeHtml(run_.started_at),
      run_.finished_at ? fmt::format("exit status {}", run_.exit_code.value_or(-1))
                       : std::string("did not finish"),
      tasks_, summary_["wall_s"].get<double>(), summary_["workers"].get<unsigned>(), KindsTable());
  if (finishes_.empty()) {
    return html + "<p class=\"muted\">This run's rows carry no times (a journal written before "
                  "version 0.2): no timeline.</p></section>";
  }
  html += "<h3>Timeline per worker</h3>" + TimelineSvg(t0, t1) + CurvesSvg(t0, t1) +
          "<h3>Rate limits</h3>" + BucketsTable() + "<h3>Failed tasks</h3>" + FailuresTable();
  return html + "</section>";
}

std::string RunReportHtml(const std::vector<const RunPicture*>& runs) {
  std::string html = R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>taskfarm report</title><style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
.runs{display:grid;grid-template-columns:repeat(auto-fit,minmax(900px,1fr));gap:2em}
section{background:#fff;padding:1em;box-shadow:0 1px 2px #0002}
h1{font-size:1.3em} h2{font-size:1.15em;margin-top:0} h3{font-size:1em;margin:1.2em 0 .4em}
table{border-collapse:collapse} th,td{padding:.25em .7em;text-align:right;border-bottom:1px solid #eee}
th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
svg{background:#fcfcfc;border:1px solid #eee;display:block} .muted{color:#888}
.legend span{margin-right:1em} .legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
</style></head><body><h1>taskfarm report</h1><div class="runs">)";
  for (const RunPicture* run : runs) html += run->Html();
  return html + "</div></body></html>\n";
}

}  // namespace taskfarm

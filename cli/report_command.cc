#include "cli/report_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "coordinator/exit_codes.h"
#include "dashboard/run_report.h"
#include "journal/journal.h"
#include "journal/result_writer.h"
#include "coordinator/summary.h"
#include "coordinator/task_options.h"

namespace taskfarm {
namespace {

struct ReportOptions {
  std::string db;
  std::optional<int64_t> run_id;
  bool json = false;
  std::string out;
  std::string html;                     // the report with pictures
  std::optional<int64_t> compare_run;  // a second run beside it in the HTML report
};

// Tasks of the run that have no result: from the totals its settings define.
uint64_t CountUnfinished(const RunRecord& run, uint64_t finished) {
  try {
    const auto spec = nlohmann::json::parse(run.spec);
    uint64_t total = 0;
    for (const auto& [kind, count] : KindTotals(TaskOptionsFromJson(spec.at("tasks")))) {
      total += count;
    }
    return total > finished ? total - finished : 0;
  } catch (const std::exception&) {
    return 0;  // settings from another version: the totals are unknown
  }
}

struct SummarizedRun {
  RunSummary summary;
  nlohmann::json json;
};

// A run's summary from its rows, each also written to `writer` and drawn in `picture` (both
// may be null).
SummarizedRun SummarizeRun(Journal& journal, const RunRecord& run, ResultWriter* writer,
                           RunPicture* picture) {
  SummarizedRun out;
  RunSummary& summary = out.summary;
  journal.ForEachResult(run.run_id, [&](const OutcomeRow& row) {
    summary.RecordOutcome(row.kind, row.ok, row.error_code,
                          static_cast<uint64_t>(row.run_ms * 1e6),
                          static_cast<uint64_t>(row.cpu_ms * 1e6));
    if (row.document && row.document->status == "skipped") {
      summary.RecordSkipped(row.kind, row.document->note);
    }
    if (row.attempts > 1) summary.RecordRetries(row.kind, row.attempts - 1);
    if (row.http_retries > 0) summary.RecordRetries(row.kind, row.http_retries);
    if (writer) writer->Write(row);
    if (picture) picture->Add(row);
  });
  summary.set_wall_seconds(run.wall_s);
  summary.set_workers(nlohmann::json::parse(run.spec).value("workers", 0u));
  summary.set_unfinished(CountUnfinished(run, summary.finished()));
  const bool interrupted = !run.finished_at || run.exit_code.value_or(0) >= 128;
  if (interrupted) summary.set_interrupted_by(run.exit_code.value_or(128) - 128);
  nlohmann::json& json = out.json;
  json = summary.ToJson();
  if (run.rate_limits) json["rate_limits"] = nlohmann::json::parse(*run.rate_limits, nullptr, false);
  if (json["rate_limits"].is_discarded()) json["rate_limits"] = nlohmann::json::object();
  json["run_id"] = run.run_id;
  json["started_at"] = run.started_at;
  json["finished_at"] = run.finished_at ? nlohmann::json(*run.finished_at) : nullptr;
  json["exit_code"] = run.exit_code ? nlohmann::json(*run.exit_code) : nullptr;
  json["interrupted"] = interrupted;
  json["version"] = run.version ? nlohmann::json(*run.version) : nullptr;
  return out;
}

int Report(const ReportOptions& options) {
  if (!std::filesystem::exists(options.db)) {
    std::cerr << "taskfarm report: --db " << options.db << ": no such file\n";
    return exit_codes::kBadUsage;
  }
  try {
    Journal journal(options.db, SqliteDb::Access::kReadOnly);
    const std::optional<RunRecord> run = journal.FindRun(options.run_id);
    if (!run) {
      std::cerr << "taskfarm report: --db " << options.db << " holds no run"
                << (options.run_id ? " " + std::to_string(*options.run_id) : std::string())
                << '\n';
      return exit_codes::kBadUsage;
    }
    std::optional<RunRecord> compared;
    if (options.compare_run) {
      compared = journal.FindRun(options.compare_run);
      if (!compared) {
        std::cerr << "taskfarm report: --compare " << *options.compare_run << ": --db "
                  << options.db << " holds no such run\n";
        return exit_codes::kBadUsage;
      }
    }
    std::unique_ptr<ResultWriter> writer;
    if (!options.out.empty()) writer = OpenResultWriter(options.out, /*append=*/false);
    std::unique_ptr<RunPicture> picture;
    if (!options.html.empty()) picture = std::make_unique<RunPicture>(*run, nullptr);
    const SummarizedRun summarized = SummarizeRun(journal, *run, writer.get(), picture.get());
    const nlohmann::json& json = summarized.json;
    if (writer) writer->Flush();
    if (picture) {
      picture->set_summary(json);
      std::unique_ptr<RunPicture> other;
      if (compared) {
        other = std::make_unique<RunPicture>(*compared, nullptr);
        other->set_summary(SummarizeRun(journal, *compared, nullptr, other.get()).json);
      }
      std::ofstream file(options.html, std::ios::binary | std::ios::trunc);
      file << RunReportHtml(other ? std::vector<const RunPicture*>{other.get(), picture.get()}
                                  : std::vector<const RunPicture*>{picture.get()});
      file.close();
      if (!file) {
        std::cerr << "taskfarm report: cannot write --html " << options.html << '\n';
        return exit_codes::kNotRecorded;
      }
    }
    // With the rows on stdout (--out -), the summary goes to stderr.
    std::ostream& out = options.out == kStdoutPath ? std::cerr : std::cout;
    if (options.json) {
      nlohmann::json printed = json;  // the buckets' samples are the HTML report's, not the summary's
      for (auto& [name, bucket] : printed["rate_limits"].items()) bucket.erase("used_over_time");
      out << printed.dump() << std::endl;
    } else {
      out << "run " << run->run_id << " started " << run->started_at << ", "
                << (run->finished_at ? "finished " + *run->finished_at + " with exit status " +
                                           std::to_string(run->exit_code.value_or(-1))
                                     : std::string("did not finish (killed?): resume it with "
                                                   "taskfarm run --resume --db " + options.db))
                << '\n';
      summarized.summary.Print(out);
    }
    return exit_codes::kSuccess;
  } catch (const std::exception& e) {
    std::cerr << "taskfarm report: " << e.what() << '\n';
    return exit_codes::kBadUsage;
  }
}

}  // namespace

void AddReportCommand(CLI::App& app, int* exit_status) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* report = app.add_subcommand(
      "report", "Summarize a finished or interrupted run from its database; export its results");
  report->footer(R"(Examples:
  taskfarm report --db run.db                   the latest run's summary
  taskfarm report --db run.db --json            the same as one JSON object
  taskfarm report --db run.db --out run.csv     its results as CSV (or .jsonl)
  taskfarm report --db run.db --html run.html   the report with pictures
  taskfarm report --db run.db --html c.html --compare 1   run 1 beside the latest

Exit status: 0 report written; 2 bad usage, or no such database or run.)");
  report->add_option("--db", options->db, "the run's SQLite database")->required();
  report->add_option("--run", options->run_id, "which run (default: the latest)");
  report->add_flag("--json", options->json, "print the summary as one JSON object");
  report->add_option("--out", options->out, "export the run's results to FILE (.jsonl or .csv; - for JSON Lines on stdout)");
  report->add_option("--html", options->html,
                     "write the run's report with pictures to FILE: one self-contained HTML "
                     "file (a timeline per worker, throughput and run times over the run, rate "
                     "limits, failures)");
  report->add_option("--compare", options->compare_run,
                     "with --html: RUN's report beside this one's (e.g. last night's)");
  report->callback([options, exit_status] { *exit_status = Report(*options); });
}

}  // namespace taskfarm

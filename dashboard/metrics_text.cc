#include "dashboard/metrics_text.h"

#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace taskfarm {
namespace {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// One metric family: its samples, each with its labels.
class Family {
 public:
  Family(std::string name, std::string type, std::string help)
      : name_(std::move(name)), type_(std::move(type)), help_(std::move(help)) {}
  void Add(const std::map<std::string, std::string>& labels, double value) {
    std::string text = name_;
    if (!labels.empty()) {
      text += '{';
      bool first = true;
      for (const auto& [key, label] : labels) {
        text += fmt::format("{}{}=\"{}\"", first ? "" : ",", key, EscapeLabel(label));
        first = false;
      }
      text += '}';
    }
    samples_.push_back(fmt::format("{} {}", text, value));
  }
  void WriteTo(std::ostringstream& out) const {
    if (samples_.empty()) return;
    out << "# HELP " << name_ << ' ' << help_ << "\n# TYPE " << name_ << ' ' << type_ << '\n';
    for (const std::string& sample : samples_) out << sample << '\n';
  }

 private:
  std::string name_, type_, help_;
  std::vector<std::string> samples_;
};

}  // namespace

std::string PrometheusText(const nlohmann::json& status) {
  Family completed("taskfarm_tasks_completed_total", "counter",
                   "Tasks with a final outcome, by kind and status (ok, skipped, failed).");
  Family failures("taskfarm_task_failures_total", "counter", "Failed tasks by kind and reason.");
  Family retries("taskfarm_task_retries_total", "counter", "Tasks sent again, by kind.");
  Family in_flight("taskfarm_tasks_in_flight", "gauge", "Tasks sent and not finished, by kind.");
  Family known("taskfarm_tasks", "gauge", "Tasks the run has, by kind, when known.");
  Family granted("taskfarm_rate_limit_tokens_granted_total", "counter",
                 "Tokens the rate-limit bucket granted.");
  Family used("taskfarm_rate_limit_tokens_used_total", "counter",
              "Granted tokens whose time has come (a grant may reserve a later one).");
  Family waited("taskfarm_rate_limit_wait_seconds_total", "counter",
                "Time tasks waited for the bucket's tokens.");
  Family backoffs("taskfarm_rate_limit_backoffs_total", "counter",
                  "Pauses the bucket took on the service's word (429, Retry-After).");
  Family limit("taskfarm_rate_limit_tokens_per_second", "gauge",
               "The bucket's sustained rate (its slowest window's).");
  Family workers("taskfarm_workers", "gauge", "Workers in the run, by host.");
  Family held("taskfarm_worker_tasks_held", "gauge", "Tasks a worker holds (running and queued).");
  Family rss("taskfarm_worker_resident_memory_bytes", "gauge", "A worker's resident memory, as it last reported it.");
  Family cpu("taskfarm_worker_cpu_seconds_total", "counter", "A worker's CPU time (its commands' included), as it last reported it.");
  Family elapsed("taskfarm_run_elapsed_seconds", "gauge", "Time since the run started.");
  Family finished("taskfarm_run_finished", "gauge", "1 once the run has ended.");

  for (const auto& kind : status["kinds"]) {
    const std::string name = kind["kind"];
    completed.Add({{"kind", name}, {"status", "ok"}}, kind["done"]);
    completed.Add({{"kind", name}, {"status", "skipped"}}, kind["skipped"]);
    completed.Add({{"kind", name}, {"status", "failed"}}, kind["failed"]);
    for (const auto& [reason, count] : kind["failed_by_reason"].items()) {
      failures.Add({{"kind", name}, {"reason", reason}}, count.get<double>());
    }
    retries.Add({{"kind", name}}, kind["retried"]);
    in_flight.Add({{"kind", name}}, kind["in_flight"]);
    if (!kind["total"].is_null()) known.Add({{"kind", name}}, kind["total"]);
  }
  for (const auto& bucket : status["buckets"]) {
    const std::map<std::string, std::string> labels = {{"bucket", bucket["name"]}};
    granted.Add(labels, bucket["granted"]);
    used.Add(labels, bucket["used"]);
    waited.Add(labels, bucket["wait_s"]);
    backoffs.Add(labels, bucket["backoffs"]);
    limit.Add(labels, bucket["limit_per_s"]);
  }
  std::map<std::string, double> per_host;
  for (const auto& worker : status["workers"]) {
    const std::map<std::string, std::string> labels = {
        {"worker", std::to_string(worker["id"].get<int>())}, {"host", worker["host"]}};
    per_host[worker["host"]] += 1;
    held.Add(labels, worker["held"]);
    if (!worker["rss_bytes"].is_null()) rss.Add(labels, worker["rss_bytes"]);
    if (!worker["cpu_s"].is_null()) cpu.Add(labels, worker["cpu_s"]);
  }
  for (const auto& [host, count] : per_host) workers.Add({{"host", host}}, count);
  elapsed.Add({}, status["elapsed_s"]);
  finished.Add({}, status["finished"].get<bool>() ? 1 : 0);

  std::ostringstream out;
  for (const Family* family : {&completed, &failures, &retries, &in_flight, &known, &granted, &used,
                               &waited, &backoffs, &limit, &workers, &held, &rss, &cpu, &elapsed,
                               &finished}) {
    family->WriteTo(out);
  }
  return out.str();
}

}  // namespace taskfarm

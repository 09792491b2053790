// The pictures of a run, read by real clients: the live dashboard's /metrics checked by
// Prometheus' own promtool, its page loaded in headless Chromium (Debian's chromium) and
// its figures read from the DOM against the run's --json summary; the HTML report of two
// runs side by side, one timeline row per worker that ran tasks. Screenshots are kept as the
// tests' artifacts (build/tests/artifacts/). A non-loopback address without a token is
// refused.

#include <signal.h>

#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

namespace fs = std::filesystem;

// The dashboard's address, from the run's stderr ("taskfarm: dashboard at URL").
std::string DashboardUrl(const Taskfarm& run) {
  static const std::regex line("dashboard at (http://[^ \n]+)");
  std::string url;
  WaitFor(
      [&] {
        const std::string err = ReadFile(run.stderr_path());
        std::smatch match;
        if (std::regex_search(err, match, line)) url = match[1].str();
        return !url.empty();
      },
      std::chrono::milliseconds(20'000));
  return url;
}

// Waits for the run's word that it lingers: a signal sent after it ends the wait.
bool WaitForLinger(const Taskfarm& run) {
  return WaitFor([&] { return ReadFile(run.stderr_path()).find("dashboard stays up") != std::string::npos; },
                 std::chrono::milliseconds(60'000));
}

int SystemStatus(const std::string& command) { return std::system(command.c_str()); }

// What headless Chromium makes of the page once its script has run.
std::string BrowserDom(const std::string& url, const fs::path& out) {
  const std::string command = fmt::format(
      "chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--virtual-time-budget=3000 --dump-dom '{}' > '{}' 2>/dev/null",
      url, out.string());
  EXPECT_EQ(SystemStatus(command), 0) << command;
  return ReadFile(out);
}

// The text of the cell `column` in the table row `row_attribute` (data-kind="sleep").
std::string Cell(const std::string& dom, const std::string& row_attribute, const std::string& column) {
  const std::regex cell("<tr " + row_attribute + "[^>]*>.*?<td class=\"" + column + "\">([^<]*)</td>");
  std::smatch match;
  return std::regex_search(dom, match, cell) ? match[1].str() : "(no cell)";
}

TEST(Dashboard, ThePageAndTheMetricsShowTheRunAsItsSummaryDoes) {
  TempDir tmp;
  Taskfarm run({"run", "--sleep", "30", "--sleep-ms", "100", "--burn", "10", "--fault", "2",
                "--tick", "20", "--rate", "api=20/s", "--workers", "2", "--dashboard", "0",
                "--dashboard-linger", "60", "--json", "--quiet"},
               tmp);
  const std::string url = DashboardUrl(run);
  ASSERT_FALSE(url.empty()) << ReadFile(run.stderr_path());
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << "loopback by default: " << url;

  // While the run goes: Prometheus' own checker accepts /metrics. The address is printed
  // before the farm's loop publishes its first snapshot (within 0.25 s of its start): until
  // then /metrics has only the run's clock.
  std::string metrics;
  WaitFor([&] {
    metrics = HttpGet(url + "metrics");
    return metrics.find("taskfarm_tasks_in_flight") != std::string::npos;
  }, std::chrono::milliseconds(20'000));
  ASSERT_NE(metrics.find("taskfarm_tasks_in_flight"), std::string::npos) << metrics;
  std::ofstream(tmp / "metrics.txt") << metrics;
  EXPECT_EQ(SystemStatus("promtool check metrics < '" + (tmp / "metrics.txt").string() + "'"), 0) << metrics;

  // Once it has ended (the summary is printed, the page lingers): the browser's page says
  // what the summary says.
  ASSERT_TRUE(WaitForLinger(run)) << ReadFile(run.stderr_path());
  const auto summary = nlohmann::json::parse(ReadFile(run.stdout_path()));
  const auto status = nlohmann::json::parse(HttpGet(url + "status.json"));
  EXPECT_TRUE(status["finished"].get<bool>()) << status;
  const std::string dom = BrowserDom(url, tmp / "dom.html");
  EXPECT_NE(dom.find("id=\"state\" class=\"finished\""), std::string::npos) << dom.substr(0, 2000);
  for (const std::string kind : {"sleep", "burn", "fault", "tick"}) {
    const std::string row = "data-kind=\"" + kind + "\"";
    EXPECT_EQ(Cell(dom, row, "done"), std::to_string(summary["kinds"][kind]["done"].get<int>())) << kind;
    EXPECT_EQ(Cell(dom, row, "failed"), std::to_string(summary["kinds"][kind]["failed"].get<int>())) << kind;
  }
  EXPECT_EQ(Cell(dom, "data-reason=\"fault/handler_failed\"", "count"), "2");
  EXPECT_EQ(Cell(dom, "data-bucket=\"api\"", "granted"),
            std::to_string(summary["rate_limits"]["api"]["granted"].get<int>()));
  EXPECT_NE(dom.find("class=\"bucket-chart\" data-bucket=\"api\""), std::string::npos)
      << "the bucket's tokens over time";
  EXPECT_GE(status["buckets"][0]["history"].size(), 2u) << status["buckets"];
  EXPECT_NE(dom.find("data-worker=\"1\""), std::string::npos) << "a row per worker";
  EXPECT_NE(dom.find("fault task threw as asked"), std::string::npos) << "the last failures";
  const std::string final_metrics = HttpGet(url + "metrics");
  EXPECT_NE(final_metrics.find("taskfarm_tasks_completed_total{kind=\"sleep\",status=\"ok\"} 30"),
            std::string::npos)
      << final_metrics;

  const fs::path artifacts = fs::path(TASKFARM_BINARY_DIR) / "tests" / "artifacts";
  fs::create_directories(artifacts);
  EXPECT_EQ(SystemStatus(fmt::format("chromium --headless=new --no-sandbox --disable-gpu "
                              "--disable-dev-shm-usage --virtual-time-budget=3000 "
                              "--window-size=1100,1000 --screenshot='{}' '{}' >/dev/null 2>&1",
                              (artifacts / "dashboard.png").string(), url)),
            0);
  EXPECT_GT(fs::file_size(artifacts / "dashboard.png"), 10'000u);

  run.Signal(SIGINT);  // ends the linger
  RunOutput done = run.Wait(std::chrono::seconds(30));
  EXPECT_EQ(done.exit_code, 1) << "the fault tasks failed: " << done.err;
  EXPECT_TRUE(HttpGet(url + "status.json").empty()) << "the dashboard is gone with the run";
}

TEST(Dashboard, AnAddressBeyondLoopbackNeedsAToken) {
  TempDir tmp;
  RunOutput refused = RunTaskfarm({"run", "--noop", "1", "--dashboard", "0.0.0.0:0"}, tmp);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("needs --dashboard-token"), std::string::npos) << refused.err;
  RunOutput bad = RunTaskfarm({"run", "--noop", "1", "--dashboard", "127.0.0.1:http"}, tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("expected [HOST:]PORT"), std::string::npos) << bad.err;

  Taskfarm run({"run", "--sleep", "1", "--sleep-ms", "100", "--dashboard", "0.0.0.0:0",
                "--dashboard-token", "s3cret", "--dashboard-linger", "60", "--quiet"},
               tmp);
  const std::string url = DashboardUrl(run);
  ASSERT_NE(url.find("?token=s3cret"), std::string::npos) << url;
  const std::string port = std::regex_replace(url, std::regex("http://[^:]+:([0-9]+)/.*"), "$1");
  EXPECT_NE(HttpGet("http://127.0.0.1:" + port + "/status.json").find("needs ?token="),
            std::string::npos)
      << "no token: refused (403)";
  EXPECT_NE(HttpGet("http://127.0.0.1:" + port + "/status.json?token=s3cret").find("\"kinds\""),
            std::string::npos);
  ASSERT_TRUE(WaitForLinger(run));
  run.Signal(SIGINT);  // ends the linger
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0);
}

// The number of timeline rows (one per worker) in the report's section of `run`.
int TimelineRows(const std::string& dom, int run) {
  const auto section = dom.find("<section data-run=\"" + std::to_string(run) + "\"");
  if (section == std::string::npos) return -1;
  const auto end = dom.find("</section>", section);
  int rows = 0;
  for (auto at = dom.find("class=\"worker-row\"", section); at < end;
       at = dom.find("class=\"worker-row\"", at + 1)) {
    ++rows;
  }
  return rows;
}

TEST(RunReport, TheHtmlReportHasATimelineRowPerWorkerAndComparesTwoRuns) {
  TempDir tmp;
  const std::string db = (tmp / "runs.db").string();
  ASSERT_EQ(RunTaskfarm({"run", "--sleep", "20", "--sleep-ms", "30", "--burn", "30", "--fault", "2",
                         "--workers", "2", "--db", db, "--quiet"},
                        tmp)
                .exit_code,
            1);
  ASSERT_EQ(RunTaskfarm({"run", "--burn", "60", "--burn-us", "3000", "--tick", "10", "--rate",
                         "api=20/s", "--workers", "3", "--db", db, "--quiet"},
                        tmp)
                .exit_code,
            0);
  const fs::path html = tmp / "report.html";
  RunOutput report = RunTaskfarm({"report", "--db", db, "--html", html.string(), "--compare", "1",
                                  "--json"},
                                 tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto summary = nlohmann::json::parse(report.out);
  const std::string dom = BrowserDom("file://" + html.string(), tmp / "report-dom.html");
  for (int run : {1, 2}) {
    const auto workers = QueryInt(db, fmt::format("SELECT count(DISTINCT worker) FROM results WHERE run_id = {}", run));
    EXPECT_EQ(TimelineRows(dom, run), workers) << "run " << run;
  }
  EXPECT_EQ(Cell(dom, "data-kind=\"burn\"", "done"), "30") << "run 1's section comes first";
  EXPECT_NE(dom.find("handler_failed: fault task threw as asked"), std::string::npos);
  EXPECT_NE(dom.find("<td>api</td><td>20/s</td><td>10</td>"), std::string::npos)
      << "the bucket's tokens, kept by the journal";
  EXPECT_NE(dom.find("class=\"bucket-curve\" data-bucket=\"api\""), std::string::npos)
      << "the bucket's tokens used over the run, against its limit";
  EXPECT_EQ(summary["kinds"]["burn"]["done"], 60);

  const fs::path artifacts = fs::path(TASKFARM_BINARY_DIR) / "tests" / "artifacts";
  fs::create_directories(artifacts);
  EXPECT_EQ(SystemStatus(fmt::format("chromium --headless=new --no-sandbox --disable-gpu "
                                     "--disable-dev-shm-usage --window-size=1900,1000 "
                                     "--screenshot='{}' 'file://{}' >/dev/null 2>&1",
                                     (artifacts / "report.png").string(), html.string())),
            0);
  EXPECT_GT(fs::file_size(artifacts / "report.png"), 10'000u);

  RunOutput no_run = RunTaskfarm({"report", "--db", db, "--html", html.string(), "--compare", "9"}, tmp);
  EXPECT_EQ(no_run.exit_code, 2);
  EXPECT_NE(no_run.err.find("--compare 9"), std::string::npos) << no_run.err;
}

}  // namespace
}  // namespace taskfarm::testing

// Nothing lost: workers killed at random, hung tasks, a killed coordinator and --resume,
// graceful and immediate stops. Real coordinator, real workers, real SQLite journal.

#include <signal.h>

#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;


TEST(Reliability, ChaosEveryTaskHasExactlyOneResult) {
  TempDir tmp;
  const int noop = 10000, burn = 10000;
  Taskfarm farm({"run", "--noop", std::to_string(noop), "--burn", std::to_string(burn),
                 "--burn-us", "300", "--workers", "2", "--out", (tmp / "r.jsonl").string(),
                 "--json", "--quiet"},
                tmp);
  std::mt19937 random(7);
  int kills = 0;
  // SIGKILL a random worker every 100 ms until the run ends, but only one that has had
  // 300 ms to start and work, and at most 40 times: on a loaded machine (or in a sanitizer
  // build) a worker can take longer to start than the interval, and killing every worker
  // before it can work would stop the run from ever ending.
  constexpr int kMaxKills = 40;
  std::map<pid_t, std::chrono::steady_clock::time_point> first_seen;
  while (!WaitFor([&] { return !farm.Running(); }, milliseconds(100))) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<pid_t> ripe;
    for (pid_t pid : WorkersOf(tmp, farm.pid())) {
      const auto seen = first_seen.try_emplace(pid, now).first->second;
      if (now - seen >= milliseconds(300)) ripe.push_back(pid);
    }
    if (ripe.empty() || kills >= kMaxKills) continue;
    kill(ripe[random() % ripe.size()], SIGKILL);
    ++kills;
  }
  RunOutput run = farm.Wait();
  std::map<uint64_t, int> seen;
  int quarantined = 0;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    ++seen[row["id"].get<uint64_t>()];
    if (row["status"] != "ok") {
      EXPECT_EQ(row["error_code"], "quarantined") << row.dump();
      ++quarantined;
    }
  }
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(noop + burn)) << run.err;
  for (const auto& [id, count] : seen) ASSERT_EQ(count, 1) << "task " << id;
  EXPECT_EQ(seen.rbegin()->first, static_cast<uint64_t>(noop + burn));
  EXPECT_GE(kills, 5);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_GE(summary["workers_lost"].get<int>(), 3);
  EXPECT_EQ(summary["duplicates_dropped"].get<int>() >= 0, true);
  EXPECT_EQ(run.exit_code, quarantined == 0 ? 0 : 1);
  ExpectNothingLeft(tmp, farm.pid());
}

TEST(Reliability, HungTaskIsKilledAtItsTimeoutAndRetried) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--noop", "100", "--fault", "1", "--fault-mode",
                               "hang-once", "--task-timeout", "0.5", "--workers", "2", "--out",
                               (tmp / "r.jsonl").string(), "--json"},
                              tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("ran past its timeout of 0.5 s"), std::string::npos) << run.err;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    if (row["kind"] == "fault") {
      EXPECT_EQ(row["status"], "ok");
      EXPECT_EQ(row["attempts"], 2);
    }
  }
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["fault"]["retried"], 1);
  EXPECT_EQ(summary["kinds"]["noop"]["done"], 100);
  EXPECT_EQ(summary["workers_lost"], 1);
}

TEST(Reliability, TaskThatAlwaysHangsIsQuarantinedAsTimedOut) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--noop", "50", "--fault", "1", "--fault-mode", "hang",
                               "--task-timeout", "0.3", "--max-attempts", "2", "--json"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["fault"]["failed_by_reason"]["timed_out"], 1);
  EXPECT_EQ(summary["kinds"]["noop"]["done"], 50);
}

TEST(Reliability, KilledCoordinatorResumesWithExactlyOneResultPerTask) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  const int total = 3000;
  Taskfarm farm({"run", "--burn", std::to_string(total), "--burn-us", "1000", "--workers", "2",
                 "--db", db.string(), "--quiet"},
                tmp);
  std::mt19937 random(std::random_device{}());
  std::this_thread::sleep_for(milliseconds(300 + random() % 700));
  farm.Signal(SIGKILL);
  EXPECT_EQ(farm.Wait().exit_code, 128 + SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return ProcessesMentioning(tmp.path().string()).empty(); },
                      seconds(5)));
  const int64_t before = QueryInt(db, "SELECT count(*) FROM results");
  EXPECT_GT(before, 0) << "results were committed as they arrived";
  EXPECT_LT(before, total);

  RunOutput resumed = RunTaskfarm({"run", "--resume", "--db", db.string(), "--json"}, tmp);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto summary = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(summary["tasks"].get<int64_t>(), total - before) << "only the tasks without result";
  EXPECT_EQ(summary["resumed_skipped"].get<int64_t>(), before);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), total);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT task_id) FROM results"), total);
  EXPECT_EQ(QueryInt(db, "SELECT min(task_id) FROM results"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT max(task_id) FROM results"), total);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT exit_code FROM runs"), 0);

  RunOutput again = RunTaskfarm({"run", "--resume", "--db", db.string(), "--json"}, tmp);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(again.out)["tasks"], 0) << "nothing left to do";
}

TEST(Reliability, SigtermCommitsResultsSoFarAndExits143) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  Taskfarm farm({"run", "--burn", "100000", "--burn-us", "2000", "--workers", "2", "--db",
                 db.string(), "--rate", "unused=1/s", "--json"},
                tmp);
  std::this_thread::sleep_for(milliseconds(700));
  farm.Signal(SIGTERM);
  RunOutput run = farm.Wait(seconds(30));
  EXPECT_EQ(run.exit_code, 143);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_TRUE(summary["interrupted"].get<bool>());
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), summary["tasks"].get<int64_t>());
  EXPECT_GT(summary["tasks"].get<int64_t>(), 0);
  EXPECT_EQ(QueryInt(db, "SELECT exit_code FROM runs"), 143);
  ExpectNothingLeft(tmp, farm.pid());
}

TEST(Reliability, SecondSignalStopsAtOnce) {
  TempDir tmp;
  Taskfarm farm({"run", "--sleep", "4", "--sleep-ms", "20000", "--grace", "60", "--out",
                 (tmp / "r.jsonl").string()},
                tmp);
  ASSERT_TRUE(WaitFor([&] { return WorkersOf(tmp, farm.pid()).size() == 2; }, seconds(5)));
  std::this_thread::sleep_for(milliseconds(300));
  farm.Signal(SIGINT);
  std::this_thread::sleep_for(milliseconds(300));
  farm.Signal(SIGINT);
  const auto start = std::chrono::steady_clock::now();
  RunOutput run = farm.Wait(seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
  EXPECT_EQ(run.exit_code, 130);
  ExpectNothingLeft(tmp, farm.pid());
}

TEST(Reliability, WorkersAreReplacedAfterMaxTasksAndOverMaxMemory) {
  TempDir tmp;
  // No worker runs more than 100 tasks, and each that ran 100 was replaced. (Tasks a worker
  // gave back to an idle one do not count: the last workers may end with fewer.)
  RunOutput by_count = RunTaskfarm({"run", "--noop", "1000", "--max-tasks-per-worker", "100",
                                    "--workers", "2", "--json", "--quiet", "--out",
                                    (tmp / "rows.jsonl").string()},
                                   tmp);
  ASSERT_EQ(by_count.exit_code, 0) << by_count.err;
  auto summary = nlohmann::json::parse(by_count.out);
  EXPECT_EQ(summary["kinds"]["noop"]["done"], 1000);
  EXPECT_EQ(summary["workers_lost"], 0);
  std::map<int, int> runs_by_worker;
  std::ifstream rows(tmp / "rows.jsonl");
  for (std::string line; std::getline(rows, line);) {
    ++runs_by_worker[nlohmann::json::parse(line)["worker"].get<int>()];
  }
  int ran_the_most = 0;
  for (const auto& [worker, runs] : runs_by_worker) {
    EXPECT_LE(runs, 100) << "worker " << worker;
    ran_the_most += runs == 100 ? 1 : 0;
  }
  EXPECT_GE(ran_the_most, 8);
  EXPECT_EQ(summary["workers_retired"], ran_the_most);

  // Every worker is over 1 MB: each is replaced after the task it runs.
  RunOutput by_memory = RunTaskfarm({"run", "--sleep", "20", "--sleep-ms", "150",
                                     "--max-worker-rss", "1", "--workers", "2", "--json",
                                     "--quiet"},
                                    tmp);
  ASSERT_EQ(by_memory.exit_code, 0) << by_memory.err;
  summary = nlohmann::json::parse(by_memory.out);
  EXPECT_EQ(summary["kinds"]["sleep"]["done"], 20);
  EXPECT_GE(summary["workers_retired"].get<int>(), 5);
  EXPECT_EQ(summary["workers_lost"], 0);
}

TEST(Reliability, ResumeWithoutARunIsAClearError) {
  TempDir tmp;
  RunOutput missing = RunTaskfarm({"run", "--resume", "--db", (tmp / "none.db").string()}, tmp);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.db"), std::string::npos) << missing.err;
  RunOutput no_db = RunTaskfarm({"run", "--resume"}, tmp);
  EXPECT_EQ(no_db.exit_code, 2);
  RunOutput both = RunTaskfarm({"run", "--resume", "--db", (tmp / "x.db").string(), "--noop",
                                "5"},
                               tmp);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("x.db: no such file to resume"), std::string::npos) << both.err;
}

// A converter whose worker is killed mid-conversion (its task ran past --task-timeout) dies
// with it: its whole process group, children included, is gone when the run ends.
TEST(Reliability, AConverterDiesWithItsWorker) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "docs");
  std::ofstream(tmp / "docs" / "a.hang") << "never converted\n";
  const auto script = tmp / "hang.sh";
  std::ofstream(script) << "#!/bin/sh\nsleep 300 &\nsleep 301\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  RunOutput run = RunTaskfarm({"run", "--index", (tmp / "docs").string(), "--db",
                               (tmp / "i.db").string(), "--workers", "1", "--task-timeout", "1",
                               "--max-attempts", "1", "--converter", "hang=" + script.string(),
                               "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("ran past its timeout"), std::string::npos) << run.err;
  ExpectNothingLeft(tmp);
}

// An incremental index run removes only files known to be gone: a folder it cannot list
// (here: mode 000, the run as an unprivileged user) is an error row, and its documents stay.
TEST(Reliability, AFolderThatCannotBeListedKeepsItsDocuments) {
  TempDir tmp;
  namespace fs = std::filesystem;
  fs::permissions(tmp.path(), fs::perms::all);  // the unprivileged run writes its db here
  fs::create_directories(tmp / "docs" / "open");
  fs::create_directories(tmp / "docs" / "locked");
  std::ofstream(tmp / "docs" / "open" / "a.txt") << "alpha\n";
  std::ofstream(tmp / "docs" / "locked" / "b.txt") << "beta\n";
  for (const auto& entry : fs::recursive_directory_iterator(tmp / "docs")) {
    const fs::perms readable = fs::perms::owner_read | fs::perms::owner_write |
                               fs::perms::group_read | fs::perms::others_read;
    fs::permissions(entry.path(), entry.is_directory() ? fs::perms::all : readable);
  }
  fs::permissions(tmp / "docs", fs::perms::all);
  // The binaries are copied where nobody may run them (a clone may sit under /root).
  fs::create_directories(tmp / "bin");
  fs::copy_file(TASKFARM_BIN, tmp / "bin" / "taskfarm");
  for (const char* file : {"taskfarm-worker", "libtaskfarm-kinds.so"}) {
    fs::copy_file(fs::path(TASKFARM_BIN).parent_path() / file, tmp / "bin" / file);
  }
  fs::permissions(tmp / "bin", fs::perms::all);
  // The harness gives the wrapper env, TMPDIR=... and TASKFARM_BIN before the arguments.
  const std::vector<std::string> as_nobody{
      "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
      "env=$1 tmpdir=$2; shift 3; exec \"$env\" \"$tmpdir\" " +
          (tmp / "bin" / "taskfarm").string() + " \"$@\"",
      "sh"};
  const auto db = tmp / "i.db";
  const std::vector<std::string> args{"run", "--index", (tmp / "docs").string(), "--db",
                                      db.string(), "--workers", "1", "--json", "--quiet"};
  RunOutput first = Taskfarm(args, tmp, {}, as_nobody).Wait();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(QueryInt(db, "SELECT count(*) FROM documents"), 2);

  fs::permissions(tmp / "docs" / "locked", fs::perms::none);
  RunOutput second = Taskfarm(args, tmp, {}, as_nobody).Wait();
  fs::permissions(tmp / "docs" / "locked", fs::perms::all);  // so the TempDir can go
  EXPECT_EQ(second.exit_code, 1) << "the unreadable folder is a failed task: " << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out).at("index").at("removed").get<int>(), 0)
      << second.out;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM documents"), 2);
}

}  // namespace
}  // namespace taskfarm::testing

// Results that cannot be written are never counted as done: a full disk under the journal
// and --out stops the run with exit status 3, the files hold only whole rows, and --resume
// finishes exactly the rest; a second run on a database in use is refused.

#include <sys/mount.h>

#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "shared/system_text.h"
#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A tmpfs of `megabytes` at `dir`, unmounted when destroyed (the tests run as root, as the
// network-namespace tests do).
class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& dir, int megabytes) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    const std::string size = "size=" + std::to_string(megabytes) + "m";
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", 0, size.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  /// Makes room: the same files, on a larger disk.
  bool Grow(int megabytes) {
    const std::string size = "size=" + std::to_string(megabytes) + "m";
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, size.c_str()) == 0;
  }
  /// The same files, read-only from now on.
  bool MakeReadOnly() {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

TEST(WriteFailure, DiskFullStopsTheRunWithStatus3AndResumeFinishesExactlyTheRest) {
  TempDir tmp;
  SmallDisk disk(tmp / "small", 1);
  ASSERT_TRUE(disk.mounted()) << "mount tmpfs: " << ErrnoText(errno);
  const std::string db = (tmp / "small" / "run.db").string();
  const std::string out = (tmp / "small" / "out.jsonl").string();
  const int tasks = 40000;
  RunOutput full = RunTaskfarm({"run", "--noop", std::to_string(tasks), "--workers", "1",
                                "--db", db, "--out", out, "--json"},
                               tmp);
  EXPECT_EQ(full.exit_code, 3) << full.err;
  // SQLite says "database or disk is full", write(2) "No space left on device".
  EXPECT_TRUE(full.err.find("small/run.db: database or disk is full") != std::string::npos ||
              full.err.find("small/out.jsonl: No space left on device") != std::string::npos)
      << full.err;
  const nlohmann::json summary = nlohmann::json::parse(full.out);
  EXPECT_FALSE(summary.at("ok").get<bool>());
  EXPECT_TRUE(summary.at("not_recorded").is_string());
  // Every line in --out is whole (ReadJsonLines throws on a cut one).
  const std::size_t out_rows_before = ReadJsonLines(out).size();
  const int64_t journaled = QueryInt(db, "SELECT count(*) FROM results");
  EXPECT_LT(journaled, tasks) << "the disk was meant to fill up";
  // The run's row says 3, or nothing (when even that update found the disk full, the run
  // reads as unfinished): never success.
  EXPECT_EQ(QueryInt(db, "SELECT coalesce(exit_code, 3) FROM runs"), 3);

  ASSERT_TRUE(disk.Grow(64));
  RunOutput resumed = RunTaskfarm({"run", "--resume", "--db", db, "--out", out, "--json",
                                   "--workers", "1"},
                                  tmp);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), tasks);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT task_id) FROM results"), tasks);
  EXPECT_EQ(QueryInt(db, "SELECT min(task_id) FROM results"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT max(task_id) FROM results"), tasks);
  EXPECT_EQ(nlohmann::json::parse(resumed.out).at("resumed_skipped").get<int64_t>(), journaled);
  // --out holds every task once: the rows the journal kept (which the full disk had cut from
  // --out) are written again from the journal, then a row for each task the resumed run ran.
  EXPECT_LE(out_rows_before, static_cast<std::size_t>(journaled));
  std::set<int64_t> ids;
  for (const auto& row : ReadJsonLines(out)) ids.insert(row.at("id").get<int64_t>());
  EXPECT_EQ(ReadJsonLines(out).size(), static_cast<std::size_t>(tasks));
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(tasks));
}

TEST(WriteFailure, OutOnAFullDeviceStopsTheRunWithStatus3) {
  TempDir tmp;
  const auto out = tmp / "out.jsonl";
  std::filesystem::create_symlink("/dev/full", out);
  RunOutput run = RunTaskfarm({"run", "--noop", "5000", "--workers", "1", "--out",
                               out.string(), "--json"},
                              tmp);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find(out.string() + ": No space left on device"), std::string::npos)
      << run.err;
  EXPECT_FALSE(nlohmann::json::parse(run.out).at("ok").get<bool>());

  // A resumed run writes the journal's rows to --out again first: that failing is status 3
  // too, before anything runs.
  const auto db = (tmp / "run.db").string();
  Taskfarm killed({"run", "--burn", "2000", "--burn-us", "2000", "--workers", "1", "--db", db,
                   "--quiet"},
                  tmp);
  ASSERT_TRUE(WaitFor([&] { return TryQueryInt(db, "SELECT count(*) FROM results") > 10; },
                      std::chrono::seconds(60)));
  killed.Signal(SIGKILL);
  killed.Wait();
  RunOutput resumed = RunTaskfarm({"run", "--resume", "--db", db, "--out", out.string()}, tmp);
  EXPECT_EQ(resumed.exit_code, 3) << resumed.err;
  EXPECT_NE(resumed.err.find("No space left on device"), std::string::npos) << resumed.err;
}

TEST(WriteFailure, ASecondRunOnADatabaseInUseIsRefusedAndTheFirstLosesNothing) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  Taskfarm first({"run", "--sleep", "600", "--sleep-ms", "2", "--workers", "1", "--db",
                  db.string(), "--quiet"},
                 tmp);
  ASSERT_TRUE(WaitFor([&] { return TryQueryInt(db, "SELECT count(*) FROM results") > 0; },
                      milliseconds(20000)));
  RunOutput second = RunTaskfarm({"run", "--noop", "10", "--db", db.string(), "--quiet"}, tmp);
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
  RunOutput resume = RunTaskfarm({"run", "--resume", "--db", db.string(), "--quiet"}, tmp);
  EXPECT_EQ(resume.exit_code, 2) << "nor may a --resume take over a live run: " << resume.err;
  EXPECT_EQ(first.Wait().exit_code, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), 600);
  EXPECT_EQ(QueryInt(db, "SELECT exit_code FROM runs"), 0);
  // Once it has ended, the database is free again.
  EXPECT_EQ(RunTaskfarm({"run", "--noop", "10", "--db", db.string(), "--quiet"}, tmp).exit_code, 0);
}

// Reading a run back writes nothing: report and search open the database read-only, so they
// work on read-only media and add no table to a file that holds none.
TEST(WriteFailure, ReportAndSearchOnlyReadTheDatabase) {
  TempDir tmp;
  SmallDisk disk(tmp / "media", 4);
  ASSERT_TRUE(disk.mounted()) << "mount tmpfs: " << ErrnoText(errno);
  const std::string db = (tmp / "media" / "run.db").string();
  ASSERT_EQ(RunTaskfarm({"run", "--noop", "20", "--db", db, "--quiet"}, tmp).exit_code, 0);
  const std::string empty = (tmp / "empty.db").string();  // on writable disk
  std::ofstream(empty).close();
  ASSERT_TRUE(disk.MakeReadOnly()) << "remount read-only: " << ErrnoText(errno);

  RunOutput report = RunTaskfarm({"report", "--db", db, "--json"}, tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(nlohmann::json::parse(report.out)["kinds"]["noop"]["done"], 20);
  RunOutput search = RunTaskfarm({"search", "--db", db, "anything"}, tmp);
  EXPECT_EQ(search.exit_code, 2);
  EXPECT_NE(search.err.find("holds no index"), std::string::npos) << search.err;

  RunOutput nothing = RunTaskfarm({"report", "--db", empty}, tmp);
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("empty.db holds no taskfarm run"), std::string::npos)
      << nothing.err;
  EXPECT_EQ(std::filesystem::file_size(empty), 0u) << "report wrote into the file";
}

}  // namespace
}  // namespace taskfarm::testing

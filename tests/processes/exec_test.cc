// Commands per input (--exec), checked against GNU parallel itself, and the farm's
// guarantees for them: signals, timeouts that take the whole process group, retries,
// --keep-order, --halt, the shared rate limit, a worker killed mid-run, --resume after the
// coordinator is killed, and job files that mix kinds. Real processes, real files.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kParallel = "/usr/bin/parallel";

struct ShellOutput {
  int exit_code = -1;
  std::string out;
};

// Runs `command` with /bin/sh; its stdout, byte for byte.
ShellOutput RunShell(const std::string& command) {
  ShellOutput result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string Quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void WriteBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// 1,000 inputs a file list really holds: spaces, quotes, shell metacharacters, leading
// dashes, dots in folders, hidden files, trailing slashes, invalid UTF-8, replacement
// strings themselves, tabs and newlines.
std::vector<std::string> AwkwardInputs() {
  const std::vector<std::string> names = {
      "plain.txt", "with space.pdf", "it's.doc", "\"quoted\".md", "-n", "--help", "a;b&c|d.sh",
      "$HOME.x", "`whoami`.y", "*.glob", "back\\slash.z", "tab\there.tsv", "new\nline.txt",
      ".hidden", "archive.tar.gz", "no_extension", "caf\xc3\xa9.txt", "bad\xff\xfe.bin",
      "{}.brace", "{.}{/}", "x{#}y", "trailing.", "..", "-", ""};
  const std::vector<std::string> dirs = {"", "dir/", "/abs/olute/", "a b/c.d/", "./", "dir.x/",
                                         "//", "d/", "-dash/", "\xe6\x97\xa5/"};
  std::vector<std::string> inputs;
  for (int round = 0; inputs.size() < 1000; ++round) {
    for (const std::string& dir : dirs) {
      for (const std::string& name : names) {
        if (inputs.size() == 1000) break;
        inputs.push_back(dir + name + (round == 0 ? "" : "." + std::to_string(round)));
      }
    }
  }
  inputs.emplace_back("trailing/slash/");
  return inputs;
}

std::filesystem::path NulSeparated(const TempDir& tmp, const std::vector<std::string>& inputs) {
  std::string bytes;
  for (const std::string& input : inputs) bytes += input + '\0';
  WriteBytes(tmp / "inputs0", bytes);
  return tmp / "inputs0";
}

TEST(Exec, ReplacementStringsMatchGnuParallelByteForByte) {
  ASSERT_TRUE(std::filesystem::exists(kParallel)) << "scripts/setup installs GNU parallel";
  TempDir tmp;
  const auto inputs = NulSeparated(tmp, AwkwardInputs());
  const std::string command = "printf '%s|%s|%s|%s|%s|%s\\n' {} {.} {/} {//} {/.} {#}";
  const ShellOutput parallel = RunShell(std::string(kParallel) + " --will-cite -k -0 -a " +
                                        inputs.string() + " " + Quoted(command));
  ASSERT_EQ(parallel.exit_code, 0);
  for (const bool shell : {false, true}) {
    std::vector<std::string> args = {"run", "--quiet", "-k", "-0", "--exec", command,
                                     "--inputs", inputs.string(), "--workers", "2"};
    if (shell) args.emplace_back("--shell");
    RunOutput farm = RunTaskfarm(args, tmp);
    EXPECT_EQ(farm.exit_code, 0) << farm.err;
    EXPECT_GT(farm.out.size(), 40'000u);
    EXPECT_TRUE(farm.out == parallel.out) << (shell ? "--shell" : "argv") << ": taskfarm and "
                                          << "parallel differ; first 300 bytes of taskfarm:\n"
                                          << farm.out.substr(0, 300);
  }
}

TEST(Exec, InputIsAppendedWhenTheCommandHasNoReplacementString) {
  TempDir tmp;
  RunOutput farm = RunTaskfarm({"run", "--quiet", "-k", "--exec", "echo x", ":::", "a b", "-n"}, tmp);
  const ShellOutput parallel =
      RunShell(std::string(kParallel) + " --will-cite -k echo x ::: 'a b' -n");
  EXPECT_EQ(farm.exit_code, 0);
  EXPECT_EQ(farm.out, parallel.out);
  EXPECT_EQ(farm.out, "x a b\nx -n\n");
}

// Inputs from stdin are not counted ahead of the run (a pipe can be read once).
TEST(Exec, InputsFromAPipeNulSeparated) {
  const ShellOutput run = RunShell("printf 'a\\0b c\\0' | " + std::string(TASKFARM_BIN) +
                                   " run -0 -k --quiet --exec 'echo {}' --inputs -");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "a\nb c\n");
}

TEST(Exec, EachOutcomeIsARowWithStatusSignalAndOutput) {
  TempDir tmp;
  const std::string command =
      "case {} in ok) echo out; echo err >&2;; fail) exit 3;; signal) kill -9 $$;; "
      "long) seq 1 1000;; esac";
  RunOutput farm = RunTaskfarm(
      {"run", "--quiet", "--shell", "--out", (tmp / "r.jsonl").string(), "--capture-limit", "10",
       "--exec", command, ":::", "ok", "fail", "signal", "long"},
      tmp);
  EXPECT_EQ(farm.exit_code, 1) << farm.err;
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) rows[row["input"]] = row;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows["ok"]["status"], "ok");
  EXPECT_EQ(rows["ok"]["exit"], 0);
  EXPECT_EQ(rows["ok"]["stdout"], "out\n");
  EXPECT_EQ(rows["ok"]["stderr"], "err\n");
  EXPECT_EQ(rows["fail"]["status"], "error");
  EXPECT_EQ(rows["fail"]["exit"], 3);
  EXPECT_EQ(rows["fail"]["error"], "exit status 3");
  EXPECT_EQ(rows["signal"]["signal"], 9);
  EXPECT_FALSE(rows["signal"].contains("exit"));
  EXPECT_NE(rows["signal"]["error"].get<std::string>().find("signal 9"), std::string::npos);
  // Output past --capture-limit is counted, not kept.
  EXPECT_EQ(rows["long"]["stdout"].get<std::string>().size(), 10u);
  EXPECT_EQ(rows["long"]["stdout_bytes"], 3893);
  EXPECT_NE(farm.err.find("input 4: stdout cut at 10 of 3893 bytes"), std::string::npos) << farm.err;
  EXPECT_NE(farm.err.find("input 2 (fail): exit status 3"), std::string::npos) << farm.err;
  ExpectNothingLeft(tmp);
}

TEST(Exec, TimeoutKillsTheCommandsWholeProcessGroup) {
  TempDir tmp;
  // Each command starts a grandchild (the backgrounded sleep) that would outlive it.
  const std::string marker = "4242.25";
  const auto started = std::chrono::steady_clock::now();
  RunOutput farm = RunTaskfarm({"run", "--quiet", "--task-timeout", "1", "--shell", "--out",
                                (tmp / "r.jsonl").string(), "--exec",
                                "sleep " + marker + " & sleep " + marker + "; : {}", ":::", "a",
                                "b", "c"},
                               tmp);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(farm.exit_code, 1) << farm.err;
  EXPECT_LT(took, seconds(30));
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    EXPECT_EQ(row["error_code"], "timed_out") << row;
    EXPECT_EQ(row["timed_out"], true);
  }
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(marker).empty(); }, seconds(5)))
      << "a command's child outlived its timeout";
  ExpectNothingLeft(tmp);
}

TEST(Exec, RetriesRunAFailedCommandAgain) {
  TempDir tmp;
  // Fails the first time for each input, succeeds the second.
  const std::string flaky = "if [ -e " + (tmp / "seen-").string() + "{} ]; then echo ok; else touch " +
                            (tmp / "seen-").string() + "{}; exit 1; fi";
  RunOutput once = RunTaskfarm({"run", "--quiet", "--shell", "--exec", flaky, ":::", "a", "b"}, tmp);
  EXPECT_EQ(once.exit_code, 1);
  for (const char* name : {"seen-a", "seen-b"}) std::filesystem::remove(tmp / name);
  RunOutput retried = RunTaskfarm({"run", "--quiet", "--shell", "--retries", "1", "--out",
                                   (tmp / "r.jsonl").string(), "--exec", flaky, ":::", "a", "b"},
                                  tmp);
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    EXPECT_EQ(row["status"], "ok");
    EXPECT_EQ(row["tries"], 2);
  }
}

TEST(Exec, KeepOrderPrintsInInputOrder) {
  TempDir tmp;
  std::vector<std::string> args = {"run", "--quiet", "-k", "--workers", "2", "--shell", "--exec",
                                   "n={}; sleep 0.0$(( (n * 7) % 5 )); echo {}", ":::"};
  std::string expected;
  for (int i = 1; i <= 40; ++i) {
    args.push_back(std::to_string(i));
    expected += std::to_string(i) + "\n";
  }
  RunOutput farm = RunTaskfarm(args, tmp);
  EXPECT_EQ(farm.exit_code, 0) << farm.err;
  EXPECT_EQ(farm.out, expected);
}

TEST(Exec, HaltSoonStopsSendingAndHaltNowKillsWhatRuns) {
  TempDir tmp;
  std::vector<std::string> inputs;
  for (int i = 1; i <= 200; ++i) inputs.push_back(std::to_string(i));
  std::vector<std::string> soon = {"run", "--quiet", "--workers", "1", "--halt", "soon,fail=2",
                                   "--out", (tmp / "soon.jsonl").string(), "--shell", "--exec",
                                   "sleep 0.01; [ {} -lt 5 ]", ":::"};
  soon.insert(soon.end(), inputs.begin(), inputs.end());
  RunOutput halted = RunTaskfarm(soon, tmp);
  EXPECT_EQ(halted.exit_code, 1);
  const auto rows = ReadJsonLines(tmp / "soon.jsonl");
  EXPECT_GE(rows.size(), 6u);
  EXPECT_LT(rows.size(), 100u) << "--halt soon,fail=2 did not stop the run";

  // now: the other worker's long command is killed, not waited for.
  const std::string marker = "3131.5";
  const auto started = std::chrono::steady_clock::now();
  RunOutput now = RunTaskfarm({"run", "--quiet", "--workers", "2", "--halt", "now,fail=1",
                               "--shell", "--exec",
                               "if [ {} = slow ]; then sleep " + marker + "; else sleep 0.5; exit 1; fi",
                               ":::", "slow", "fails"},
                              tmp);
  EXPECT_EQ(now.exit_code, 1) << now.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(30));
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(marker).empty(); }, seconds(5)));
  ExpectNothingLeft(tmp);
}

// Each command's start time, as the command itself saw it.
std::vector<double> StartTimes(const std::string& out) {
  std::vector<double> times;
  std::istringstream lines(out);
  for (double t; lines >> t;) times.push_back(t);
  std::sort(times.begin(), times.end());
  return times;
}

TEST(Exec, ExecRateHoldsTheSharedLimitAcrossWorkers) {
  TempDir tmp;
  RunOutput farm = RunTaskfarm({"run", "--quiet", "--workers", "2", "--exec-lane", "io",
                                "--exec-rate", "api=10/s", "--shell", "--exec",
                                "date +%s.%N; : {}", ":::", "1", "2", "3", "4", "5", "6", "7",
                                "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18",
                                "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
                                "30"},
                               tmp);
  ASSERT_EQ(farm.exit_code, 0) << farm.err;
  const auto times = StartTimes(farm.out);
  ASSERT_EQ(times.size(), 30u);
  // The bucket starts empty and holds at most one second's worth: 30 starts take about 3 s
  // and a second holds about 10. The times are taken by the commands, after fork and exec,
  // whose delays bunch a few starts together on a loaded machine (13 seen under a
  // sanitizer); a bucket that started full would let 20 start in the first second. The
  // bound sits halfway.
  EXPECT_GE(times.back() - times.front(), 2.5);
  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto in_window = std::count_if(times.begin() + static_cast<std::ptrdiff_t>(i), times.end(),
                                         [&](double t) { return t < times[i] + 1.0; });
    EXPECT_LE(in_window, 15) << "a one-second window starting at start " << i;
  }
}

// A command on the network lane that kills its worker (its parent) every time it runs:
// the tasks its worker held run alone from then on, so the one to blame is found and
// quarantined after --max-attempts deaths, and every other input has its outcome. (It was
// sent again to worker after worker for ever: only the CPU lane's task was ever blamed.)
TEST(Exec, ANetworkLaneCommandThatKillsItsWorkerIsQuarantinedAndTheOthersFinish) {
  TempDir tmp;
  {
    std::ofstream inputs(tmp / "inputs.txt");
    for (int i = 1; i <= 60; ++i) inputs << (i == 41 ? std::string("die") : std::to_string(i)) << '\n';
  }
  RunOutput run = RunTaskfarm({"run", "--workers", "2", "--exec-lane", "io", "--max-attempts", "2",
                               "--shell", "--exec",
                               "if [ {} = die ]; then kill -9 $PPID; sleep 5; fi; sleep 0.05; echo {}",
                               "--inputs", (tmp / "inputs.txt").string(), "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["exec"]["done"], 59) << summary;
  EXPECT_EQ(summary["kinds"]["exec"]["failed_by_reason"]["quarantined"], 1) << summary;
  // One death beside the others, then one for each of the 2 attempts it runs alone; one
  // more when a death comes before the coordinator heard of a task that had finished.
  EXPECT_GE(summary["workers_lost"].get<int>(), 3) << run.err;
  EXPECT_LE(summary["workers_lost"].get<int>(), 4) << run.err;
  int rows = 0;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    ++rows;
    if (row["input"] == "die") {
      EXPECT_EQ(row["error_code"], "quarantined") << row;
    } else {
      EXPECT_EQ(row["status"], "ok") << row;
    }
  }
  EXPECT_EQ(rows, 60);
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(tmp.path().string()).empty(); },
                      std::chrono::seconds(10)));
}

TEST(Exec, WorkerKilledMidRunStillGivesEachInputOneOutcome) {
  TempDir tmp;
  const std::string marker = "0.0517";
  std::vector<std::string> args = {"run", "--quiet", "--workers", "2", "--out",
                                   (tmp / "r.jsonl").string(), "--shell", "--exec",
                                   "sleep " + marker + "; echo {}", ":::"};
  for (int i = 1; i <= 150; ++i) args.push_back(std::to_string(i));
  Taskfarm farm(args, tmp);
  ASSERT_TRUE(WaitFor(
      [&] { return std::filesystem::exists(tmp / "r.jsonl") && ReadJsonLines(tmp / "r.jsonl").size() >= 20; },
      seconds(60)));
  for (pid_t pid : ProcessesMentioning(tmp.path().string())) {
    if (pid != farm.pid()) {
      kill(pid, SIGKILL);  // a worker, in the middle of a command
      break;
    }
  }
  RunOutput run = farm.Wait();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, int> seen;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) ++seen[row["input"]];
  EXPECT_EQ(seen.size(), 150u);
  for (const auto& [input, count] : seen) EXPECT_EQ(count, 1) << input;
  ExpectNothingLeft(tmp, farm.pid());
}

TEST(Exec, ResumeAfterCoordinatorKillRunsOnlyWhatHasNoRow) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  const auto log = tmp / "ran.log";
  std::string lines;
  for (int i = 1; i <= 120; ++i) lines += std::to_string(i) + "\n";
  WriteBytes(tmp / "inputs.txt", lines);
  const std::vector<std::string> args = {"run", "--quiet", "--workers", "2", "--db", db.string(),
                                         "--shell", "--exec",
                                         "echo {} >> " + log.string() + "; sleep 0.02",
                                         "--inputs", (tmp / "inputs.txt").string()};
  Taskfarm farm(args, tmp);
  ASSERT_TRUE(WaitFor(
      [&] { return TryQueryInt(db, "SELECT count(*) FROM results") >= 30; },
      seconds(60)));
  farm.Signal(SIGKILL);
  farm.Wait();
  ASSERT_TRUE(WaitFor([&] { return ProcessesMentioning(tmp.path().string()).empty(); }, seconds(10)));
  std::set<std::string> done_before;
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(handle, "SELECT input FROM results", -1, &select, nullptr);
    while (sqlite3_step(select) == SQLITE_ROW) {
      done_before.insert(reinterpret_cast<const char*>(sqlite3_column_text(select, 0)));
    }
    sqlite3_finalize(select);
    sqlite3_close(handle);
  }
  ASSERT_GE(done_before.size(), 30u);
  ASSERT_LT(done_before.size(), 120u);
  // GNU parallel's way: the same command line again, with --resume.
  std::vector<std::string> resume = args;
  resume.emplace_back("--resume");
  RunOutput resumed = RunTaskfarm(resume, tmp);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), 120);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT task_id) FROM results"), 120);
  std::map<std::string, int> runs;
  std::istringstream ran(ReadFile(log));
  for (std::string input; std::getline(ran, input);) ++runs[input];
  EXPECT_EQ(runs.size(), 120u);
  for (const std::string& input : done_before) EXPECT_EQ(runs[input], 1) << "input " << input << " ran again";

  // Other settings are refused, naming what differs.
  std::vector<std::string> other = resume;
  other[other.size() - 4] = "echo changed {}";
  RunOutput refused = RunTaskfarm(other, tmp);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("/exec/command"), std::string::npos) << refused.err;
}

TEST(Exec, JobFileMixesKindsAndReportsBadLines) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "docs");
  WriteBytes(tmp / "docs" / "note.txt", "quixotic zeppelin\n");
  WriteBytes(tmp / "jobs.jsonl",
             "{\"kind\": \"exec\", \"argv\": [\"echo\", \"from a job\"], \"id\": \"e1\"}\n"
             "{\"kind\": \"geocode\", \"query\": \"Zadar\", \"id\": 7}\n"
             "# a comment\n"
             "{\"kind\": \"index\", \"path\": \"" + (tmp / "docs").string() + "\"}\n"
             "not json at all\n"
             "{\"kind\": \"teleport\"}\n"
             "{\"kind\": \"exec\"}\n"
             "{\"kind\": \"exec\", \"cmd\": \"echo shell; exit 4\", \"id\": \"e2\"}\n");
  RunOutput farm = RunTaskfarm({"run", "--quiet", "--jobs", (tmp / "jobs.jsonl").string(), "--db",
                                (tmp / "run.db").string(), "--out", (tmp / "r.jsonl").string()},
                               tmp);
  EXPECT_EQ(farm.exit_code, 1) << farm.err;
  std::map<std::string, nlohmann::json> by_job;
  std::vector<std::string> errors;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    if (row.contains("job_id")) by_job[row["job_id"]] = row;
    if (row["kind"] == "reject") errors.push_back(row["error"]);
    if (row["kind"] == "index") {
      EXPECT_EQ(row["status"], "indexed") << row;
    }
  }
  EXPECT_EQ(by_job["e1"]["stdout"], "from a job\n");
  EXPECT_EQ(by_job["7"]["status"], "ok");
  EXPECT_EQ(by_job["7"]["formatted_address"], "Zadar, Croatia");
  EXPECT_EQ(by_job["e2"]["exit"], 4);
  std::sort(errors.begin(), errors.end());
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "job line 5: not valid JSON");
  EXPECT_EQ(errors[1], "job line 6: unknown kind 'teleport'");
  EXPECT_NE(errors[2].find("job line 7: an exec job needs"), std::string::npos);
  EXPECT_EQ(QueryInt(tmp / "run.db", "SELECT count(*) FROM results WHERE job_id = 'e1'"), 1);
  RunOutput search = RunTaskfarm({"search", "--db", (tmp / "run.db").string(), "zeppelin"}, tmp);
  EXPECT_NE(search.out.find("note.txt"), std::string::npos) << search.out << search.err;
}

TEST(Exec, MixedRunWithGeocodingAndIndexing) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "docs");
  WriteBytes(tmp / "docs" / "a.txt", "alpha\n");
  WriteBytes(tmp / "places.txt", "Zadar\nBerlin\n");
  RunOutput farm = RunTaskfarm({"run", "--quiet", "--json", "--db", (tmp / "run.db").string(),
                                "--geocode", (tmp / "places.txt").string(), "--index",
                                (tmp / "docs").string(), "--exec", "true", ":::", "x", "y", "z"},
                               tmp);
  EXPECT_EQ(farm.exit_code, 0) << farm.err;
  const auto summary = nlohmann::json::parse(farm.out.substr(farm.out.find('{')));
  EXPECT_EQ(summary["kinds"]["exec"]["done"], 3);
  EXPECT_EQ(summary["kinds"]["geocode"]["done"], 2);
  EXPECT_EQ(summary["kinds"]["index"]["done"], 1);
}

TEST(Exec, BadUsageIsOneClearLineAndExit2) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "folder");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "--exec", "echo {}"}, "--exec needs inputs"},
      {{"run", "--exec", "echo {}", "--inputs", (tmp / "missing.txt").string()}, "missing.txt"},
      {{"run", "--exec", "echo {}", "--inputs", (tmp / "folder").string()}, "is a folder"},
      {{"run", "--exec", "echo 'unbalanced", ":::", "a"}, "--exec 'echo 'unbalanced'"},
      {{"run", "--exec", "echo", "--halt", "sometimes", ":::", "a"}, "--halt 'sometimes'"},
      {{"run", "--inputs", (tmp / "x").string()}, "need --exec"},
      {{"run", "--exec", "echo", "--exec-rate", "nope", ":::", "a"}, "--exec-rate nope"},
      {{"run", "--jobs", (tmp / "missing.jsonl").string()}, "missing.jsonl"},
  };
  for (const auto& [args, message] : cases) {
    RunOutput run = RunTaskfarm(args, tmp);
    EXPECT_EQ(run.exit_code, 2) << args[2];
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

}  // namespace
}  // namespace taskfarm::testing

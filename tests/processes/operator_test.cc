// The operator's view: progress lines, --quiet, --json against the database, exit codes,
// logging, `taskfarm report`, the terminal display, and every example the docs show.

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Operator, ProgressInAPipeIsParseableLinesAndQuietPrintsNone) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--burn", "150", "--burn-us", "10000", "--tick", "10",
                               "--rate", "api=10/s", "--progress-interval", "0.2"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::regex kind_line(
      R"(taskfarm: progress t=[0-9.]+s kind=(burn|tick) done=\d+/(150|10) failed=\d+ )"
      R"(retried=\d+ in_flight=\d+ rate=[0-9.]+/s eta=\S+)");
  const std::regex bucket_line(
      R"(taskfarm: progress t=[0-9.]+s bucket=api granted=\d+ rate=[0-9.]+/s limit=10/s )"
      R"(waited=[0-9.]+s backoffs=\d+)");
  int kind_lines = 0, bucket_lines = 0;
  for (const std::string& line : Lines(run.err)) {
    if (line.rfind("taskfarm: progress", 0) != 0) continue;
    if (std::regex_match(line, kind_line)) {
      ++kind_lines;
    } else if (std::regex_match(line, bucket_line)) {
      ++bucket_lines;
    } else {
      ADD_FAILURE() << "unparseable progress line: " << line;
    }
  }
  EXPECT_GE(kind_lines, 4);
  EXPECT_GE(bucket_lines, 2);
  EXPECT_EQ(run.err.find('\x1b'), std::string::npos) << "no terminal codes in a pipe";

  RunOutput quiet = RunTaskfarm({"run", "--burn", "100", "--burn-us", "5000", "--quiet",
                                 "--progress-interval", "0.1"},
                                tmp);
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, "");
}

// Runs `command` (a shell line) on a real pseudo-terminal (`script`); expects exit 0 and
// returns everything written to the terminal.
std::string ScreenOf(const std::string& command, const TempDir& tmp) {
  const std::string typescript = (tmp / "pty.txt").string();
  const std::string shell = "TMPDIR='" + tmp.path().string() + "' TERM=xterm script -qfec '" +
                            command + "' " + typescript + " >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(shell.c_str())), 0);
  return ReadFile(typescript);
}

TEST(Operator, TerminalProgressIsRewrittenInPlace) {
  TempDir tmp;
  const std::string screen = ScreenOf(
      std::string(TASKFARM_BIN) + " run --burn 120 --burn-us 10000 --progress-interval 0.1", tmp);
  EXPECT_NE(screen.find("\r\x1b[2Kburn"), std::string::npos) << "a line cleared and redrawn";
  EXPECT_NE(screen.find("\x1b[1A"), std::string::npos) << "the cursor goes back up";
  EXPECT_NE(screen.find("taskfarm: 120 tasks"), std::string::npos) << "then the summary";
}

TEST(Operator, TerminalProgressFitsAnEightyColumnTerminal) {
  TempDir tmp;
  const std::string screen = ScreenOf("stty cols 80 rows 24; " + std::string(TASKFARM_BIN) +
                                          " run --burn 120 --burn-us 10000 --tick 20 "
                                          "--rate api=50/s --progress-interval 0.1",
                                      tmp);
  // Each redrawn line (after "clear the line") stays within 79 columns, so none wraps.
  const std::string clear = "\r\x1b[2K";
  int redrawn = 0;
  for (auto at = screen.find(clear); at != std::string::npos; at = screen.find(clear, at + 1)) {
    const auto end = screen.find_first_of("\r\n", at + clear.size());
    const std::string line = screen.substr(at + clear.size(), end - at - clear.size());
    if (line.empty()) continue;
    ++redrawn;
    EXPECT_LE(line.size(), 79u) << line;
  }
  EXPECT_GT(redrawn, 2) << screen;
  EXPECT_NE(screen.find("ETA"), std::string::npos) << "the ETA is within the first 79 columns";
}

TEST(Operator, OutDashWritesRowsToStdoutAndOtherFormatsAreRefused) {
  TempDir tmp;
  RunOutput rows = RunTaskfarm({"run", "--noop", "5", "--out", "-", "--quiet"}, tmp);
  ASSERT_EQ(rows.exit_code, 0) << rows.err;
  std::istringstream lines(rows.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_EQ(nlohmann::json::parse(line)["status"], "ok") << line;
  }
  EXPECT_EQ(count, 5);

  RunOutput both = RunTaskfarm({"run", "--noop", "5", "--out", "-", "--json"}, tmp);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("would both write to stdout"), std::string::npos) << both.err;
  RunOutput json = RunTaskfarm({"run", "--noop", "5", "--out", (tmp / "r.json").string()}, tmp);
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_NE(json.err.find("name the file .jsonl"), std::string::npos) << json.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "r.json"));

  // report: the rows on stdout, the summary on stderr.
  const auto db = (tmp / "run.db").string();
  ASSERT_EQ(RunTaskfarm({"run", "--noop", "4", "--db", db, "--quiet"}, tmp).exit_code, 0);
  RunOutput report = RunTaskfarm({"report", "--db", db, "--out", "-"}, tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(std::count(report.out.begin(), report.out.end(), '\n'), 4);
  EXPECT_NE(report.err.find("4 ok"), std::string::npos) << report.err;
}

TEST(Operator, JsonSummaryMatchesTheDatabase) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  RunOutput run = RunTaskfarm({"run", "--noop", "500", "--fault", "7", "--db", db.string(),
                               "--json", "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["noop"]["done"].get<int64_t>(),
            QueryInt(db, "SELECT count(*) FROM results WHERE kind='noop' AND status='ok'"));
  EXPECT_EQ(summary["kinds"]["fault"]["failed"].get<int64_t>(),
            QueryInt(db, "SELECT count(*) FROM results WHERE kind='fault' AND status='error'"));
  EXPECT_EQ(summary["tasks"].get<int64_t>(), QueryInt(db, "SELECT count(*) FROM results"));
  EXPECT_EQ(summary["tasks"], 507);

  RunOutput report = RunTaskfarm({"report", "--db", db.string(), "--json", "--out",
                                  (tmp / "all.csv").string()},
                                 tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto reported = nlohmann::json::parse(report.out);
  EXPECT_EQ(reported["kinds"]["noop"]["done"], summary["kinds"]["noop"]["done"]);
  EXPECT_EQ(reported["kinds"]["fault"]["failed_by_reason"]["handler_failed"], 7);
  EXPECT_EQ(reported["exit_code"], 1);
  EXPECT_EQ(reported["workers"], summary["workers"]);
  // The version that ran it: in the run's summary, in the database, as --version says.
  const std::string version = RunTaskfarm({"--version"}, tmp).out;
  EXPECT_EQ("taskfarm " + summary["version"].get<std::string>() + "\n", version);
  EXPECT_EQ(reported["version"], summary["version"]);
  EXPECT_EQ(Lines(ReadFile(tmp / "all.csv")).size(), 508u) << "a header and a row per task";
}

TEST(Operator, ReportOfAKilledRunSaysItDidNotFinish) {
  TempDir tmp;
  const auto db = tmp / "run.db";
  Taskfarm farm({"run", "--burn", "5000", "--burn-us", "2000", "--db", db.string(), "--quiet"},
                tmp);
  std::this_thread::sleep_for(milliseconds(800));
  farm.Signal(SIGKILL);
  farm.Wait();
  RunOutput report = RunTaskfarm({"report", "--db", db.string()}, tmp);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("did not finish"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("unfinished"), std::string::npos) << report.out;
}

TEST(Operator, EveryDocumentedExitCode) {
  TempDir tmp;
  EXPECT_EQ(RunTaskfarm({"run", "--noop", "10", "--quiet"}, tmp).exit_code, 0);
  EXPECT_EQ(RunTaskfarm({"run", "--noop", "10", "--fault", "1", "--quiet"}, tmp).exit_code, 1);
  EXPECT_EQ(RunTaskfarm({"run", "--noop", "ten"}, tmp).exit_code, 2);
  EXPECT_EQ(RunTaskfarm({"frobnicate"}, tmp).exit_code, 2);
  RunOutput version = RunTaskfarm({"--version"}, tmp);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(std::regex_match(version.out, std::regex("taskfarm [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << version.out;
  EXPECT_EQ(RunTaskfarm({"report", "--db", (tmp / "missing.db").string()}, tmp).exit_code, 2);
  {
    // A taskfarm without taskfarm-worker beside it: the farm cannot run, and says which file.
    const auto alone = tmp / "alone";
    std::filesystem::create_directories(alone);
    std::filesystem::copy_file(TASKFARM_BIN, alone / "taskfarm");
    // The harness starts TASKFARM_BIN; the wrapper runs the lone copy in its place.
    // It is given env, TMPDIR=... and TASKFARM_BIN before the arguments.
    const std::vector<std::string> instead{
        "/bin/sh", "-c",
        "env=$1 tmpdir=$2; shift 3; exec \"$env\" \"$tmpdir\" " + (alone / "taskfarm").string() +
            " \"$@\"",
        "sh"};
    RunOutput run = Taskfarm({"run", "--noop", "10", "--quiet"}, tmp, {}, instead).Wait();
    EXPECT_EQ(run.exit_code, 4) << run.err;
    EXPECT_NE(run.err.find((alone / "taskfarm-worker").string()), std::string::npos) << run.err;
  }
  for (int signal_number : {SIGINT, SIGTERM}) {
    Taskfarm farm({"run", "--sleep", "100", "--sleep-ms", "50", "--quiet"}, tmp);
    std::this_thread::sleep_for(milliseconds(400));
    farm.Signal(signal_number);
    EXPECT_EQ(farm.Wait().exit_code, 128 + signal_number);
  }
}

TEST(Operator, LogFileHoldsCoordinatorAndWorkerLinesTagged) {
  TempDir tmp;
  const auto log = tmp / "run.log";
  RunOutput run = RunTaskfarm({"run", "--noop", "100", "--fault", "1", "--fault-mode",
                               "abort-once", "--log-level", "debug", "--log-file", log.string(),
                               "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "") << "with a log file, nothing on stderr";
  const std::string text = ReadFile(log);
  EXPECT_NE(text.find("[coordinator] [warning] worker"), std::string::npos) << text;
  EXPECT_NE(text.find("died: killed by signal 6"), std::string::npos) << text;
  EXPECT_NE(text.find("[worker 1] [debug] connected as pid"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\[worker \d+\] \[debug\] stopping after)")))
      << text;
}

TEST(Operator, LogFileInAMissingFolderIsRefusedNotCreated) {
  TempDir tmp;
  const auto log = tmp / "no-such-folder" / "run.log";
  RunOutput run = RunTaskfarm({"run", "--noop", "3", "--log-file", log.string(), "--quiet"}, tmp);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--log-file " + log.string() + ": no such folder"), std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(log.parent_path())) << "the folder was made";
}

// Commands from the README's ```sh blocks and from each --help's Examples, in order, in one
// directory (later examples use files earlier ones made).
std::vector<std::string> DocumentedExamples(const TempDir& tmp) {
  std::vector<std::string> commands;
  for (const std::string& line : ReadmeBlockLines("sh")) {
    if (line.rfind("taskfarm ", 0) == 0) commands.push_back(line.substr(0, line.find('#')));
  }
  for (const char* subcommand : {"run", "report"}) {
    const std::string help = RunTaskfarm({subcommand, "--help"}, tmp).out;
    for (const std::string& line : Lines(help)) {
      if (line.rfind("  taskfarm ", 0) != 0) continue;
      commands.push_back(line.substr(2, line.find("  ", 2) - 2));
    }
  }
  return commands;
}

TEST(Operator, EveryDocumentedExampleRuns) {
  TempDir tmp;
  const auto commands = DocumentedExamples(tmp);
  EXPECT_GE(commands.size(), 10u);
  for (const std::string& command : commands) {
    // Run through the shell, in tmp, with `taskfarm` meaning this build.
    const std::string shell = "cd '" + tmp.path().string() + "' && " + std::string(TASKFARM_BIN) +
                              command.substr(std::string("taskfarm").size()) +
                              " >/dev/null 2>&1";
    EXPECT_EQ(WEXITSTATUS(std::system(shell.c_str())), 0) << command;
  }
}

}  // namespace
}  // namespace taskfarm::testing

namespace taskfarm::testing {
namespace {

// The project's top-level folders: what a clone has, not what building or the corpus
// script adds (the .gitignore'd build*/ and corpus/) or hidden ones.
std::set<std::string> ProjectFolders() {
  std::set<std::string> folders;
  for (const auto& entry : std::filesystem::directory_iterator(TASKFARM_SOURCE_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.front() == '.' || name.rfind("build", 0) == 0 ||
        name == "corpus") {
      continue;
    }
    folders.insert(name);
  }
  return folders;
}

// A clone has only the project: nothing in it may lean on a folder beside it.
TEST(Operator, NothingPointsOutsideTheRepository) {
  const std::filesystem::path root(TASKFARM_SOURCE_DIR);
  const std::string outside = std::string("..") + "/shared";  // not itself a match
  std::vector<std::string> parts{"README.md", "CMakeLists.txt", ".ci"};
  for (const std::string& folder : ProjectFolders()) {
    if (folder != "data") parts.push_back(folder);  // the gazetteer's data is not ours to read
  }
  std::vector<std::string> offenders;
  for (const std::string& part : parts) {
    const auto top = root / part;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_regular_file(top)) files.push_back(top);
    if (std::filesystem::is_directory(top)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(top)) {
        if (entry.is_regular_file() && entry.file_size() < (1 << 20)) files.push_back(entry.path());
      }
    }
    for (const auto& file : files) {
      if (ReadFile(file).find(outside) != std::string::npos) offenders.push_back(file.string());
    }
  }
  EXPECT_TRUE(offenders.empty()) << "these point at " << outside << ": " << offenders.front();
}

// A negative count is refused, naming the option: read into an unsigned it was 2^64 - 5
// tasks, and `run --noop -5` ran until killed.
TEST(Operator, ANegativeCountIsRefusedNamingTheOption) {
  TempDir tmp;
  for (const std::string option : {"--noop", "--burn", "--sleep", "--fault", "--tick",
                                   "--max-tasks-per-worker", "--max-worker-rss"}) {
    const RunOutput run = RunTaskfarm({"run", "--noop", "3", option, "-5", "--quiet"}, tmp);
    EXPECT_EQ(run.exit_code, 2) << option;
    EXPECT_NE(run.err.find(option + ": must not be negative (got -5)"), std::string::npos)
        << run.err;
  }
}

// The programs find their libraries where they were installed (or built), never in the
// directory they are started from: a file there named like one of them is not loaded.
TEST(Operator, ALibraryInTheWorkingDirectoryIsNotLoaded) {
  TempDir tmp;
  for (const char* name : {"libzmq.so.5", "libspdlog.so.1.10", "libfmt.so.9", "libcsv.so.3"}) {
    std::ofstream(tmp / name) << "not a library";
  }
  const std::string command = "cd '" + tmp.path().string() + "' && TMPDIR='" +
                              tmp.path().string() + "' '" + TASKFARM_BIN +
                              "' run --noop 100 --workers 2 --quiet >out.txt 2>err.txt";
  EXPECT_EQ(std::system(command.c_str()), 0) << ReadFile(tmp / "err.txt");
}

// The README's "Where things live" names every folder of the tree, and only those.
TEST(Operator, WhereThingsLiveMatchesTheTree) {
  const std::string readme = ReadFile(std::string(TASKFARM_SOURCE_DIR) + "/README.md");
  const auto section = readme.find("## Where things live");
  ASSERT_NE(section, std::string::npos);
  const std::string table = readme.substr(section, readme.find("\n## ", section + 1) - section);
  std::set<std::string> listed;
  const std::regex row(R"(\n\| `([a-z_-]+)/` \|)");
  for (std::sregex_iterator it(table.begin(), table.end(), row), end; it != end; ++it) {
    listed.insert((*it)[1].str());
  }
  EXPECT_EQ(listed, ProjectFolders());
}

}  // namespace
}  // namespace taskfarm::testing

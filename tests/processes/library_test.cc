// A program of its own built on the installed library: `cmake --install` into a fresh
// prefix, examples/wordcount configured and built as a separate project against that prefix
// (find_package(taskfarm)), then run as users run it: its kinds per input, in a job file, on
// a remote host, with workers replaced mid-run and a coordinator killed and resumed.

#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::seconds;

// Runs a shell command; its exit status (its output goes to `log`).
int Shell(const std::string& command, const std::filesystem::path& log) {
  const int status = std::system((command + " >>'" + log.string() + "' 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The classic example's ten places, misspellings and all, and the countries they are in.
constexpr const char* kClassicTen =
    "Reykjavik\nVien\nZadar\nVenice\nWrocław\nBolognia\nBerlin\nSłubice\nNew York\nDehli\n";
const std::vector<std::string> kClassicTenCountries = {
    "Iceland", "Austria", "Croatia", "Italy", "Poland", "Italy",
    "Germany", "Poland",  "United States", "India"};

// The country of each row's formatted address, in input order; "" for a row not ok.
std::vector<std::string> CountriesOf(const std::vector<nlohmann::json>& rows) {
  std::map<int, std::string> by_line;
  for (const auto& row : rows) {
    const std::string address = row.value("formatted_address", "");
    by_line[row.value("line", 0)] =
        row["status"] == "ok" ? address.substr(address.rfind(", ") + 2) : "";
  }
  std::vector<std::string> countries;
  for (const auto& [line, country] : by_line) countries.push_back(country);
  return countries;
}

// The example program, built once for the whole suite against a fresh install.
class InstalledExample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto log = *dir_ / "build.log";
    const std::string prefix = (*dir_ / "prefix").string();
    const std::string build = (*dir_ / "build").string();
    ok_ = Shell("cmake --install '" + std::string(TASKFARM_BINARY_DIR) + "' --prefix '" + prefix + "'", log) == 0 &&
          Shell("cmake -S '" + std::string(TASKFARM_SOURCE_DIR) + "/examples/wordcount' -B '" + build +
                    "' -DCMAKE_PREFIX_PATH='" + prefix + "' -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF" +
                    " -DCMAKE_CXX_FLAGS='" + TASKFARM_CXX_FLAGS + "' -DCMAKE_EXE_LINKER_FLAGS='" +
                    TASKFARM_EXE_LINKER_FLAGS + "'",
                log) == 0 &&
          Shell("cmake --build '" + build + "'", log) == 0;
    if (!ok_) std::cerr << ReadFile(log);
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Program() { return (*dir_ / "build" / "wordcount").string(); }
  static std::filesystem::path Prefix() { return *dir_ / "prefix"; }

  // Runs the example program with `args`, in `tmp`.
  static RunOutput RunExample(const std::vector<std::string>& args, const TempDir& tmp) {
    std::string command = "cd '" + tmp.path().string() + "' && TMPDIR='" + tmp.path().string() + "' '" + Program() + "'";
    for (const std::string& arg : args) command += " '" + arg + "'";
    command += " >out.txt 2>err.txt </dev/null";
    const int status = std::system(command.c_str());
    RunOutput output;
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    output.out = ReadFile(tmp / "out.txt");
    output.err = ReadFile(tmp / "err.txt");
    return output;
  }

  static TempDir* dir_;
  static bool ok_;
};

TempDir* InstalledExample::dir_ = nullptr;
bool InstalledExample::ok_ = false;

// Files with known counts; their paths, one a line, in tmp/files.txt.
std::map<std::string, std::string> MakeFiles(const TempDir& tmp, int count) {
  std::map<std::string, std::string> expected;
  std::ofstream list(tmp / "files.txt");
  for (int i = 1; i <= count; ++i) {
    const auto path = tmp / ("file " + std::to_string(i) + ".txt");
    std::ofstream file(path);
    for (int line = 0; line < i; ++line) file << "one two three\n";
    expected[path.string()] = std::to_string(i) + " " + std::to_string(3 * i) + " " + std::to_string(14 * i);
    list << path.string() << '\n';
  }
  return expected;
}

TEST_F(InstalledExample, InstallHoldsTheLibraryHeadersAndPackage) {
  ASSERT_TRUE(ok_) << "the example did not build against the installed package";
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "include/taskfarm/app.h"));
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "bin/taskfarm"));
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "bin/taskfarm-worker"));
  bool found_module = false;
  bool found_config = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(Prefix())) {
    found_config = found_config || entry.path().filename() == "taskfarmConfig.cmake";
    found_module = found_module || (entry.path().filename() == "libtaskfarm-kinds.so" &&
                                    entry.path().parent_path().filename() == "taskfarm");
  }
  EXPECT_TRUE(found_config);
  EXPECT_TRUE(found_module) << "the index and geocode kinds' module, in LIBDIR/taskfarm";
  // The offline gazetteer and the aliases are installed, and found from the prefix.
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "share/taskfarm/geonames/names.bin"));
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "share/taskfarm/aliases.tsv"));
  TempDir tmp;
  std::ofstream(tmp / "places.txt") << kClassicTen;
  EXPECT_EQ(Shell("cd '" + tmp.path().string() + "' && '" + (Prefix() / "bin/taskfarm").string() +
                      "' run --geocode places.txt --provider offline --out r.jsonl --quiet",
                  tmp / "geocode.log"),
            0)
      << ReadFile(tmp / "geocode.log");
  EXPECT_EQ(CountriesOf(ReadJsonLines(tmp / "r.jsonl")), kClassicTenCountries);
  // The program links the installed library, not the build tree's.
  EXPECT_EQ(Shell("ldd '" + Program() + "' | grep -q '" + Prefix().string() + "'", tmp / "ldd.log"), 0)
      << ReadFile(tmp / "ldd.log");
  // A man page per subcommand, written from its --help, and shell completion.
  for (const char* page : {"taskfarm", "taskfarm-run", "taskfarm-report", "taskfarm-search",
                           "taskfarm-geoserver", "taskfarm-host", "taskfarm-keygen"}) {
    const auto file = Prefix() / "share/man/man1" / (std::string(page) + ".1");
    EXPECT_NE(ReadFile(file).find("\\-\\-help"), std::string::npos) << file;
  }
  EXPECT_NE(ReadFile(Prefix() / "share/man/man1/taskfarm-run.1").find("\\-\\-exec\\-rate"),
            std::string::npos)
      << "run's page lists run's options";
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "share/zsh/vendor-completions/_taskfarm"));
  EXPECT_TRUE(std::filesystem::exists(Prefix() / "lib/pkgconfig/taskfarm.pc"));
}

// The bash completion reads the program's own --help: subcommands, then each one's options.
TEST_F(InstalledExample, BashCompletionOffersSubcommandsAndTheirOptions) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  const std::string taskfarm = (Prefix() / "bin/taskfarm").string();
  const auto complete = [&](const std::string& words, int current) {
    const std::string script = "source '" + (Prefix() / "share/bash-completion/completions/taskfarm").string() +
                               "'; COMP_WORDS=('" + taskfarm + "' " + words + "); COMP_CWORD=" +
                               std::to_string(current) + "; _taskfarm; echo \"${COMPREPLY[*]}\" >'" +
                               (tmp / "reply.txt").string() + "'";
    std::ofstream(tmp / "complete.sh") << script << '\n';
    Shell("bash '" + (tmp / "complete.sh").string() + "'", tmp / "complete.log");
    return ReadFile(tmp / "reply.txt");
  };
  EXPECT_EQ(complete("se", 1), "search\n");
  EXPECT_EQ(complete("run --bu", 2), "--burn --burn-us --burst\n");
  EXPECT_EQ(complete("--log-level debug rep", 3), "report\n");
  EXPECT_NE(complete("search --", 2).find("--time-limit"), std::string::npos);
}

// The zsh completion reads --help as the bash one does. It runs in a real zsh, with the
// completion system's compadd and _files stood in by functions that print what they offer
// (zsh completes only at an interactive prompt).
TEST_F(InstalledExample, ZshCompletionOffersSubcommandsAndTheirOptions) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  const std::string taskfarm = (Prefix() / "bin/taskfarm").string();
  const std::string function = (Prefix() / "share/zsh/vendor-completions/_taskfarm").string();
  const auto complete = [&](const std::string& words, const std::string& prefix) {
    const std::string script =
        "compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2} | grep -- \"^$PREFIX\" | tr '\\n' ' '; }\n"
        "_files() { print -n files; }\n"
        "_taskfarm() { source '" + function + "'; }\n"
        "words=('" + taskfarm + "' " + words + "); CURRENT=${#words}; PREFIX='" + prefix + "'\n"
        "_taskfarm >'" + (tmp / "reply.txt").string() + "'\n";
    std::ofstream(tmp / "complete.zsh") << script;
    EXPECT_EQ(Shell("zsh -f '" + (tmp / "complete.zsh").string() + "'", tmp / "complete.log"), 0)
        << ReadFile(tmp / "complete.log");
    return ReadFile(tmp / "reply.txt");
  };
  EXPECT_EQ(complete("se", "se"), "search ");
  EXPECT_EQ(complete("run --bu", "--bu"), "--burn --burn-us --burst ");
  EXPECT_EQ(complete("--log-level debug rep", "rep"), "report ");
  EXPECT_NE(complete("search --", "--").find("--time-limit"), std::string::npos);
  EXPECT_EQ(complete("run --out ''", ""), "files");
}

// pkg-config finds the installed library as CMake's package does: the example builds with
// nothing but the compiler and `pkg-config --cflags --libs taskfarm`, and runs.
TEST_F(InstalledExample, PkgConfigBuildsAProgramOnTheLibrary) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  const std::string pc = "PKG_CONFIG_PATH='" + (Prefix() / "lib/pkgconfig").string() + "' pkg-config";
  ASSERT_EQ(Shell(pc + " --modversion taskfarm", tmp / "version.txt"), 0) << ReadFile(tmp / "version.txt");
  EXPECT_EQ(ReadFile(tmp / "version.txt"), TASKFARM_VERSION_STRING "\n");
  const std::string program = (tmp / "wordcount").string();
  ASSERT_EQ(Shell("c++ -std=c++20 " + std::string(TASKFARM_CXX_FLAGS) + " '" + TASKFARM_SOURCE_DIR +
                      "/examples/wordcount/main.cc' -o '" + program + "' $(" + pc +
                      " --cflags --libs taskfarm) -Wl,-rpath,'" + (Prefix() / "lib").string() + "' " +
                      TASKFARM_EXE_LINKER_FLAGS,
                  tmp / "build.log"),
            0)
      << ReadFile(tmp / "build.log");
  const auto expected = MakeFiles(tmp, 3);
  EXPECT_EQ(Shell("cd '" + tmp.path().string() + "' && TMPDIR='" + tmp.path().string() + "' '" + program +
                      "' run --kind wc --inputs files.txt --out r.jsonl --quiet",
                  tmp / "run.log"),
            0)
      << ReadFile(tmp / "run.log");
  std::map<std::string, std::string> counted;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) counted[row["input"]] = row["output"];
  EXPECT_EQ(counted, expected);
}

// `cpack -G DEB` makes a package of the whole install under /usr; unpacked into a folder
// of its own (dpkg -x: the test does not install into the machine), it runs from there.
TEST(Package, DebHoldsTheProgramsDataManPagesAndCompletionAndRuns) {
  TempDir tmp;
  const auto log = tmp / "cpack.log";
  ASSERT_EQ(Shell("cpack --config '" + std::string(TASKFARM_BINARY_DIR) + "/CPackConfig.cmake' -B '" +
                      tmp.path().string() + "/out'",
                  log),
            0)
      << ReadFile(log);
  std::filesystem::path deb;
  for (const auto& entry : std::filesystem::directory_iterator(tmp / "out")) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_EQ(deb.filename().string().rfind("taskfarm_" TASKFARM_VERSION_STRING "_", 0), 0u)
      << ReadFile(log);
  // (Shell appends a command's output to the file it is given.)
  ASSERT_EQ(Shell("dpkg-deb -c '" + deb.string() + "'", tmp / "contents.txt"), 0);
  const std::string contents = ReadFile(tmp / "contents.txt");
  for (const char* file : {"./usr/bin/taskfarm", "./usr/bin/taskfarm-worker", "./usr/lib/libtaskfarm.so",
                           "./usr/lib/taskfarm/libtaskfarm-kinds.so",
                           "./usr/share/taskfarm/geonames/names.bin", "./usr/share/taskfarm/aliases.tsv",
                           "./usr/share/man/man1/taskfarm-run.1",
                           "./usr/share/bash-completion/completions/taskfarm",
                           "./usr/include/taskfarm/app.h", "./usr/lib/pkgconfig/taskfarm.pc"}) {
    EXPECT_NE(contents.find(file), std::string::npos) << file;
  }
  ASSERT_EQ(Shell("dpkg-deb -f '" + deb.string() + "' Depends", tmp / "depends.txt"), 0);
  const std::string depends = ReadFile(tmp / "depends.txt");
  EXPECT_NE(depends.find("libzmq5"), std::string::npos) << "found by dpkg-shlibdeps";
  EXPECT_NE(depends.find("libarchive13"), std::string::npos) << "the kinds module's libraries too";
  // The gazetteer is compiled whole into the package: nothing else is read at run time (a
  // fresh Debian 12 has no iso-codes, which an earlier package read country names from).
  EXPECT_EQ(depends.find("iso-codes"), std::string::npos) << depends;

  ASSERT_EQ(Shell("dpkg -x '" + deb.string() + "' '" + (tmp / "root").string() + "'", log), 0);
  const std::string taskfarm = (tmp / "root/usr/bin/taskfarm").string();
  std::ofstream(tmp / "ten.txt") << kClassicTen;
  EXPECT_EQ(Shell("cd '" + tmp.path().string() + "' && TMPDIR='" + tmp.path().string() + "' '" +
                      taskfarm + "' run --geocode ten.txt --out ten.jsonl --quiet",
                  log),
            0)
      << ReadFile(log);
  EXPECT_EQ(CountriesOf(ReadJsonLines(tmp / "ten.jsonl")), kClassicTenCountries);
  EXPECT_EQ(Shell("TMPDIR='" + tmp.path().string() + "' '" + taskfarm + "' run --noop 1000 --quiet", log), 0)
      << ReadFile(log);
  ExpectNothingLeft(tmp);
}

TEST_F(InstalledExample, OwnKindsRunPerInputWithEveryResultKept) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  const auto expected = MakeFiles(tmp, 40);
  std::ofstream(tmp / "files.txt", std::ios::app) << (tmp / "missing.txt").string() << '\n';
  // --max-tasks-per-worker replaces workers mid-run: each replacement is the program again.
  RunOutput run = RunExample({"run", "--kind", "wc", "--inputs", (tmp / "files.txt").string(),
                              "--workers", "2", "--max-tasks-per-worker", "7", "--db",
                              (tmp / "run.db").string(), "--out", (tmp / "r.jsonl").string(),
                              "--json", "--quiet"},
                             tmp);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) rows[row["input"]] = row;
  ASSERT_EQ(rows.size(), 41u);
  for (const auto& [path, counts] : expected) EXPECT_EQ(rows[path]["output"], counts) << path;
  const auto& missing = rows[(tmp / "missing.txt").string()];
  EXPECT_EQ(missing["status"], "error");
  EXPECT_NE(missing["error"].get<std::string>().find("cannot read"), std::string::npos);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["wc"]["done"], 40);
  EXPECT_EQ(summary["kinds"]["wc"]["failed"], 1);
  EXPECT_GE(summary["workers_retired"].get<int>(), 4);
  EXPECT_EQ(QueryInt(tmp / "run.db", "SELECT count(*) FROM results WHERE kind = 'wc'"), 41);
  ExpectNothingLeft(tmp);
}

TEST_F(InstalledExample, JobFileIoKindRemoteHostAndBadKind) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  MakeFiles(tmp, 3);
  std::ofstream(tmp / "jobs.jsonl")
      << "{\"kind\": \"wc\", \"input\": \"" << (tmp / "file 2.txt").string() << "\", \"id\": \"two\"}\n"
      << "{\"kind\": \"resolve\", \"input\": \"localhost\", \"id\": \"lo\"}\n"
      << "{\"kind\": \"exec\", \"argv\": [\"true\"]}\n";
  RunOutput jobs = RunExample({"run", "--jobs", (tmp / "jobs.jsonl").string(), "--out",
                               (tmp / "j.jsonl").string(), "--quiet"},
                              tmp);
  EXPECT_EQ(jobs.exit_code, 0) << jobs.err;
  std::map<std::string, nlohmann::json> by_job;
  for (const auto& row : ReadJsonLines(tmp / "j.jsonl")) {
    if (row.contains("job_id")) by_job[row["job_id"]] = row;
  }
  EXPECT_EQ(by_job["two"]["output"], "2 6 28");
  const std::string address = by_job["lo"]["output"];
  EXPECT_TRUE(address == "127.0.0.1" || address == "::1") << address;

  // Every task on a host agent the program started itself (the same program, as `host`).
  RunOutput hosted = RunExample({"run", "--kind", "wc", "--inputs", (tmp / "files.txt").string(),
                                 "--launcher", "local", "--hosts", "1", "--workers", "0",
                                 "--insecure", "--json", "--quiet"},
                                tmp);
  EXPECT_EQ(hosted.exit_code, 0) << hosted.err;
  const auto summary = nlohmann::json::parse(hosted.out);
  EXPECT_EQ(summary["kinds"]["wc"]["done"], 3);

  RunOutput bad = RunExample({"run", "--kind", "thumbnail", ":::", "x"}, tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("its kinds: resolve wc"), std::string::npos) << bad.err;
  ExpectNothingLeft(tmp);
}

TEST_F(InstalledExample, KilledCoordinatorResumesOnlyWhatHasNoRow) {
  ASSERT_TRUE(ok_);
  TempDir tmp;
  MakeFiles(tmp, 300);
  const auto db = tmp / "run.db";
  const std::string args = "run --kind wc --inputs '" + (tmp / "files.txt").string() +
                           "' --workers 1 --db '" + db.string() + "' --quiet";
  // Slow enough to stop part way: one worker, and a coordinator killed at the 50th row.
  const std::string start = "cd '" + tmp.path().string() + "' && TMPDIR='" + tmp.path().string() +
                            "' exec '" + Program() + "' " + args + " --max-tasks-per-worker 1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", start.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WaitFor(
      [&] { return TryQueryInt(db, "SELECT count(*) FROM results") >= 50; },
      std::chrono::seconds(60)));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const int64_t before = QueryInt(db, "SELECT count(*) FROM results");
  ASSERT_LT(before, 300) << "the run finished before it could be killed";
  RunOutput resumed = RunExample({"run", "--resume", "--db", db.string(), "--quiet", "--json"}, tmp);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), 300);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT input) FROM results"), 300);
  const auto summary = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(summary["resumed_skipped"].get<int64_t>(), before);
  ExpectNothingLeft(tmp);
}

}  // namespace
}  // namespace taskfarm::testing

#include "tests/processes/process_harness.h"

#include <signal.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <atomic>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <curl/curl.h>
#include <sqlite3.h>
#include <gtest/gtest.h>

namespace bp = boost::process;

namespace taskfarm::testing {
namespace {

int NextRunNumber() {
  static std::atomic<int> counter{0};
  return counter++;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tf-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Taskfarm::Taskfarm(const std::vector<std::string>& args, const TempDir& tmp,
                   const std::map<std::string, std::string>& extra_env,
                   const std::vector<std::string>& wrapper, const std::string& program_path)
    : out_path_(tmp / ("stdout-" + std::to_string(NextRunNumber()) + ".txt")),
      err_path_(tmp / ("stderr-" + std::to_string(NextRunNumber()) + ".txt")) {
  // Boost.Process opens redirect files without O_TRUNC: start them empty.
  std::filesystem::remove(out_path_);
  std::filesystem::remove(err_path_);
  // The environment goes through env(1), which then execs taskfarm in the same process:
  // Boost 1.74's environment lookup reads past short entries (AddressSanitizer shows it).
  std::vector<std::string> argv{"TMPDIR=" + tmp.path().string()};
  for (const auto& [name, value] : extra_env) {
    argv.push_back(std::string(name).append("=").append(value));
  }
  argv.emplace_back(program_path.empty() ? std::string(TASKFARM_BIN) : program_path);
  argv.insert(argv.end(), args.begin(), args.end());
  // If the test process dies (a crash, an abort), what it started goes with it.
  const auto die_with_the_test = bp::extend::on_exec_setup(
      [](auto&) { prctl(PR_SET_PDEATHSIG, SIGKILL); });
  std::string program = "/usr/bin/env";
  if (!wrapper.empty()) {  // e.g. ip netns exec NAME, which then execs env in its place
    argv.insert(argv.begin(), program);
    argv.insert(argv.begin(), wrapper.begin() + 1, wrapper.end());
    program = wrapper.front();
  }
  child_ = std::make_unique<bp::child>(program, bp::args(argv),
                                       bp::std_in.close(), bp::std_out > out_path_.string(),
                                       bp::std_err > err_path_.string(), die_with_the_test);
}

Taskfarm::~Taskfarm() {
  std::error_code ec;
  if (child_ && child_->running(ec)) child_->terminate(ec);
}

pid_t Taskfarm::pid() const { return child_->id(); }

bool Taskfarm::Running() {
  std::error_code ec;
  return child_->running(ec);
}

void Taskfarm::Signal(int signal_number) {
  std::error_code ec;
  if (child_->running(ec)) kill(child_->id(), signal_number);
}

RunOutput Taskfarm::Wait(std::chrono::seconds limit) {
  // Polled: Boost 1.74's child::wait_for can sleep out its whole timeout after the exit.
  std::error_code ec;
  if (!WaitFor([&] { return !child_->running(ec); }, limit)) {
    child_->terminate(ec);
    ADD_FAILURE() << "taskfarm did not finish within " << limit.count() << " s";
  }
  RunOutput output;
  const int status = child_->native_exit_code();
  output.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  output.out = ReadFile(out_path_);
  output.err = ReadFile(err_path_);
  return output;
}

RunOutput RunTaskfarm(const std::vector<std::string>& args, const TempDir& tmp,
                      const std::map<std::string, std::string>& env) {
  Taskfarm farm(args, tmp, env);
  return farm.Wait();
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  EXPECT_TRUE(ok) << "no free port on 127.0.0.1";
  return ntohs(address.sin_port);
}

GeoServerProcess::GeoServerProcess(const std::vector<std::string>& args, const TempDir& tmp) {
  std::vector<std::string> all{"geoserver"};
  if (std::find(args.begin(), args.end(), "--listen") == args.end()) {
    all.insert(all.end(), {"--listen", "127.0.0.1:0"});
  }
  all.insert(all.end(), args.begin(), args.end());
  process_ = std::make_unique<Taskfarm>(all, tmp);
  const auto out = process_->stdout_path();
  EXPECT_TRUE(WaitFor([&] { return ReadFile(out).find('\n') != std::string::npos; },
                      std::chrono::seconds(20)))
      << "geoserver printed no URL";
  const std::string text = ReadFile(out);
  url_ = text.substr(0, text.find('\n'));
}

GeoServerProcess::~GeoServerProcess() {
  process_->Signal(SIGTERM);
  process_->Wait(std::chrono::seconds(10));
}

nlohmann::json GeoServerProcess::Stats() const {
  const std::string body = HttpGet(url_ + "/stats");
  return body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body);
}

std::string HttpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t count, void* user) {
                     static_cast<std::string*>(user)->append(data, size * count);
                     return size * count;
                   });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const bool ok = curl_easy_perform(curl) == CURLE_OK;
  curl_easy_cleanup(curl);
  return ok ? body : std::string();
}

std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    if (cmdline.find(text) == std::string::npos) continue;
    const std::string stat = ReadFile(entry.path() / "stat");
    const auto close_paren = stat.rfind(')');
    if (close_paren != std::string::npos && stat.size() > close_paren + 2 &&
        stat[close_paren + 2] == 'Z') {
      continue;  // exited; only its parent's reaping is pending
    }
    found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

std::vector<pid_t> WorkersOf(const TempDir& tmp, pid_t coordinator) {
  std::vector<pid_t> workers;
  for (pid_t pid : ProcessesMentioning(tmp.path().string())) {
    if (pid != coordinator) workers.push_back(pid);
  }
  return workers;
}

std::vector<std::filesystem::path> RunDirectoriesIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind("taskfarm-", 0) == 0) found.push_back(entry.path());
  }
  return found;
}

std::vector<std::string> SegmentsOwnedBy(pid_t owner) {
  std::vector<std::string> found;
  const std::string prefix = "taskfarm-" + std::to_string(owner) + "-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) found.push_back(name);
  }
  return found;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int64_t TryQueryInt(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(handle, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(handle);
  return value;
}

int64_t QueryInt(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(handle, 5000);  // a run may be writing its schema or a batch
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(handle);
  int64_t value = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return value;
}

std::vector<nlohmann::json> ReadJsonLines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::filesystem::path PlacesFile(const TempDir& tmp, int count) {
  std::ifstream in(std::string(TASKFARM_SOURCE_DIR) + "/tests/data/places-1000.txt");
  auto path = tmp / ("places-" + std::to_string(count) + ".txt");
  std::ofstream out(path);
  int written = 0;
  for (std::string line; written < count && std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out << line << '\n';
    ++written;
  }
  return path;
}

void ExpectNothingLeft(const TempDir& tmp, pid_t coordinator) {
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(tmp.path().string()).empty(); },
                      std::chrono::seconds(5)));
  EXPECT_TRUE(RunDirectoriesIn(tmp.path()).empty());
  if (coordinator != 0) {
    EXPECT_TRUE(SegmentsOwnedBy(coordinator).empty());
  }
}

bool SanitizerBuild() {
  return std::string(TASKFARM_CXX_FLAGS).find("-fsanitize") != std::string::npos;
}

std::vector<std::string> ReadmeBlockLines(std::string_view language) {
  std::vector<std::string> lines;
  std::ifstream readme(std::string(TASKFARM_SOURCE_DIR) + "/README.md");
  bool inside = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("```", 0) == 0) {
      inside = line.substr(3) == language;
      continue;
    }
    if (inside) lines.push_back(line);
  }
  return lines;
}

}  // namespace taskfarm::testing

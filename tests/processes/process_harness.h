#pragma once
// Helpers for tests that run the real `taskfarm` binary: a private temporary directory
// (also the run's TMPDIR, so every run directory it makes is found there), running the
// binary to completion or in the background, and looking for processes left behind.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace boost::process {
class child;
}

// Memory figures mean little under a sanitizer (AddressSanitizer's quarantine keeps freed
// memory resident, ThreadSanitizer's shadow memory multiplies it): tests check them only
// `#if TASKFARM_MEMORY_MEASURABLE`.
#ifdef __has_feature
#define TASKFARM_HAS_FEATURE(x) __has_feature(x)
#else
#define TASKFARM_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    TASKFARM_HAS_FEATURE(address_sanitizer) || TASKFARM_HAS_FEATURE(thread_sanitizer)
#define TASKFARM_MEMORY_MEASURABLE 0
#else
#define TASKFARM_MEMORY_MEASURABLE 1
#endif

namespace taskfarm::testing {

/// A fresh directory, removed with its contents when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct RunOutput {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

/// A `taskfarm` process with TMPDIR set to `tmp`; stdout and stderr go to files in `tmp`.
class Taskfarm {
 public:
  /// `env` adds to (or overrides) this process's environment; `wrapper` (an absolute path
  /// and its arguments) runs it, e.g. {"/sbin/ip", "netns", "exec", NAME}; `program` is
  /// another program of the build to run in taskfarm's place (taskfarm-relay).
  Taskfarm(const std::vector<std::string>& args, const TempDir& tmp,
           const std::map<std::string, std::string>& env = {},
           const std::vector<std::string>& wrapper = {}, const std::string& program = "");
  ~Taskfarm();
  pid_t pid() const;
  bool Running();
  void Signal(int signal_number);
  const std::filesystem::path& stdout_path() const { return out_path_; }
  const std::filesystem::path& stderr_path() const { return err_path_; }
  /// Waits for the exit (at most `limit`; then kills it and fails the test).
  RunOutput Wait(std::chrono::seconds limit = std::chrono::seconds(120));

 private:
  std::unique_ptr<boost::process::child> child_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

/// Runs `taskfarm args...` to completion.
RunOutput RunTaskfarm(const std::vector<std::string>& args, const TempDir& tmp,
                      const std::map<std::string, std::string>& env = {});

/// `taskfarm geoserver` on a free loopback port, stopped (SIGTERM) when destroyed.
class GeoServerProcess {
 public:
  GeoServerProcess(const std::vector<std::string>& args, const TempDir& tmp);
  ~GeoServerProcess();
  const std::string& url() const { return url_; }
  /// GET /stats, parsed.
  nlohmann::json Stats() const;

 private:
  std::unique_ptr<Taskfarm> process_;
  std::string url_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (hosts start before the coordinator,
/// so they need its address in advance).
int FreePort();

/// The body of an HTTP GET (empty on failure).
std::string HttpGet(const std::string& url);

/// PIDs of live (not zombie) processes whose command line contains `text`.
std::vector<pid_t> ProcessesMentioning(const std::string& text);
/// The workers of the run whose TMPDIR is `tmp` (its processes but the coordinator).
std::vector<pid_t> WorkersOf(const TempDir& tmp, pid_t coordinator);

/// Run directories (taskfarm-*) left in `dir`.
std::vector<std::filesystem::path> RunDirectoriesIn(const std::filesystem::path& dir);

/// Shared-memory segments in /dev/shm created by the process `owner` (taskfarm-<pid>-*).
std::vector<std::string> SegmentsOwnedBy(pid_t owner);

/// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit);

/// No process of the run's left (within 5 s), no run directory in `tmp`, and no shared-memory
/// segment of `coordinator` (when given).
void ExpectNothingLeft(const TempDir& tmp, pid_t coordinator = 0);

/// One integer from an SQLite query on `db` (read-only); -1 when there is no row.
int64_t QueryInt(const std::filesystem::path& db, const std::string& sql);
/// The same for a database a run may still be creating: -1, not a failure, when the file or
/// its tables are not there yet.
int64_t TryQueryInt(const std::filesystem::path& db, const std::string& sql);

/// The lines inside the README's fenced blocks of `language` ("sh", "console"), in order.
std::vector<std::string> ReadmeBlockLines(std::string_view language);

/// True in a sanitizer build: every process runs several times slower and stalls now and
/// then, so a bound on how requests bunch in one second is looser there (races are what
/// those builds are for; the release suite holds the tight bounds).
bool SanitizerBuild();

/// The first `count` places of tests/data/places-1000.txt, one per line, in a file in `tmp`.
std::filesystem::path PlacesFile(const TempDir& tmp, int count);

std::vector<nlohmann::json> ReadJsonLines(const std::filesystem::path& path);
std::string ReadFile(const std::filesystem::path& path);

}  // namespace taskfarm::testing

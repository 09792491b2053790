#pragma once
// ChildCommand: runs one external command the way a batch farm must, so that nothing it
// starts outlives its task or its worker. The command gets a process group of its own
// (pgid = its pid), started with posix_spawn (cheap from a large process). Once it exits,
// what it left running in its group is killed; on a timeout the whole group is killed; and
// the group is registered with the worker's GroupReaper, which kills it if the worker dies
// (even by SIGKILL). A command that leaves its process group (setsid) escapes this, as it
// would any tool short of a cgroup.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.h"

#include "worker/group_reaper.h"

namespace taskfarm {

/// Where programs named without a '/' are on $PATH, looked up once per name. Thread-safe.
class ProgramPaths {
 public:
  /// The program's path, or empty when $PATH has none of that name.
  std::filesystem::path Find(const std::string& name);

 private:
  std::mutex mutex_;
  std::map<std::string, std::filesystem::path> paths_;  // guarded by mutex_
};

struct ChildCommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on $PATH unless it has a '/'
  uint64_t capture_limit = 0;     // bytes of stdout and of stderr kept
  std::optional<uint64_t> stderr_capture_limit;  // bytes of stderr kept, if not capture_limit
  std::optional<std::filesystem::path> stdout_file;  // also write all of stdout here
  std::optional<std::filesystem::path> stderr_file;
  std::chrono::milliseconds timeout{0};  // 0: none
  GroupReaper* reaper = nullptr;         // kills the group if the worker dies; may be null
  ProgramPaths* programs = nullptr;      // $PATH look-ups kept; may be null
};

struct ChildCommandResult {
  int exit_status = -1;  // -1 when it did not exit normally
  int signal = 0;        // the signal that ended it
  bool timed_out = false;
  std::string start_error;  // set when it could not be started (exit_status 127)
  std::string write_error;  // set when --results files could not be written
  std::string out, err;
  uint64_t out_bytes = 0, err_bytes = 0;
  std::chrono::nanoseconds wall{0};
  std::chrono::nanoseconds cpu{0};  // user + system of the command and its reaped children

  bool ok() const { return exit_status == 0 && start_error.empty() && write_error.empty(); }
  /// "exit status 3", "killed by signal 9 (Killed)", "timed out after 2 s", ...
  std::string Describe(std::chrono::milliseconds timeout) const;
};

/// What a worker keeps for all of the commands it runs (its own --exec tasks, converters).
struct CommandServices {
  GroupReaper* reaper = nullptr;
  ProgramPaths* programs = nullptr;
};

/// Runs `spec` to completion (or its timeout). Thread-safe: several threads may run
/// commands at once. stdin is /dev/null.
ChildCommandResult RunChildCommand(const ChildCommandSpec& spec);

/// CPU time (user + system) of every command the calling thread has run to its end, in
/// nanoseconds.
uint64_t ThreadChildrenCpuNanos();

/// A task's CPU clock: its thread's CPU and the CPU of the commands it ran (an index task's
/// converter, an exec task's command), in nanoseconds.
inline uint64_t TaskCpuNanos() { return ThreadCpuNanos() + ThreadChildrenCpuNanos(); }

}  // namespace taskfarm

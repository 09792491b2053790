#pragma once
// WorkerProcess: one spawned taskfarm-worker, its pidfd, and its exit status once reaped.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "coordinator/run_directory.h"

namespace boost::process {
class child;
}

namespace taskfarm {

/// Owns the child: destroying a WorkerProcess that still runs kills it (SIGKILL) and reaps
/// it, so no path leaves an orphan or a zombie. Not thread-safe.
class WorkerProcess {
 public:
  /// Starts `executable` with `args`; stdin and stdout are /dev/null, stderr is ours, and no
  /// other descriptor of ours leaks into the child. Throws std::runtime_error on failure.
  WorkerProcess(const std::filesystem::path& executable, const std::vector<std::string>& args);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Readable (POLLIN) once the process has exited; poll it beside the sockets.
  int pidfd() const { return pidfd_; }

  /// Reaps the process if it has exited (never blocks); true when it has.
  bool Reap();
  /// How it ended, e.g. "exit status 0" or "killed by signal 9 (Killed)"; empty while running.
  std::string ExitDescription() const;
  bool exited_cleanly() const;

  void Signal(int signal_number);

 private:
  std::unique_ptr<boost::process::child> child_;
  pid_t pid_ = 0;
  int pidfd_ = -1;
  std::optional<int> wait_status_;
};

/// The command line of worker `id` of a pool whose sockets live in `run_directory` (its
/// tasks on `task_endpoint`, results to the directory's "sink"), watching this process as
/// its parent; `extra` (logging, network settings, --shm) follows.
std::vector<std::string> WorkerArguments(uint32_t id, const std::string& task_endpoint,
                                         const RunDirectory& run_directory,
                                         const std::vector<std::string>& extra);

/// The running executable (/proc/self/exe).
std::filesystem::path SelfExecutable();

/// taskfarm-worker in the folder of the running executable (they are installed together).
std::filesystem::path WorkerExecutableBesideSelf();

}  // namespace taskfarm

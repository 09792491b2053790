#include "coordinator/worker_process.h"

#include <signal.h>
#include "shared/pidfd.h"
#include "shared/system_text.h"
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <boost/process.hpp>

namespace taskfarm {

namespace bp = boost::process;

WorkerProcess::WorkerProcess(const std::filesystem::path& executable,
                             const std::vector<std::string>& args) {
  // Boost.Process reports a failed exec as a child that exits with status 1: check first,
  // so the message names the file.
  if (access(executable.c_str(), X_OK) != 0) {
    throw std::runtime_error("cannot start " + executable.string() + ": " + ErrnoText(errno));
  }
  std::error_code ec;  // the spawn reports through it, so child_ starts here, not above
  // cppcheck-suppress useInitializationList
  child_ = std::make_unique<bp::child>(executable.string(), bp::args(args), bp::std_in.close(),
                                       bp::std_out > bp::null,
                                       bp::std_err > stderr, bp::limit_handles, ec);
  if (ec) {
    throw std::runtime_error("cannot start " + executable.string() + ": " + ec.message());
  }
  pid_ = child_->id();
  pidfd_ = OpenPidfd(pid_);
  if (pidfd_ < 0) {
    const std::string reason = ErrnoText(errno);
    child_->terminate(ec);
    throw std::runtime_error("pidfd_open for worker " + std::to_string(pid_) + ": " + reason);
  }
}

WorkerProcess::~WorkerProcess() {
  if (!Reap()) {
    std::error_code ec;
    child_->terminate(ec);  // SIGKILL, then waitpid
  }
  if (pidfd_ >= 0) close(pidfd_);
}

bool WorkerProcess::Reap() {
  if (wait_status_) return true;
  std::error_code ec;
  if (child_->running(ec)) return false;
  wait_status_ = child_->native_exit_code();
  return true;
}

bool WorkerProcess::exited_cleanly() const {
  return wait_status_ && WIFEXITED(*wait_status_) && WEXITSTATUS(*wait_status_) == 0;
}

std::string WorkerProcess::ExitDescription() const {
  if (!wait_status_) return {};
  const int status = *wait_status_;
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           SignalText(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

void WorkerProcess::Signal(int signal_number) {
  if (!wait_status_) kill(pid_, signal_number);  // not yet reaped: the PID is still ours
}

std::filesystem::path SelfExecutable() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec);
}

std::filesystem::path WorkerExecutableBesideSelf() {
  return SelfExecutable().parent_path() / "taskfarm-worker";
}

std::vector<std::string> WorkerArguments(uint32_t id, const std::string& task_endpoint,
                                         const RunDirectory& run_directory,
                                         const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--id",     std::to_string(id),
                                "--tasks",  task_endpoint,
                                "--sink",   run_directory.IpcEndpoint("sink"),
                                "--parent", std::to_string(getpid()),
                                "--run-dir", run_directory.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace taskfarm

#pragma once
// RunDirectory: the run's private directory for its ipc:// socket files.

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace taskfarm {

/// Creates `$TMPDIR/taskfarm-<pid>-XXXXXX` with mode 0700 and removes it, with everything in
/// it, when destroyed. Creation first removes directories of earlier runs whose coordinator
/// PID no longer exists (a coordinator killed with SIGKILL cannot clean up after itself).
class RunDirectory {
 public:
  RunDirectory();
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// "ipc://<dir>/<name>"
  std::string IpcEndpoint(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

/// The folder run directories go in: $TMPDIR, or /tmp.
std::filesystem::path RunDirectoryParent();

/// Removes run directories under `parent` whose owner PID is dead; returns how many.
int RemoveStaleRunDirectories(const std::filesystem::path& parent);

}  // namespace taskfarm

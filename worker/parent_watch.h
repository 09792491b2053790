#pragma once
// ParentWatch: a worker notices at once when its coordinator is gone, even one killed with
// SIGKILL, cleans up what the coordinator could not, and exits.

#include <sys/types.h>

#include <filesystem>

namespace taskfarm {

/// Exits the process unless `parent` is still our parent. Then starts a thread that waits on
/// a pidfd of the parent; when the parent dies the thread removes `run_directory` (the
/// coordinator's private directory of socket files; empty path: nothing) and exits the whole
/// process with status 70, whatever the other threads are doing (a hung task included).
void WatchParent(pid_t parent, const std::filesystem::path& run_directory);

}  // namespace taskfarm

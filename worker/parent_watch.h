#pragma once
// ParentWatch: a worker notices at once when its coordinator is gone, even one killed with
// SIGKILL, cleans up what the coordinator could not, and exits.

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace taskfarm {

/// What the coordinator leaves for its workers to remove if it dies without cleaning up.
struct CoordinatorLeftovers {
  std::filesystem::path run_directory;  // its private directory of socket files
  std::string shm_segment;              // its rate limiter's shared memory (may be empty)
};

/// Exits the process unless `parent` is still our parent. Then starts a thread that waits on
/// a pidfd of the parent; when the parent dies the thread removes `leftovers` and exits the
/// whole process with status 70, whatever the other threads are doing (a hung task included).
void WatchParent(pid_t parent, const CoordinatorLeftovers& leftovers);

}  // namespace taskfarm

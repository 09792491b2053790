#include "worker/parent_watch.h"

#include <poll.h>
#include "shared/pidfd.h"
#include "shared/rate_limiter.h"
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <thread>

namespace taskfarm {
namespace {

constexpr int kExitParentGone = 70;

void RemoveLeftovers(const CoordinatorLeftovers& leftovers) {
  RemoveSegment(leftovers.shm_segment);
  const std::filesystem::path& dir = leftovers.run_directory;
  if (dir.empty()) return;
  // Several workers race to remove the same directory; a vanished entry is not an error.
  for (int tries = 0; tries < 5; ++tries) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (!ec) return;
  }
}

}  // namespace

void WatchParent(pid_t parent, const CoordinatorLeftovers& leftovers) {
  int fd = OpenPidfd(parent);
  // Checked after opening the pidfd: a parent that died before this point is caught here,
  // one that dies after it is caught by the thread.
  if (fd < 0 || getppid() != parent) {
    std::fprintf(stderr, "taskfarm-worker: coordinator %d is gone; exiting\n", parent);
    RemoveLeftovers(leftovers);
    _exit(kExitParentGone);
  }
  std::thread([fd, leftovers] {
    pollfd item{fd, POLLIN, 0};
    while (poll(&item, 1, -1) < 0 && errno == EINTR) {
    }
    RemoveLeftovers(leftovers);
    _exit(kExitParentGone);
  }).detach();
}

}  // namespace taskfarm

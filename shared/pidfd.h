#pragma once
// OpenPidfd: a file descriptor that becomes readable when a process exits (Linux 5.3+).
// Called through syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C
// linkage, so C++ code cannot link against it.

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace taskfarm {

/// The pidfd of `pid` (close-on-exec), or -1 with errno set.
inline int OpenPidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace taskfarm

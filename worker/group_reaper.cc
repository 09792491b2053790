#include "worker/group_reaper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "shared/system_text.h"

namespace taskfarm {
namespace {

// One message: '+' or '-', then the group as 4 bytes. Smaller than PIPE_BUF, so writes from
// several threads never interleave.
struct Message {
  char op;
  char group[sizeof(int32_t)];
};

// The reaper's life, in a process forked from a multi-threaded worker: only
// async-signal-safe calls, and no allocation.
[[noreturn]] void RunReaper(int pipe_read) {
  sigset_t all;
  sigfillset(&all);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): this forked process has one thread
  sigprocmask(SIG_SETMASK, &all, nullptr);  // only the pipe's end stops it
  if (pipe_read != 0) {
    dup2(pipe_read, 0);
  }
  close_range(1, ~0U, 0);  // the worker's sockets and its commands' pipes are not ours
  static pid_t groups[GroupReaper::kMaxGroups];
  int count = 0;
  char buffer[sizeof(Message) * 256];
  std::size_t held = 0;
  for (;;) {
    const ssize_t n = read(0, buffer + held, sizeof buffer - held);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the worker is gone (or exiting)
    held += static_cast<std::size_t>(n);
    std::size_t used = 0;
    for (; held - used >= sizeof(Message); used += sizeof(Message)) {
      int32_t group = 0;
      std::memcpy(&group, buffer + used + 1, sizeof group);
      if (buffer[used] == '+' && count < GroupReaper::kMaxGroups) {
        groups[count++] = group;
      } else if (buffer[used] == '-') {
        for (int i = 0; i < count; ++i) {
          if (groups[i] == group) {
            groups[i] = groups[--count];
            break;
          }
        }
      }
    }
    std::memmove(buffer, buffer + used, held - used);
    held -= used;
  }
  for (int i = 0; i < count; ++i) kill(-groups[i], SIGKILL);
  _exit(0);
}

}  // namespace

GroupReaper::GroupReaper() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + ErrnoText(errno));
  reaper_ = fork();
  if (reaper_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork: " + ErrnoText(errno));
  }
  if (reaper_ == 0) RunReaper(fds[0]);
  close(fds[0]);
  pipe_write_ = fds[1];
}

GroupReaper::~GroupReaper() {
  close(pipe_write_);
  while (waitpid(reaper_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void GroupReaper::Register(pid_t group) { Send('+', group); }
void GroupReaper::Unregister(pid_t group) { Send('-', group); }

void GroupReaper::Send(char op, pid_t group) {
  Message message{op, {}};
  const int32_t value = group;
  std::memcpy(message.group, &value, sizeof value);
  while (write(pipe_write_, &message, sizeof message) < 0 && errno == EINTR) {
  }
}

}  // namespace taskfarm

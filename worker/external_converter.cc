#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "shared/clock.h"
#include "worker/handler_table.h"
#include "worker/text_extractors.h"
#include "shared/system_text.h"

extern char** environ;

namespace taskfarm {

ExtractedText ExtractWithProgram(const std::vector<std::string>& argv,
                                 std::chrono::seconds timeout, uint64_t max_output) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw TaskFailure({ErrorCode::kHandlerFailed, "pipe: " + ErrnoText(errno), true});
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    throw TaskFailure({ErrorCode::kHandlerFailed,
                       "cannot run " + argv[0] + ": " + ErrnoText(rc), false});
  }
  ExtractedText out;
  const auto deadline = MonoClock::now() + timeout;
  std::string failure;
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - MonoClock::now());
    if (left.count() <= 0) {
      failure = argv[0] + " took longer than " + std::to_string(timeout.count()) + " s";
      break;
    }
    pollfd item{pipe_fds[0], POLLIN, 0};
    if (poll(&item, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (!(item.revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    out.text.append(buffer, static_cast<std::size_t>(n));
    if (out.text.size() > max_output) {
      failure = argv[0] + " wrote more than " + std::to_string(max_output) + " bytes";
      break;
    }
  }
  close(pipe_fds[0]);
  if (!failure.empty()) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) throw TaskFailure({ErrorCode::kHandlerFailed, failure, false});
  if (WIFSIGNALED(status)) {
    throw TaskFailure({ErrorCode::kHandlerFailed,
                       argv[0] + " crashed: " + SignalText(WTERMSIG(status)), false});
  }
  if (WEXITSTATUS(status) != 0) {
    throw TaskFailure({ErrorCode::kHandlerFailed,
                       argv[0] + " failed with exit status " + std::to_string(WEXITSTATUS(status)),
                       false});
  }
  return out;
}

}  // namespace taskfarm

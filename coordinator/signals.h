#pragma once
// SignalPipe: SIGINT, SIGTERM and SIGHUP become bytes on a pipe that the coordinator's loop
// polls beside its sockets (the self-pipe trick), so signals are handled in one place, in
// the loop, never inside a handler. SIGPIPE is ignored (a closed stdout is an error value).

#include <optional>

namespace taskfarm {

/// One per process at a time; restores the previous dispositions when destroyed.
class SignalPipe {
 public:
  SignalPipe();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  /// Readable when a signal has arrived.
  int fd() const { return read_fd_; }
  /// The next signal that arrived, or nullopt when none is pending.
  std::optional<int> Take();

 private:
  int read_fd_ = -1;
};

}  // namespace taskfarm

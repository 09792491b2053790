#pragma once
// GroupReaper: makes sure the process groups of a worker's commands die with the worker,
// even when the worker is SIGKILLed (its task timed out, the coordinator gave up on it, the
// OOM killer chose it). A small process forked once per worker holds the read end of a
// pipe; the worker tells it each command's process group as the command starts and ends.
// When the worker dies for any reason the pipe closes, and the reaper kills every group
// still registered, then exits.
//
// This costs one pipe write per command, where a supervisor process per command would cost
// a fork of the (large) worker each time.

#include <sys/types.h>

#include <mutex>

namespace taskfarm {

/// Thread-safe.
class GroupReaper {
 public:
  /// Forks the reaper. Throws std::runtime_error when it cannot.
  GroupReaper();
  /// Closes the pipe (the reaper then exits) and waits for it.
  ~GroupReaper();
  GroupReaper(const GroupReaper&) = delete;
  GroupReaper& operator=(const GroupReaper&) = delete;

  void Register(pid_t group);
  void Unregister(pid_t group);

  /// Most groups registered at once (a worker runs at most --io-concurrency commands).
  static constexpr int kMaxGroups = 4096;

 private:
  void Send(char op, pid_t group);

  int pipe_write_ = -1;
  pid_t reaper_ = -1;
};

}  // namespace taskfarm

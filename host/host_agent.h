#pragma once
// HostAgent: `taskfarm host`, one per remote machine. It connects to a coordinator started
// with --listen (DEALER -> ROUTER over TCP, CurveZMQ), says how many workers it runs, starts
// them (the same taskfarm-worker processes as the local pool, on ipc:// sockets in its own
// run directory), owns this machine's shared-memory rate buckets at the share the
// coordinator gives it, and relays: tasks down to its workers, their results up, unread.
//
// It heartbeats the coordinator and gives up on it after the silence the coordinator names
// (three quarters of it, so its workers have stopped before the coordinator re-sends their
// tasks elsewhere); a coordinator's Stop, SIGINT or SIGTERM stops its workers and ends it.
// Everything it creates (run directory, segment, workers) goes on every exit path; its
// workers watch its PID and clean up if it is killed.

#include <chrono>
#include <filesystem>
#include <vector>
#include <string>

namespace taskfarm {

struct HostConfig {
  std::string connect;                  // tcp://ADDR:PORT of the coordinator
  unsigned workers = 1;
  std::filesystem::path keys_dir;       // empty with `insecure`
  bool insecure = false;
  std::filesystem::path worker_executable;
  std::vector<std::string> worker_leading_args;  // before the worker's own arguments
  std::chrono::milliseconds join_timeout{30'000};
};

/// Runs the agent until the coordinator's Stop, its loss, or a signal. Returns the exit
/// status: 0 after Stop, 1 when the coordinator was lost, 2 when it could not join (bad
/// keys, refused, no answer), 128+n after signal n.
int RunHostAgent(const HostConfig& config);

}  // namespace taskfarm

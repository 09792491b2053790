#pragma once
// HostLauncher: starts the run's host agents itself (`--launcher local|slurm --hosts N`) once
// the coordinator listens, and takes them down when the run is over.
//
//   local  N `taskfarm host` processes on this machine (a laptop, tests without Slurm)
//   slurm  N Slurm jobs, one `srun --ntasks=1 --cpus-per-task=K ... taskfarm host` each
//
// Why srun, one job per agent: srun stays our child for the job's lifetime (its exit is
// the agent's; its output is the agent's log, on our stderr), needs no batch script on a
// shared file system, and Slurm taking one node or job away (preemption, scancel, a failed
// node) takes one agent, which the coordinator treats as a host leaving. The jobs are named
// taskfarm-<coordinator pid>-<i>; on the way out, whatever the path (end, error, signal),
// the destructor cancels them by name (pending ones too) and reaps every srun.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/worker_process.h"

namespace taskfarm {

struct LaunchConfig {
  std::string launcher;       // "local" or "slurm"
  unsigned hosts = 0;
  unsigned workers_per_host = 1;
  std::vector<std::string> slurm_options;  // extra srun options ("--partition=x", "--time=10")
  std::filesystem::path keys_dir;          // empty with insecure
  bool insecure = false;
};

/// Not thread-safe; lives in the coordinator's main thread.
class HostLauncher {
 public:
  explicit HostLauncher(LaunchConfig config);
  ~HostLauncher();
  HostLauncher(const HostLauncher&) = delete;
  HostLauncher& operator=(const HostLauncher&) = delete;

  /// Starts the agents, told to connect to `endpoint` (as the coordinator bound it; a
  /// wildcard address becomes this machine's host name). Throws std::runtime_error.
  void Launch(const std::string& endpoint);

  /// False once every agent (or its srun) has ended; true before Launch. Says once, as a
  /// warning, how each one ended (its own messages are on our stderr already).
  bool AnyAgentRunning();

 private:
  std::vector<std::string> HostCommand(const std::string& connect) const;
  void CancelJobs();
  void AwaitAgents(std::chrono::milliseconds limit);

  LaunchConfig config_;
  std::vector<std::unique_ptr<WorkerProcess>> agents_;  // the agents, or their srun
  std::vector<bool> told_ended_;                         // per agent: its end was reported
  std::vector<std::string> job_names_;
};

/// "tcp://0.0.0.0:5555" -> "tcp://<hostname>:5555"; other endpoints unchanged.
std::string ReachableEndpoint(const std::string& bound);

}  // namespace taskfarm

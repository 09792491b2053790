#pragma once
// Farm: the coordinator's event loop, as in the ZeroMQ Guide's taskvent + tasksink in one
// process: spawn the pool, send each worker tasks up to its credit, collect results on the
// sink, replace workers that die, stop everything on the way out.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "coordinator/credit_policy.h"
#include "coordinator/ledger.h"
#include "coordinator/progress.h"
#include "coordinator/remote_hosts.h"
#include "coordinator/run_directory.h"
#include "coordinator/signals.h"
#include "coordinator/summary.h"
#include "coordinator/worker_process.h"
#include "shared/rate_limiter.h"

namespace taskfarm {

struct FarmConfig {
  unsigned workers = 1;
  std::filesystem::path worker_executable;
  /// After SIGINT/SIGTERM, how long tasks in flight may take to finish.
  std::chrono::milliseconds grace{10'000};
  /// A task whose worker dies while running it this many times is given up (quarantined).
  uint32_t max_attempts = 3;
  /// A worker that has not said Hello by then is killed and replaced.
  std::chrono::milliseconds startup_timeout{10'000};
  /// Arguments before the worker's own (a program built on the library runs itself as its
  /// worker: `--taskfarm-worker`).
  std::vector<std::string> worker_leading_args;
  /// More arguments for every worker (its logging settings).
  std::vector<std::string> worker_args;
  /// The run's rate-limiter segment, which workers map (empty: no rate limits).
  std::string shm_segment;
  /// How long a task may run before its worker is killed and the task retried, per kind;
  /// kinds not listed get `default_task_timeout`. Zero: no limit.
  std::map<std::string, std::chrono::milliseconds> task_timeouts;
  std::chrono::milliseconds default_task_timeout{600'000};
  /// Network-lane tasks one worker may hold (in flight and queued in its lane).
  std::size_t network_credit = 32;
  /// Tasks of a resumed run that already have a result, sorted: skipped, ids unchanged.
  std::vector<uint64_t> finished_tasks;
  /// Replace a worker cleanly after this many tasks (0: never).
  uint64_t max_tasks_per_worker = 0;
  /// Replace a worker cleanly, between tasks, once its resident memory passes this (0: never).
  uint64_t max_worker_rss_bytes = 0;
  /// For the progress display: how many tasks of each kind the run has, when known.
  std::map<std::string, uint64_t> kind_totals;
  /// For the progress display: the rate-limit buckets' figures now (may be empty).
  std::function<std::vector<BucketSummary>()> bucket_figures;
  /// Also accept remote host agents (taskfarm host) on this endpoint.
  std::optional<ListenConfig> listen;
  /// Called once the listener is bound, with the endpoint (its port resolved).
  std::function<void(const std::string&)> on_listening;
  /// The global rate limits (bursts applied) and the local pool's buckets: with remote
  /// hosts, each host and the local pool get shares in proportion to their workers.
  std::vector<RateSpec> rate_specs;
  RateLimiter* local_limiter = nullptr;
};

/// How the run ended.
struct FarmExit {
  int interrupted_by = 0;  // the signal that stopped the run, 0 if none
  std::string fatal_error; // set when the farm itself could not go on
  bool halted = false;     // --halt stopped it
};

/// Called once per task with its final outcome (never twice for one task).
using OutcomeHandler = std::function<void(const TaskRecord&, const wire::Result&)>;

/// One run. Not thread-safe; Run() is called once, on the thread that created the Farm.
class Farm {
 public:
  /// `progress` may be null (no live display).
  Farm(FarmConfig config, std::array<LaneSource, kLaneCount> sources, RunSummary& summary,
       OutcomeHandler on_outcome,
       ProgressDisplay* progress = nullptr);
  ~Farm();

  FarmExit Run();
  /// Stops the run early (--halt): no more tasks are sent; with `now` the tasks running are
  /// stopped too (their workers, and so their commands, are killed). May be called from
  /// the outcome handler.
  void Halt(bool now);

 private:
  enum class WorkerState { kStarting, kReady, kStopping };
  struct Worker {
    uint32_t id = 0;
    std::unique_ptr<WorkerProcess> process;  // a local worker: its process and PUSH socket
    zmq::socket_t socket;
    uint32_t host = 0;             // a remote worker: its host's id (0: local)
    int32_t remote_pid = 0;        // from its Hello
    std::string remote_exit;       // set when its host reports (or is lost): it has exited
    WorkerState state = WorkerState::kStarting;
    MonoClock::time_point spawned_at{};
    struct Held {
      uint64_t estimate_ns = 0;  // CPU lane: its expected run time
      Lane lane = Lane::kCpu;
    };
    std::unordered_map<uint64_t, Held> held;  // every task it holds, both lanes
    std::array<std::size_t, kLaneCount> held_count{};
    uint64_t held_ns = 0;  // CPU lane: expected work queued
    bool blocked = false;  // its socket refused a send; wait for POLLOUT
    uint64_t sent = 0;       // tasks sent to it
    bool retiring = false;   // gets no more tasks; stopped once it holds none
    std::string kill_reason;  // why the coordinator killed it, if it did
  };

  enum class SendOutcome { kSent, kWorkerFull, kNoTask };

  void SpawnWorker();
  /// Starts a worker in place of one that left (on the same host), unless the run is
  /// stopping or the host is gone.
  void ReplaceWorker(uint32_t host);
  bool SendToWorker(Worker& worker, const wire::Message& message);
  void SignalWorker(Worker& worker, int signal_number);
  pid_t PidOf(const Worker& worker) const;
  bool HasExited(Worker& worker);
  std::string ExitDescription(const Worker& worker) const;
  std::string HostName(uint32_t host) const;
  // Remote hosts.
  void DrainHosts();
  void HostJoined(RemoteHost& host);
  void HostMessage(RemoteHost& host, wire::Message& message);
  void LoseHost(const RemoteHost& host, const std::string& why);
  /// Applies the local share and sends every host its share, but host `except` (0: none).
  void DivideRates(uint32_t except = 0);
  uint32_t RateWeight() const;
  /// True while --wait-hosts holds tasks back (too few hosts joined, time left).
  bool WaitingForHosts() const;  // workers on every host, the local pool included
  void AddRemoteWorker(uint32_t host, uint32_t id);
  void Dispatch();
  SendOutcome SendBatchTo(Worker& worker);
  bool MayTake(const Worker& worker, const TaskRecord& next) const;
  void PollOnce(std::chrono::milliseconds timeout);
  void DrainSink();
  void HandleMessage(wire::Message& message);
  void HandleHello(const wire::Hello& hello);
  void HandleResult(wire::Result& result);
  void ReleaseHeld(Worker& worker, uint64_t task_id);
  void HandleExitedWorkers();
  void LoseWorker(Worker& worker, const std::string& why);
  void Quarantine(uint64_t task_id, ErrorCode code, const std::string& why);
  uint64_t PresumedRunningTask(const Worker& worker) const;
  void CheckStartupTimeouts();
  void CheckTaskTimeouts();
  void CheckWorkerMemory();
  void RetireIfDone(Worker& worker);
  std::chrono::milliseconds TimeoutFor(const std::string& kind) const;
  void HandleSignals();
  void StopAllWorkers();
  bool Done();
  std::chrono::milliseconds NextTimeout() const;
  std::chrono::milliseconds DrainTimeout() const;
  ProgressSnapshot Snapshot() const;

  FarmConfig config_;
  RunSummary& summary_;
  OutcomeHandler on_outcome_;
  ProgressDisplay* progress_;
  MonoClock::time_point started_{};
  Ledger ledger_;
  CreditPolicy credit_;
  RunDirectory run_directory_;
  SignalPipe signals_;
  zmq::context_t context_;
  zmq::socket_t sink_;
  std::map<uint32_t, Worker> workers_;
  std::unique_ptr<RemoteHosts> hosts_;          // null unless listening
  std::map<uint32_t, std::string> host_names_;  // every host that joined, even if gone
  uint32_t remote_workers_joined_ = 0;
  uint32_t next_worker_id_ = 1;
  uint32_t rotate_from_ = 0;  // fairness: the worker after the one served last goes first
  unsigned failed_starts_in_a_row_ = 0;
  msgpack::sbuffer scratch_;
  FarmExit exit_;
  bool draining_ = false;  // stop sending; wait for tasks in flight
  bool stop_now_ = false;
  MonoClock::time_point drain_deadline_{};
  std::optional<MonoClock::time_point> first_send_;
  MonoClock::time_point last_outcome_{};
  MonoClock::time_point next_health_check_{};
};

}  // namespace taskfarm

#pragma once
// Farm: the coordinator's event loop, as in the ZeroMQ Guide's taskvent + tasksink in one
// process: start the local pool, send each worker tasks up to its credit, collect results on
// the sink, replace workers that die, stop everything on the way out. Workers are reached
// through WorkerLinks; remote hosts' workers come and go through a HostPool.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/intrusive/list.hpp>
#include <msgpack.hpp>
#include <zmq.hpp>

#include "coordinator/credit_policy.h"
#include "coordinator/ledger.h"
#include "coordinator/host_pool.h"
#include "coordinator/local_worker.h"
#include "coordinator/progress.h"
#include "coordinator/run_directory.h"
#include "coordinator/signals.h"
#include "coordinator/summary.h"
#include "coordinator/worker_roster.h"
#include "shared/defaults.h"
#include "shared/rate_limiter.h"

namespace taskfarm {

struct FarmConfig {
  unsigned workers = 1;
  /// How local workers start (their --shm is added when there are rate limits); remote
  /// hosts get the same extra arguments.
  WorkerLaunch launch;
  /// After SIGINT/SIGTERM, how long tasks in flight may take to finish.
  std::chrono::milliseconds grace = defaults::kGrace;
  /// A task whose worker dies while running it this many times is given up (quarantined).
  uint32_t max_attempts = defaults::kMaxAttempts;
  /// A worker that has not said Hello by then is killed and replaced.
  std::chrono::milliseconds startup_timeout = defaults::kWorkerStartup;
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
  /// Called with a snapshot of the run every kPublishInterval and once at its end, on the
  /// farm's thread (the dashboard keeps the latest); may be empty.
  std::function<void(const ProgressSnapshot&)> publish;
  /// For the progress display: the rate-limit buckets' figures now (may be empty).
  std::function<std::vector<BucketSummary>()> bucket_figures;
  /// Also accept remote host agents (taskfarm host) on this endpoint.
  std::optional<ListenConfig> listen;
  /// Called once the listener is bound, with the endpoint (its port resolved).
  std::function<void(const std::string&)> on_listening;
  /// With --launcher: whether any host agent it started still runs. When none does and no
  /// worker is left, the run cannot go on and stops (fatal_error).
  std::function<bool()> launched_hosts_running;
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
class Farm : private WorkerRoster {
 public:
  /// `progress` may be null (no live display).
  Farm(FarmConfig config, std::array<LaneSource, kLaneCount> sources, RunSummary& summary,
       OutcomeHandler on_outcome,
       ProgressDisplay* progress = nullptr);
  ~Farm() override;

  FarmExit Run();
  /// Stops the run early (--halt, or results that cannot be recorded; `why` says which, for
  /// the log): no more tasks are sent; with `now` the tasks running are stopped too (their
  /// workers, and so their commands, are killed). May be called from the outcome handler.
  void Halt(bool now, std::string_view why);

 private:
  enum class WorkerState { kStarting, kReady, kStopping };
  // The records of the tasks a worker holds, linked through TaskRecord::held_link: taking a
  // task and letting it go cost no allocation and no lookup.
  using HeldList = boost::intrusive::list<
      TaskRecord, boost::intrusive::member_hook<TaskRecord, HeldLink, &TaskRecord::held_link>,
      boost::intrusive::constant_time_size<false>>;
  struct Worker {
    uint32_t id = 0;
    std::unique_ptr<WorkerLink> link;
    WorkerState state = WorkerState::kStarting;
    MonoClock::time_point spawned_at{};
    HeldList held;  // every task it holds, both lanes, in the order sent
    std::array<std::size_t, kLaneCount> held_count{};
    std::size_t Held() const { return held_count[0] + held_count[1]; }
    uint64_t held_ns = 0;  // CPU lane: expected work queued
    bool blocked = false;  // its socket refused a send; wait for POLLOUT
    uint64_t sent = 0;       // tasks sent to it, less those it gave back
    bool over_memory = false;  // over --max-worker-rss: retiring (Farm::Retiring)
    std::string kill_reason;  // why the coordinator killed it, if it did
    uint64_t rss_bytes = 0;   // as it last reported them (0: not yet)
    uint64_t cpu_ns = 0;
    uint64_t running_alone = 0;  // a suspect task it holds with nothing else (0: none)
    // Taking tasks back (AskForTasksBack): as a giver, the request awaiting its answer, how
    // many it asked for and for which worker; as a taker, the giver it awaits.
    bool return_asked = false;
    uint32_t asked_back = 0;
    uint32_t return_for = 0;
    MonoClock::time_point next_return_ask{};  // it gave back less than asked: not before
    uint32_t awaiting_from = 0;
    std::size_t reserved = 0;  // tasks given back for it, taken whatever its credit
  };

  enum class SendOutcome { kSent, kWorkerFull, kNoTask };

  // WorkerRoster: how the host pool adds and loses workers.
  uint32_t NewWorkerId() override { return next_worker_id_++; }
  void AddWorker(uint32_t id, std::unique_ptr<WorkerLink> link) override;
  void CollectExitedWorkers() override;
  void Deliver(wire::Message& message) override { HandleMessage(message); }
  bool Ending() const override { return draining_ || stop_now_; }

  /// When a suspect task waits and no worker holds nothing, one worker (saved_for_suspect_)
  /// takes no more tasks until it has finished those it holds, then runs the suspect alone.
  void SaveAWorkerForSuspect();
  /// Whether the death of `worker` is to be blamed on `record`, a network-lane task it
  /// held: only when it held nothing else (as a suspect runs); else it becomes a suspect.
  bool BlameNetworkTask(const Worker& worker, const TaskRecord& record) const;
  void StartLocalWorker();
  /// With no task ready, asks the workers that hold many tasks they have not begun to give
  /// some back for those that hold few (coordinator/return_policy.h).
  void AskForTasksBack();
  /// A worker's answer to ReturnTasks: the tasks it gave back go to the worker they were
  /// asked for (or wait, ready, when it is gone).
  void TakeBackReturned(Worker& worker, const wire::Report& report);
  /// Starts a worker in place of one that left (on the same host), unless the run is
  /// stopping or the host is gone.
  void ReplaceWorker(uint32_t host);
  void Dispatch();
  SendOutcome SendBatchTo(Worker& worker);
  bool MayTake(const Worker& worker, const TaskRecord& next) const;
  void PollOnce(std::chrono::milliseconds timeout);
  void DrainSink();
  void HandleMessage(wire::Message& message);
  void HandleHello(const wire::Hello& hello);
  void HandleResult(wire::Result& result);
  /// The worker that holds `record` (its record->worker), or null when it is gone.
  Worker* HolderOf(const TaskRecord& record);
  /// `record` leaves `worker`, which holds it, before it leaves flight; no-op if not held.
  void ReleaseHeld(Worker& worker, TaskRecord& record);
  void LoseWorker(Worker& worker, const std::string& why);
  void Quarantine(uint64_t task_id, ErrorCode code, const std::string& why);
  uint64_t PresumedRunningTask(const Worker& worker) const;
  void CheckHealth();
  /// The farm cannot go on: stop at once, with `why` as the run's fatal error.
  void Fail(std::string why);
  void CheckStartupTimeouts();
  void CheckTaskTimeouts();
  void CheckWorkerMemory();
  /// Gets no more tasks and is stopped once it holds none: over --max-worker-rss, or sent
  /// --max-tasks-per-worker tasks (less those it gave back).
  bool Retiring(const Worker& worker) const;
  void RetireIfDone(Worker& worker);
  std::chrono::milliseconds TimeoutFor(const std::string& kind) const;
  void HandleSignals();
  void StopAllWorkers();
  bool Done();
  void RecordEnd();
  std::chrono::milliseconds NextTimeout() const;
  std::chrono::milliseconds DrainTimeout() const;
  ProgressSnapshot Snapshot() const;
  void PublishIfDue(bool finished);

  FarmConfig config_;
  RunSummary& summary_;
  OutcomeHandler on_outcome_;
  ProgressDisplay* progress_;
  MonoClock::time_point next_publish_{};
  MonoClock::time_point started_{};
  Ledger ledger_;
  CreditPolicy credit_;
  // The batch SendBatchTo fills, kept for its room: built in a Message, as Send takes one (a
  // TaskBatch would be copied into it), and reused, so its tasks never move as it grows.
  wire::Message outgoing_{wire::TaskBatch{}};
  RunDirectory run_directory_;
  SignalPipe signals_;
  zmq::context_t context_;
  zmq::socket_t sink_;
  std::unique_ptr<HostPool> hosts_;  // null unless listening; outlives the links in workers_
  std::map<uint32_t, Worker> workers_;
  uint32_t next_worker_id_ = 1;
  uint32_t rotate_from_ = 0;  // fairness: the worker after the one served last goes first
  uint32_t saved_for_suspect_ = 0;  // a worker draining for a suspect task (0: none)
  MonoClock::time_point next_return_scan_{};  // AskForTasksBack looks again not before
  // When the loop must wake to ask for tasks back (a scan or a giver's pause it put off);
  // max when nothing waits. Dispatch clears it; AskForTasksBack sets it.
  MonoClock::time_point return_wake_ = MonoClock::time_point::max();
  unsigned failed_starts_in_a_row_ = 0;
  FarmExit exit_;
  bool draining_ = false;  // stop sending; wait for tasks in flight
  bool stop_now_ = false;
  MonoClock::time_point drain_deadline_{};
  std::optional<MonoClock::time_point> first_send_;
  MonoClock::time_point last_outcome_{};
  MonoClock::time_point next_health_check_{};
};

}  // namespace taskfarm

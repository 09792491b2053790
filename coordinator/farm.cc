#include "coordinator/farm.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "coordinator/return_policy.h"
#include "shared/system_text.h"
#include "shared/transport.h"

namespace taskfarm {
namespace {

constexpr int kSinkHwm = 100'000;
constexpr std::size_t kMaxMessagesPerDrain = 4096;
// A worker that gave back fewer tasks than asked is not asked again for this long.
constexpr std::chrono::milliseconds kReturnAskPause{5};
// With nothing ready, the workers' holdings are compared at most this often.
constexpr std::chrono::milliseconds kReturnScanInterval{1};
// A pool whose workers die before saying Hello this many times in a row cannot start.
constexpr unsigned kMaxFailedStartsInARow = 10;
constexpr std::chrono::milliseconds kIdlePollTimeout{1000};
// How often a run's snapshot goes to FarmConfig::publish (the dashboard).
constexpr std::chrono::milliseconds kPublishInterval{250};
// Timeouts and memory limits are checked this often, not on every turn of the loop.
constexpr std::chrono::milliseconds kHealthCheckInterval{100};
}  // namespace

Farm::Farm(FarmConfig config, std::array<LaneSource, kLaneCount> sources, RunSummary& summary,
           OutcomeHandler on_outcome, ProgressDisplay* progress)
    : config_(std::move(config)),
      summary_(summary),
      on_outcome_(std::move(on_outcome)),
      progress_(progress),
      ledger_(sources),
      context_(1),
      sink_(MakeSocket(context_, zmq::socket_type::pull, {kSinkHwm, {}})) {
  sink_.bind(run_directory_.IpcEndpoint("sink"));
  if (config_.listen) {
    hosts_ = std::make_unique<HostPool>(
        context_,
        HostPoolConfig{*config_.listen, config_.workers, config_.launch.extra_args,
                       config_.rate_specs, config_.local_limiter},
        static_cast<WorkerRoster&>(*this), summary_);
    if (config_.on_listening) config_.on_listening(hosts_->endpoint());
  }
  // Local workers map the run's segment; hosts (above) got the arguments without it.
  if (!config_.shm_segment.empty()) {
    config_.launch.extra_args.insert(config_.launch.extra_args.end(),
                                     {"--shm", config_.shm_segment});
  }
  summary_.set_workers(config_.workers);
  ledger_.SkipFinished(config_.finished_tasks);
  config_.finished_tasks.clear();
}

Farm::~Farm() = default;

FarmExit Farm::Run() {
  started_ = MonoClock::now();
  try {
    for (unsigned i = 0; i < config_.workers; ++i) StartLocalWorker();
  } catch (const std::exception& e) {
    Fail(e.what());
  }
  for (;;) {
    Dispatch();
    if (Done()) break;
    PollOnce(NextTimeout());
    if (progress_ && progress_->Due(MonoClock::now())) progress_->Show(Snapshot(), MonoClock::now());
    PublishIfDue(false);
    if (MonoClock::now() >= next_health_check_) CheckHealth();
  }
  PublishIfDue(true);
  if (progress_) progress_->Finish();
  StopAllWorkers();
  RecordEnd();
  return exit_;
}

void Farm::RecordEnd() {
  summary_.set_wall_seconds(std::chrono::duration<double>(MonoClock::now() - started_).count());
  if (first_send_ && last_outcome_ > *first_send_) {
    summary_.set_busy_seconds(std::chrono::duration<double>(last_outcome_ - *first_send_).count());
  }
  summary_.set_unfinished(ledger_.Unfinished());
  summary_.set_duplicates_dropped(ledger_.duplicates_dropped());
  summary_.set_resumed_skipped(ledger_.skipped());
  summary_.set_interrupted_by(exit_.interrupted_by);
}

void Farm::CheckHealth() {
  next_health_check_ = MonoClock::now() + kHealthCheckInterval;
  CheckStartupTimeouts();
  CheckTaskTimeouts();
  CheckWorkerMemory();
  if (workers_.empty() && config_.launched_hosts_running && !config_.launched_hosts_running()) {
    Fail("every host agent the launcher started has ended (how: above), and no worker is left "
         "to run the tasks");
    return;
  }
  if (!hosts_) return;
  hosts_->Tick(MonoClock::now());
  // A remote worker whose send would block is retried here: there is nothing to poll for.
  for (auto& [id, worker] : workers_) worker.blocked = worker.blocked && worker.link->host() == 0;
}

void Farm::StartLocalWorker() {
  const uint32_t id = NewWorkerId();
  auto link = std::make_unique<LocalWorker>(context_, run_directory_, id, config_.launch);
  spdlog::debug("worker {} started as pid {}", id, link->pid());
  AddWorker(id, std::move(link));
}

void Farm::AddWorker(uint32_t id, std::unique_ptr<WorkerLink> link) {
  Worker worker;
  worker.id = id;
  worker.link = std::move(link);
  worker.spawned_at = MonoClock::now();
  workers_.emplace(id, std::move(worker));
}

void Farm::SaveAWorkerForSuspect() {
  const TaskRecord* next = ledger_.PeekReady(Lane::kNetwork);
  if (next == nullptr || !next->suspect) {
    saved_for_suspect_ = 0;  // none waits (the saved worker, if any, took it)
    return;
  }
  if (workers_.count(saved_for_suspect_) != 0) return;
  Worker* fewest = nullptr;
  for (auto& [id, worker] : workers_) {
    if (worker.state != WorkerState::kReady || Retiring(worker) || worker.running_alone != 0) continue;
    if (worker.held.empty()) return;  // it takes the suspect
    if (fewest == nullptr || worker.Held() < fewest->Held()) fewest = &worker;
  }
  if (fewest != nullptr) saved_for_suspect_ = fewest->id;
}

void Farm::Dispatch() {
  return_wake_ = MonoClock::time_point::max();
  if (draining_ || stop_now_ || (hosts_ && hosts_->Waiting(MonoClock::now() - started_))) return;
  SaveAWorkerForSuspect();
  for (bool sent_any = true; sent_any;) {
    sent_any = false;
    // Start after the worker served last, so no worker is always first in line.
    std::vector<Worker*> order;
    for (auto it = workers_.lower_bound(rotate_from_); it != workers_.end(); ++it) {
      order.push_back(&it->second);
    }
    for (auto it = workers_.begin(); it != workers_.lower_bound(rotate_from_); ++it) {
      order.push_back(&it->second);
    }
    for (Worker* worker : order) {
      if (worker->state != WorkerState::kReady || worker->blocked || Retiring(*worker)) continue;
      switch (SendBatchTo(*worker)) {
        case SendOutcome::kSent:
          sent_any = true;
          rotate_from_ = worker->id + 1;
          break;
        case SendOutcome::kWorkerFull:
          break;
        case SendOutcome::kNoTask:
          AskForTasksBack();
          return;
      }
    }
  }
}

Farm::SendOutcome Farm::SendBatchTo(Worker& worker) {
  const auto now = MonoClock::now();
  std::size_t most = wire::kMaxBatch;
  if (config_.max_tasks_per_worker > 0) {
    most = std::min<uint64_t>(most, config_.max_tasks_per_worker - worker.sent);
  }
  wire::TaskBatch& batch = std::get<wire::TaskBatch>(outgoing_);
  batch.tasks.clear();
  bool any_ready = false;
  for (Lane lane : kLanes) {
    while (batch.tasks.size() < most) {
      const TaskRecord* next = ledger_.PeekReady(lane);
      if (next == nullptr) break;
      any_ready = true;
      if (!MayTake(worker, *next)) break;
      TaskRecord& record = ledger_.TakeReady(worker.id, now, lane);
      batch.tasks.push_back(
          wire::Task{record.id, record.spec.kind, record.attempt, record.spec.payload});
      if (worker.reserved > 0) --worker.reserved;
      if (record.suspect) {  // alone: MayTake refuses it anything more while it runs
        worker.running_alone = record.id;
        if (saved_for_suspect_ == worker.id) saved_for_suspect_ = 0;
      }
      record.estimate_ns = lane == Lane::kCpu ? credit_.Estimate(record.spec.kind) : 0;
      worker.held.push_back(record);
      ++worker.held_count[static_cast<std::size_t>(lane)];
      worker.held_ns += record.estimate_ns;
    }
  }
  if (batch.tasks.empty()) return any_ready ? SendOutcome::kWorkerFull : SendOutcome::kNoTask;
  if (!worker.link->Send(outgoing_)) {
    for (auto it = batch.tasks.rbegin(); it != batch.tasks.rend(); ++it) {
      ReleaseHeld(worker, *ledger_.Find(it->id));  // in flight: just taken
      ledger_.Untake(it->id);
    }
    worker.blocked = true;  // not connected yet, or its queue is full: wait for POLLOUT
    return SendOutcome::kWorkerFull;
  }
  for (const wire::Task& task : batch.tasks) {
    if (task.attempt > 1) summary_.RecordRetry(task.kind);
  }
  worker.sent += batch.tasks.size();
  if (!first_send_) first_send_ = now;
  return SendOutcome::kSent;
}

void Farm::AskForTasksBack() {
  const auto now = MonoClock::now();
  if (now < next_return_scan_) {
    return_wake_ = next_return_scan_;
    return;
  }
  next_return_scan_ = now + kReturnScanInterval;
  std::vector<ReturnTaker> takers;
  std::vector<ReturnGiver> givers;
  for (auto& [id, worker] : workers_) {
    if (worker.state != WorkerState::kReady || worker.return_asked || worker.awaiting_from != 0) {
      continue;
    }
    if (!Retiring(worker) && !worker.blocked && id != saved_for_suspect_ &&
        worker.running_alone == 0) {
      takers.push_back({id, worker.Held()});
    }
    if (worker.held.empty()) continue;
    if (now < worker.next_return_ask) {  // its pause ends: ask then
      return_wake_ = std::min(return_wake_, worker.next_return_ask);
      continue;
    }
    ReturnGiver giver{id, 0, false};
    for (const TaskRecord& record : worker.held) {
      if (record.state == TaskState::kStarted) {
        giver.running = true;
      } else if (record.lane == Lane::kCpu) {  // the network lane's are begun on arrival
        ++giver.unbegun;
      }
    }
    if (giver.unbegun > 0) givers.push_back(giver);
  }
  if (takers.empty() || givers.empty()) return;
  for (const ReturnRequest& request : PlanReturns(std::move(takers), std::move(givers))) {
    Worker& giver = workers_.at(request.giver);
    if (!giver.link->Send(wire::ReturnTasks{request.count})) continue;
    giver.return_asked = true;
    giver.asked_back = request.count;
    giver.return_for = request.taker;
    workers_.at(request.taker).awaiting_from = request.giver;
  }
}

void Farm::TakeBackReturned(Worker& giver, const wire::Report& report) {
  std::size_t given_back = 0;
  for (uint64_t task_id : report.returned) {
    TaskRecord* record = ledger_.Find(task_id);
    if (record == nullptr || record->worker != giver.id) continue;  // not its task any more
    ReleaseHeld(giver, *record);
    ledger_.Untake(task_id);  // first in line
    summary_.RecordReturned();
    ++given_back;
  }
  giver.sent -= given_back;  // not run there: --max-tasks-per-worker counts what a worker runs
  if (report.returns_answered == 0) return;
  giver.return_asked = false;
  if (report.returned.size() < giver.asked_back) {
    // It had begun some: their Started notes are on their way. Asking again at once would
    // ask for the same tasks.
    giver.next_return_ask = MonoClock::now() + kReturnAskPause;
  }
  auto taker = workers_.find(giver.return_for);
  if (taker == workers_.end() || taker->second.awaiting_from != giver.id) return;
  taker->second.awaiting_from = 0;
  if (given_back == 0 || taker->second.state != WorkerState::kReady || taker->second.blocked) {
    return;  // what came back waits, ready, for whoever takes it next
  }
  taker->second.reserved = given_back;
  SendBatchTo(taker->second);
  taker->second.reserved = 0;
}

bool Farm::MayTake(const Worker& worker, const TaskRecord& next) const {
  if (worker.running_alone != 0) return false;
  if (worker.reserved > 0 && !next.suspect) return true;  // given back for it
  if (next.suspect) return worker.held.empty();
  if (worker.id == saved_for_suspect_) return false;
  if (next.lane == Lane::kNetwork) {
    return worker.held_count[static_cast<std::size_t>(Lane::kNetwork)] < config_.network_credit;
  }
  return credit_.MayTake(worker.held_count[static_cast<std::size_t>(Lane::kCpu)], worker.held_ns,
                         next.spec.kind, worker.link->RoundTrip());
}

void Farm::PollOnce(std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items;
  items.push_back({sink_.handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({nullptr, signals_.fd(), ZMQ_POLLIN, 0});
  std::vector<Worker*> polled;  // whose item each of items[2...] is
  for (auto& [id, worker] : workers_) {
    polled.insert(polled.end(), worker.link->AddPollItems(items, worker.blocked), &worker);
  }
  const std::size_t first_host_item = items.size();
  if (hosts_) hosts_->AddPollItems(items);
  try {
    zmq::poll(items.data(), items.size(), timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    return;  // a signal: the pipe is read on the next turn
  }
  bool worker_exited = false;
  for (std::size_t i = 2; i < first_host_item; ++i) {
    if (items[i].revents & ZMQ_POLLOUT) polled[i - 2]->blocked = false;
    if (items[i].revents & ZMQ_POLLIN) worker_exited = true;
  }
  bool hosts_readable = false;
  for (std::size_t i = first_host_item; i < items.size(); ++i) {
    hosts_readable = hosts_readable || (items[i].revents & ZMQ_POLLIN) != 0;
  }
  if ((items[0].revents & ZMQ_POLLIN) || worker_exited) DrainSink();
  if (hosts_readable) hosts_->Drain();
  // After the sink is drained, so results a worker sent before it died still count.
  if (worker_exited) CollectExitedWorkers();
  if (items[1].revents & ZMQ_POLLIN) HandleSignals();
}

void Farm::DrainSink() {
  for (std::size_t n = 0; n < kMaxMessagesPerDrain; ++n) {
    Received received = ReceiveMessage(sink_, /*dont_wait=*/true);
    if (received.nothing) return;
    if (!received.message) {
      spdlog::warn("dropped a malformed message on the sink: {}", received.error);
      continue;
    }
    HandleMessage(*received.message);
  }
}

void Farm::HandleMessage(wire::Message& message) {
  if (auto* report = std::get_if<wire::Report>(&message)) {
    const auto now = MonoClock::now();
    for (uint64_t task_id : report->started) ledger_.MarkStarted(task_id, report->worker_id, now);
    if (report->rss_bytes > 0) {
      if (auto it = workers_.find(report->worker_id); it != workers_.end()) {
        it->second.rss_bytes = report->rss_bytes;
        it->second.cpu_ns = report->cpu_ns;
      }
    }
    for (wire::Result& result : report->results) HandleResult(result);
    if (!report->results.empty()) last_outcome_ = MonoClock::now();
    if (!report->returned.empty() || report->returns_answered > 0) {
      if (auto it = workers_.find(report->worker_id); it != workers_.end()) {
        TakeBackReturned(it->second, *report);
      }
    }
  } else if (auto* hello = std::get_if<wire::Hello>(&message)) {
    HandleHello(*hello);
  } else if (auto* bye = std::get_if<wire::Bye>(&message)) {
    spdlog::debug("worker {} said bye after {} tasks", bye->worker_id, bye->tasks_done);
  } else {
    spdlog::warn("dropped a message of a type workers do not send");
  }
}

void Farm::HandleHello(const wire::Hello& hello) {
  auto it = workers_.find(hello.worker_id);
  if (it == workers_.end() || !it->second.link->AcceptHello(hello.pid)) {
    spdlog::warn("ignored hello from unknown worker {} (pid {})", hello.worker_id, hello.pid);
    return;
  }
  if (it->second.state == WorkerState::kStarting) it->second.state = WorkerState::kReady;
  if (it->second.link->host() == 0) failed_starts_in_a_row_ = 0;
}

void Farm::HandleResult(wire::Result& result) {
  auto sender = workers_.find(result.worker_id);
  Worker* from = sender == workers_.end() ? nullptr : &sender->second;
  if (from != nullptr && from->running_alone == result.task_id) from->running_alone = 0;
  TaskRecord* record = ledger_.Find(result.task_id);
  if (record != nullptr) {
    // Its holder is the sender, unless the task was sent again elsewhere (a duplicate run).
    Worker* holder = from != nullptr && record->worker == from->id ? from : HolderOf(*record);
    if (holder != nullptr) {
      ReleaseHeld(*holder, *record);
      if (holder != from) RetireIfDone(*holder);
    }
  }
  if (from != nullptr) RetireIfDone(*from);
  if (record == nullptr) {
    ledger_.Finish(result.task_id);  // counts the duplicate
    return;
  }
  credit_.Observe(record->spec.kind, result.run_ns);
  if (!result.ok && result.error.retryable && record->attempt < config_.max_attempts &&
      !draining_) {
    ledger_.Requeue(result.task_id, /*crashed=*/false);
    return;
  }
  const uint32_t host = from == nullptr ? 0 : from->link->host();
  const Ledger::FinishedRecord finished = ledger_.Finish(result.task_id);
  summary_.RecordOutcome(*finished, result);
  if (hosts_) summary_.RecordTaskOnHost(hosts_->HostName(host));
  on_outcome_(*finished, result);
}

Farm::Worker* Farm::HolderOf(const TaskRecord& record) {
  auto it = workers_.find(record.worker);
  return it == workers_.end() ? nullptr : &it->second;
}

void Farm::ReleaseHeld(Worker& worker, TaskRecord& record) {
  if (worker.running_alone == record.id) worker.running_alone = 0;
  if (!record.held_link.is_linked()) return;
  worker.held_ns -= record.estimate_ns;
  --worker.held_count[static_cast<std::size_t>(record.lane)];
  record.held_link.unlink();
}

void Farm::CollectExitedWorkers() {
  std::vector<uint32_t> exited;
  for (auto& [id, worker] : workers_) {
    if (worker.link->HasExited()) exited.push_back(id);
  }
  for (uint32_t id : exited) {
    Worker& worker = workers_.at(id);
    if (worker.state == WorkerState::kStopping) {
      workers_.erase(id);
      continue;
    }
    LoseWorker(worker,
               worker.kill_reason.empty() ? worker.link->ExitDescription() : worker.kill_reason);
  }
}

void Farm::LoseWorker(Worker& worker, const std::string& why) {
  const uint32_t id = worker.id;
  const uint32_t host = worker.link->host();
  const bool never_started = worker.state == WorkerState::kStarting;
  summary_.RecordWorkerLost();
  spdlog::warn("worker {} (pid {}{}) {}{}; re-sending the {} tasks it held", id, worker.link->pid(),
               host == 0 ? "" : " on " + hosts_->HostName(host),
               never_started ? "failed to start: " : "died: ", why, worker.Held());
  const uint64_t running = PresumedRunningTask(worker);
  // A host lost (killed, cut off) takes its workers with it whatever they ran.
  const bool blameable = !worker.link->LostWithItsHost();
  // Taken out of its list first: a quarantined task's record leaves the ledger. Its counts
  // stay as they were (BlameNetworkTask reads them); the worker is gone after this.
  std::vector<TaskRecord*> held;
  for (TaskRecord& record : worker.held) held.push_back(&record);
  worker.held.clear();
  for (TaskRecord* record : held) {
    const uint64_t task_id = record->id;
    // The CPU lane runs one task at a time: the one running is to blame. Network tasks run
    // side by side: each becomes a suspect and runs alone from then on, and is blamed when
    // its worker dies while it does. (Not only those known to have started: a task that
    // kills its worker at once takes its Started note with it.)
    const bool suspect = blameable && record->lane == Lane::kNetwork;
    const bool crashed = blameable && (record->lane == Lane::kCpu
                                           ? record->state == TaskState::kStarted || task_id == running
                                           : BlameNetworkTask(worker, *record));
    if (crashed && record->crashes + 1 >= config_.max_attempts) {
      const ErrorCode code = worker.kill_reason.empty() ? ErrorCode::kQuarantined
                                                        : ErrorCode::kTimedOut;
      Quarantine(task_id, code,
                 "its worker died each of the " + std::to_string(record->crashes + 1) +
                     " times it ran (last: " + why + ")");
    } else {
      ledger_.Requeue(task_id, crashed, suspect);
    }
  }
  workers_.erase(id);
  for (auto& [other_id, other] : workers_) {
    if (other.awaiting_from == id) other.awaiting_from = 0;  // no answer will come
  }
  // Only local starts count: a host that vanishes costs its own workers, not the run.
  if (never_started && host == 0 && ++failed_starts_in_a_row_ >= kMaxFailedStartsInARow) {
    Fail("workers keep failing to start (last: " + why + ")");
    return;
  }
  ReplaceWorker(host);
}

bool Farm::BlameNetworkTask(const Worker& worker, const TaskRecord& record) const {
  // Alone, it is to blame even without its Started note (a worker killed at once by its
  // task takes the note with it).
  return worker.running_alone == record.id || worker.Held() == 1;
}

uint64_t Farm::PresumedRunningTask(const Worker& worker) const {
  // A worker that dies right after sending Started may take that message with it (ZeroMQ
  // sends from a background thread). It runs its tasks in the order they were sent, so the
  // oldest task it held is the one it was running.
  uint64_t oldest = 0;
  MonoClock::time_point oldest_sent = MonoClock::time_point::max();
  for (const TaskRecord& record : worker.held) {
    if (record.lane != Lane::kCpu) continue;
    if (record.state == TaskState::kStarted) return record.id;
    if (record.sent_at < oldest_sent) {
      oldest_sent = record.sent_at;
      oldest = record.id;
    }
  }
  return oldest;
}

void Farm::Quarantine(uint64_t task_id, ErrorCode code, const std::string& why) {
  std::optional<TaskRecord> record = ledger_.Abandon(task_id);
  if (!record) return;
  record->crashes += 1;
  wire::Result result;
  result.task_id = task_id;
  result.worker_id = record->worker;
  result.attempt = record->attempt;
  result.ok = false;
  result.error = {code, "quarantined: " + why, false};
  spdlog::warn("task {} ({}) {}", task_id, record->spec.kind, result.error.message);
  summary_.RecordOutcome(*record, result);
  on_outcome_(*record, result);
}

void Farm::CheckStartupTimeouts() {
  const auto now = MonoClock::now();
  for (auto& [id, worker] : workers_) {
    if (worker.state == WorkerState::kStarting &&
        now - worker.spawned_at > config_.startup_timeout) {
      worker.link->Signal(SIGKILL);  // its death is reported; then it is replaced
    }
  }
}

std::chrono::milliseconds Farm::TimeoutFor(const std::string& kind) const {
  auto it = config_.task_timeouts.find(kind);
  return it == config_.task_timeouts.end() ? config_.default_task_timeout : it->second;
}

void Farm::CheckTaskTimeouts() {
  const auto now = MonoClock::now();
  for (auto& [id, worker] : workers_) {
    if (!worker.kill_reason.empty()) continue;
    const TaskRecord* record = ledger_.Find(PresumedRunningTask(worker));
    if (record == nullptr || record->state != TaskState::kStarted) continue;
    const auto limit = TimeoutFor(record->spec.kind);
    if (limit.count() == 0 || now - record->started_at <= limit) continue;
    worker.kill_reason = fmt::format("killed: task {} ({}) ran past its timeout of {:g} s",
                                     record->id, record->spec.kind, static_cast<double>(limit.count()) / 1000.0);
    spdlog::warn("worker {} {}", id, worker.kill_reason);
    worker.link->Signal(SIGKILL);  // its death is reported; the task is retried
  }
}

void Farm::CheckWorkerMemory() {
  if (config_.max_worker_rss_bytes == 0) return;
  for (auto& [id, worker] : workers_) {
    if (worker.state != WorkerState::kReady || Retiring(worker)) continue;
    const std::optional<uint64_t> rss = worker.link->ResidentBytes();
    if (!rss || *rss <= config_.max_worker_rss_bytes) continue;
    spdlog::info("worker {} uses {} MB, over --max-worker-rss: replacing it between tasks", id,
                 *rss >> 20);
    worker.over_memory = true;
    RetireIfDone(worker);
  }
}

void Farm::ReplaceWorker(uint32_t host) {
  if (Ending()) return;
  if (host != 0) {
    hosts_->StartWorker(host);  // unless the host is gone too
    return;
  }
  try {
    StartLocalWorker();
  } catch (const std::exception& e) {
    Fail(e.what());
  }
}

bool Farm::Retiring(const Worker& worker) const {
  return worker.over_memory ||
         (config_.max_tasks_per_worker > 0 && worker.sent >= config_.max_tasks_per_worker);
}

void Farm::RetireIfDone(Worker& worker) {
  if (!Retiring(worker) || !worker.held.empty() || worker.state != WorkerState::kReady) return;
  if (!worker.link->Send(wire::Stop{"retired"})) worker.link->Signal(SIGTERM);
  worker.state = WorkerState::kStopping;
  summary_.RecordWorkerRetired();
  ReplaceWorker(worker.link->host());
}

void Farm::HandleSignals() {
  while (std::optional<int> signal_number = signals_.Take()) {
    if (exit_.interrupted_by == 0) {
      exit_.interrupted_by = *signal_number;
      draining_ = true;
      drain_deadline_ = MonoClock::now() + config_.grace;
      spdlog::warn("{}: finishing the {} tasks in flight (up to {} ms); signal again to stop now",
                   SignalText(*signal_number), ledger_.in_flight(), config_.grace.count());
    } else {
      stop_now_ = true;
    }
  }
}

void Farm::Halt(bool now, std::string_view why) {
  if (exit_.halted) return;
  exit_.halted = true;
  if (now) {
    spdlog::warn("{}: stopping now; {} tasks in flight are stopped", why, ledger_.in_flight());
    stop_now_ = true;
    return;
  }
  spdlog::warn("{}: sending no more tasks; waiting for the {} in flight", why,
               ledger_.in_flight());
  draining_ = true;
  drain_deadline_ = MonoClock::time_point::max();
}

void Farm::Fail(std::string why) {
  exit_.fatal_error = std::move(why);
  stop_now_ = true;
}

bool Farm::Done() {
  if (stop_now_) return true;
  if (draining_) return ledger_.in_flight() == 0 || MonoClock::now() >= drain_deadline_;
  if (workers_.empty() && !hosts_) return true;  // nothing can make progress
  return ledger_.Exhausted();
}

ProgressSnapshot Farm::Snapshot() const {
  ProgressSnapshot snapshot;
  snapshot.elapsed_s = std::chrono::duration<double>(MonoClock::now() - started_).count();
  std::map<std::string, KindProgress> kinds;
  for (const auto& [kind, total] : config_.kind_totals) kinds[kind].total = total;
  for (const auto& [kind, figures] : summary_.kinds()) {
    kinds[kind].done = figures.done + figures.failed;
    kinds[kind].failed = figures.failed;
    kinds[kind].retried = figures.retried;
    kinds[kind].failed_by_reason = figures.failed_by_reason;
    kinds[kind].skipped = figures.skipped;
  }
  for (const auto& [kind, count] : ledger_.InFlightByKind()) kinds[kind].in_flight = count;
  for (auto& [kind, progress] : kinds) {
    progress.kind = kind;
    snapshot.kinds.push_back(progress);
  }
  if (config_.bucket_figures) snapshot.buckets = config_.bucket_figures();
  for (const auto& [id, worker] : workers_) {
    WorkerProgress figures;
    figures.id = id;
    figures.pid = worker.link->pid();
    const uint32_t host = worker.link->host();
    figures.host = host == 0 || !hosts_ ? "local" : hosts_->HostName(host);
    figures.held = worker.Held();
    figures.sent = worker.sent;
    figures.rss_bytes = worker.rss_bytes;
    figures.cpu_s = static_cast<double>(worker.cpu_ns) / 1e9;
    for (const TaskRecord& record : worker.held) {
      if (record.state == TaskState::kStarted) {
        figures.running = record.spec.kind;
        break;
      }
    }
    snapshot.workers.push_back(std::move(figures));
  }
  return snapshot;
}

void Farm::PublishIfDue(bool finished) {
  if (!config_.publish) return;
  const auto now = MonoClock::now();
  if (!finished && now < next_publish_) return;
  next_publish_ = now + kPublishInterval;
  ProgressSnapshot snapshot = Snapshot();
  snapshot.finished = finished;
  config_.publish(snapshot);
}

std::chrono::milliseconds Farm::NextTimeout() const {
  using std::chrono::milliseconds;
  const auto now = MonoClock::now();
  // Rounded up: a poll that wakes just before a deadline would only poll again at once.
  const auto until = [now](MonoClock::time_point when) {
    return std::max(std::chrono::ceil<milliseconds>(when - now), milliseconds(0));
  };
  // The loop wakes for the first of: the drain's deadline, the next health check, a request
  // for tasks back that was put off, the next snapshot, the progress display.
  milliseconds timeout = draining_ ? DrainTimeout() : kIdlePollTimeout;
  timeout = std::min(timeout, until(next_health_check_));
  if (return_wake_ != MonoClock::time_point::max()) timeout = std::min(timeout, until(return_wake_));
  if (config_.publish) timeout = std::min(timeout, until(next_publish_));
  if (progress_) {  // written so that an off display's "never" cannot overflow
    timeout = std::min(timeout - milliseconds(1), progress_->TimeUntilDue(now)) + milliseconds(1);
  }
  return timeout;
}

std::chrono::milliseconds Farm::DrainTimeout() const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(drain_deadline_ - MonoClock::now());
  return std::clamp(left, std::chrono::milliseconds(0), kIdlePollTimeout);
}

void Farm::StopAllWorkers() {
  // Workers with nothing in flight are asked; the others (an interrupted or failed run) are
  // told with SIGTERM, since a Stop would wait behind the tasks queued before it.
  for (auto& [id, worker] : workers_) {
    const bool asked = worker.state == WorkerState::kReady && worker.held.empty() &&
                       worker.link->Send(wire::Stop{"run finished"});
    if (!asked) worker.link->Signal(SIGTERM);
    worker.state = WorkerState::kStopping;
  }
  // Hosts stop their own workers (Stop, then SIGKILL after their own grace) and leave.
  if (hosts_) {
    hosts_->ReleaseAll("run finished");
    std::erase_if(workers_, [](auto& entry) { return entry.second.link->host() != 0; });
  }
  // Byes, and results that still made it in an interrupted run.
  AwaitExits(
      workers_, [](Worker& worker) -> WorkerLink& { return *worker.link; }, sink_,
      [this] { DrainSink(); });
  for (const auto& [id, worker] : workers_) {
    spdlog::warn("worker {} (pid {}) did not stop within {} ms; killing it", id,
                 worker.link->pid(), kWorkerStopTimeout.count());
  }
  workers_.clear();  // kills (SIGKILL) and reaps any still running
}

}  // namespace taskfarm

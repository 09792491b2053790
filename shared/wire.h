#pragma once
// The wire format between the coordinator and its workers.
//
// Every ZeroMQ message is one msgpack array: [version, type, body], where body is the
// msgpack array of the struct named by type (its fields in the order MSGPACK_DEFINE lists,
// or, for TaskBatch and Report, the columns wire_columns.h describes).
//
//   coordinator -> worker (one PUSH socket per worker):  TaskBatch, ReturnTasks, Stop
//   worker -> coordinator (one shared sink PULL socket): Hello, Report, Bye
//
// Remote hosts (taskfarm host) talk to the coordinator over one DEALER -> ROUTER connection
// (TCP, CurveZMQ). Coordinator -> host frames are [worker id as 4 bytes, little-endian][message]:
// a worker id of 0 addresses the host agent itself (HostWelcome, HostRates, Heartbeat,
// StartWorker, KillWorker, Stop), any other is relayed unread to that worker. Host ->
// coordinator frames are one message: its workers' Hello/Report/Bye relayed unread, and the
// agent's own HostHello, Heartbeat, WorkerExited.
//
// Tasks travel in batches and a worker's Started notes and Results travel together in a
// Report, so a stream of tiny tasks costs a few messages per batch, not several per task.
// A worker sends its Report at once when it runs out of work, and otherwise within about a
// millisecond, so a Started note never waits behind a long task.
//
// TaskBatch and Report, which carry an entry per task, travel as columns (wire_columns.h);
// the other messages as the msgpack array of their fields.
//
// Version 2 (columns). A change that an older peer cannot read bumps kWireVersion; a peer drops
// messages of another version (and says so in its log) instead of misreading them.
//
// Decoding treats every message as untrusted: the unpacker's six size limits are set, the
// envelope and body shapes are checked, and a malformed message comes back as an error
// value, never as an exception or a crash.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <msgpack.hpp>

#include "shared/task_error.h"

namespace taskfarm::wire {

inline constexpr uint32_t kWireVersion = 2;

/// Upper bound of one message, also set as ZMQ_MAXMSGSIZE on receiving sockets.
inline constexpr int64_t kMaxMessageBytes = int64_t{64} << 20;

/// Most tasks in one TaskBatch and most results in one Report.
inline constexpr std::size_t kMaxBatch = 1024;

enum class MessageType : uint8_t {
  kTaskBatch = 1,
  kStop = 2,
  kHello = 3,
  kReport = 4,
  kBye = 5,
  kHostHello = 6,
  kHostWelcome = 7,
  kHostRates = 8,
  kHeartbeat = 9,
  kWorkerExited = 10,
  kStartWorker = 11,
  kKillWorker = 12,
  kReturnTasks = 13,
};

/// One unit of work. `payload` is opaque here; the handler for `kind` decodes it.
struct Task {
  uint64_t id = 0;
  std::string kind;
  uint32_t attempt = 1;  // 1 for the first try
  std::string payload;
  MSGPACK_DEFINE(id, kind, attempt, payload);
};

/// Tasks for one worker, to run in order.
struct TaskBatch {
  std::vector<Task> tasks;
};

/// Asks a worker to give back up to `count` of the tasks it holds and has not begun (the
/// last received first), so an idle worker can run them. The worker answers in its next
/// Report (Report::returned, Report::returns_answered), at once, even while a task runs.
struct ReturnTasks {
  uint32_t count = 0;
  MSGPACK_DEFINE(count);
};

/// Asks a worker to finish what it holds, say Bye and exit.
struct Stop {
  std::string reason;
  MSGPACK_DEFINE(reason);
};

/// A worker's first message: it is connected and ready for tasks.
struct Hello {
  uint32_t worker_id = 0;
  int32_t pid = 0;
  uint32_t wire_version = kWireVersion;
  MSGPACK_DEFINE(worker_id, pid, wire_version);
};

/// The outcome of one task attempt: a payload when ok, an error value otherwise.
struct Result {
  uint64_t task_id = 0;
  uint32_t worker_id = 0;
  uint32_t attempt = 1;
  bool ok = true;
  TaskError error;
  std::string payload;
  uint64_t run_ns = 0;  // wall time inside the handler
  uint64_t cpu_ns = 0;  // thread CPU time inside the handler
  MSGPACK_DEFINE(task_id, worker_id, attempt, ok, error, payload, run_ns, cpu_ns);
};

/// What a worker did since its last Report: the tasks it began (no longer only queued at
/// the worker), then the results it has.
struct Report {
  uint32_t worker_id = 0;
  std::vector<uint64_t> started;
  std::vector<Result> results;
  // The worker's own figures, at most every kVitalsInterval (0: not in this report): what
  // the dashboard shows for local and remote workers alike.
  uint64_t rss_bytes = 0;
  uint64_t cpu_ns = 0;  // its threads' and its reaped commands' CPU time
  // Tasks given back unbegun, and how many ReturnTasks requests this Report answers.
  std::vector<uint64_t> returned;
  uint32_t returns_answered = 0;
};

/// A worker's last message before it exits cleanly.
struct Bye {
  uint32_t worker_id = 0;
  uint64_t tasks_done = 0;
  MSGPACK_DEFINE(worker_id, tasks_done);
};

/// A host agent's first message: who it is and how many workers it will run.
struct HostHello {
  std::string name;  // hostname, for logs and the summary
  int32_t pid = 0;
  uint32_t workers = 0;
  uint32_t wire_version = kWireVersion;
  MSGPACK_DEFINE(name, pid, workers, wire_version);
};

/// One bucket's rate as a host should apply it: its share of the global rate.
struct BucketRate {
  std::string bucket;
  std::vector<double> per_second;  // one per window
  std::vector<double> burst;
  MSGPACK_DEFINE(bucket, per_second, burst);
};

/// The coordinator's answer to HostHello: the ids of the workers to start, their arguments,
/// this host's share of every rate limit and the heartbeat timing.
struct HostWelcome {
  uint32_t host_id = 0;
  std::vector<uint32_t> worker_ids;
  std::vector<std::string> worker_args;
  std::vector<BucketRate> rates;
  uint32_t heartbeat_ms = 1000;
  uint32_t timeout_ms = 10000;  // silence after which either side gives the other up
  MSGPACK_DEFINE(host_id, worker_ids, worker_args, rates, heartbeat_ms, timeout_ms);
};

/// A new division of the rate limits (a host joined or left).
struct HostRates {
  std::vector<BucketRate> rates;
  MSGPACK_DEFINE(rates);
};

/// "Still here", both ways, every heartbeat_ms. The coordinator's carry `echo_ns` (its clock
/// when sent), which the host sends straight back in a Heartbeat of its own: the coordinator
/// learns the round trip, which sizes the host's workers' credit. 0: no answer wanted.
struct Heartbeat {
  uint32_t host_id = 0;
  uint64_t echo_ns = 0;
  MSGPACK_DEFINE(host_id, echo_ns);
};

/// A host's worker process ended (crashed, killed or stopped).
struct WorkerExited {
  uint32_t worker_id = 0;
  std::string description;  // "killed by signal 9 (Killed)", "exit status 0"
  MSGPACK_DEFINE(worker_id, description);
};

/// Start a worker with this id (in place of one that exited).
struct StartWorker {
  uint32_t worker_id = 0;
  MSGPACK_DEFINE(worker_id);
};

/// Send `signal` to this worker (a task past its timeout, a worker that never said Hello).
struct KillWorker {
  uint32_t worker_id = 0;
  int32_t signal = 0;
  MSGPACK_DEFINE(worker_id, signal);
};

using Message = std::variant<TaskBatch, Stop, Hello, Report, Bye, HostHello, HostWelcome,
                             HostRates, Heartbeat, WorkerExited, StartWorker, KillWorker,
                             ReturnTasks>;

/// Encodes a message as [version, type, body] into `out` (cleared first).
void Encode(const Message& message, msgpack::sbuffer& out);

/// Either the decoded message or a reason why the bytes are not one.
struct Decoded {
  std::optional<Message> message;
  std::string error;
};

/// Decodes untrusted bytes. Never throws.
Decoded Decode(std::span<const char> bytes);

}  // namespace taskfarm::wire

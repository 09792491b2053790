#pragma once
// Outbox: everything a worker tells the coordinator, sent from one background thread that
// owns the sink socket. Started notes and results are gathered into Reports: one is sent
// when the worker asks (it ran out of work), when kMaxBatch results are waiting, within
// kMaxDelay of the oldest waiting result, and within kStartedNoteDelay of a lone Started
// note, so a note never waits behind a long task that the worker's main thread is busy
// with, while a task of a few milliseconds sends its note and its result in one Report
// (a message, and a wake-up of this thread, fewer per task).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "shared/clock.h"
#include "shared/wire.h"

namespace taskfarm {

/// Thread-safe: any thread may add entries. Destroying it sends what is waiting, then joins.
class Outbox {
 public:
  static constexpr std::chrono::microseconds kMaxDelay{1000};
  static constexpr std::chrono::milliseconds kStartedNoteDelay{20};
  /// A Report carries the worker's RSS and CPU time at most this often.
  static constexpr std::chrono::milliseconds kVitalsInterval{250};
  /// Results holding this many payload bytes go at once, so a Report stays far below
  /// wire::kMaxMessageBytes (a command's captured output, a document's text).
  static constexpr std::size_t kMaxPendingBytes = std::size_t{8} << 20;

  Outbox(zmq::context_t& context, std::string sink_endpoint, uint32_t worker_id);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void AddStarted(uint64_t task_id);
  /// Adds tasks begun since the last call, then results (moved from `results`).
  void AddResults(const std::vector<uint64_t>& started, std::vector<wire::Result>& results);
  /// Answers a ReturnTasks request: these tasks were given back unbegun. Sent at once.
  void AddReturned(const std::vector<uint64_t>& task_ids);
  /// Sends what is waiting now, without waiting for the delay.
  void Flush();
  /// Sends `message` after everything added before it.
  void SendControl(wire::Message message);

 private:
  void Run();
  bool HasPending() const;  // requires mutex_
  /// The next Report: what is pending, up to kMaxBatch results (the rest stay). Requires mutex_.
  wire::Report TakePending();
  /// Adds the worker's RSS and CPU time to `report` when kVitalsInterval has passed.
  void AddVitals(wire::Report& report);

  zmq::context_t& context_;
  const std::string sink_endpoint_;
  const uint32_t worker_id_;

  std::mutex mutex_;
  std::condition_variable wake_;
  wire::Report pending_;                      // guarded by mutex_
  std::vector<wire::Result> spare_results_;   // guarded by mutex_: a sent Report's, reused
  std::size_t pending_bytes_ = 0;             // guarded by mutex_: payloads in pending_
  MonoClock::time_point deadline_{};          // guarded by mutex_: when pending_ is due
  MonoClock::time_point next_vitals_{};       // the sending thread's: when to add RSS and CPU
  std::deque<wire::Message> controls_;        // guarded by mutex_
  bool flush_requested_ = false;              // guarded by mutex_
  bool closing_ = false;                      // guarded by mutex_
  std::thread sender_;
};

}  // namespace taskfarm

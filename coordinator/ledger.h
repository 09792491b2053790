#pragma once
// Ledger: the state of every task of the run that is not finished yet, and the one place
// that decides whether a result is a task's outcome (the first result wins).

#include <cstdint>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "coordinator/in_flight_index.h"
#include "coordinator/task_record.h"
#include "coordinator/task_source.h"
#include "shared/clock.h"
#include "shared/lanes.h"
#include "shared/wire.h"

namespace taskfarm {

/// Where a lane's tasks come from. Ids are the lane's base plus the position in its source,
/// so the same settings give the same ids (what --resume relies on).
struct LaneSource {
  TaskSource* source = nullptr;  // may be null: the lane has no tasks
  uint64_t first_id = 1;
};

/// The first id of the network lane's tasks (CPU tasks count from 1).
inline constexpr uint64_t kNetworkLaneFirstId = uint64_t{1} << 40;

/// Not thread-safe; the coordinator's loop owns it. Tasks are pulled from the sources only
/// when about to be sent, so memory holds the tasks in flight plus retries, not the run.
class Ledger {
 public:
  /// Gives a finished task's record back to the ledger for reuse.
  struct Recycler {
    Ledger* ledger;
    void operator()(TaskRecord* record) const { ledger->Recycle(record); }
  };
  /// The record of a task that has left the ledger, kept until the caller is done with it.
  using FinishedRecord = std::unique_ptr<TaskRecord, Recycler>;

  explicit Ledger(std::array<LaneSource, kLaneCount> sources);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  /// One source, CPU lane (tests).
  explicit Ledger(TaskSource& source) : Ledger({LaneSource{&source, 1}, LaneSource{}}) {}

  /// Tasks that already have a result (a resumed run): the sources still produce them, so
  /// ids stay the same, but they are skipped.
  void SkipFinished(const std::vector<uint64_t>& ids) { skip_.insert(ids.begin(), ids.end()); }
  uint64_t skipped() const { return skipped_; }

  /// The next task of `lane` to send (retries first), or nullptr when none is ready now.
  const TaskRecord* PeekReady(Lane lane = Lane::kCpu);
  /// Hands the peeked task of `lane` to `worker`; it is now in flight. Returns its record,
  /// whose contents stay the ledger's.
  TaskRecord& TakeReady(uint32_t worker, MonoClock::time_point now, Lane lane = Lane::kCpu);
  /// Undoes TakeReady of a task that could not be sent: ready again, first in line.
  void Untake(uint64_t id);

  /// Records that `worker` began the task; false when the task is not in flight there.
  bool MarkStarted(uint64_t id, uint32_t worker, MonoClock::time_point now);

  /// The task's record when this result is its outcome, and the task leaves the ledger;
  /// null for a result of a task already finished (a duplicate) or unknown.
  FinishedRecord Finish(uint64_t id);

  /// Puts an in-flight task back at the front of the ready queue; `crashed` counts the
  /// attempt against the task (its worker died running it); `suspect` marks it to run alone
  /// (TaskRecord::suspect; it stays marked). Returns the record, or nullopt when the task is
  /// no longer in flight.
  std::optional<TaskRecord> Requeue(uint64_t id, bool crashed, bool suspect = false);

  /// Finished with no result: the task leaves the ledger without being re-sent.
  std::optional<TaskRecord> Abandon(uint64_t id);

  const TaskRecord* Find(uint64_t id) const;
  TaskRecord* Find(uint64_t id);

  std::size_t in_flight() const { return in_flight_.size(); }
  /// Tasks in flight per kind (walks them all: for the progress display, not hot paths).
  std::map<std::string, uint64_t> InFlightByKind() const;
  /// True when nothing is left: the source is exhausted and no task is ready or in flight.
  bool Exhausted();
  uint64_t tasks_created() const;
  uint64_t duplicates_dropped() const { return duplicates_; }
  /// Tasks without an outcome: in flight, waiting, and (when the source knows its total)
  /// not produced yet.
  uint64_t Unfinished() const;

 private:
  struct LaneQueue {
    LaneSource source;
    bool exhausted = false;
    uint64_t produced = 0;
    std::deque<TaskRecord*> ready;
  };
  bool FillReady(LaneQueue& lane);
  LaneQueue& QueueOf(Lane lane) { return lanes_[static_cast<std::size_t>(lane)]; }
  /// A blank record: a spare one if there is one.
  TaskRecord* NewRecord();
  /// The record leaves the ledger: its contents are moved out and it is kept as a spare.
  TaskRecord Release(TaskRecord* record);
  /// Keeps a record that left the ledger as a spare (at most kMaxSpareRecords).
  void Recycle(TaskRecord* record);

  std::array<LaneQueue, kLaneCount> lanes_;
  uint64_t duplicates_ = 0;
  std::unordered_set<uint64_t> skip_;
  uint64_t skipped_ = 0;
  // A task's record is made once, when its source yields it, and stays where it is until
  // the task leaves the ledger: ready queues and the in-flight index hold pointers to it (the
  // ledger owns them), so it is not moved with its strings at every step. A finished task's
  // record is kept for the next (at most kMaxSpareRecords).
  static constexpr std::size_t kMaxSpareRecords = 4096;
  std::vector<TaskRecord*> spare_records_;
  InFlightIndex in_flight_;
};

}  // namespace taskfarm

#include "coordinator/ledger.h"

#include <algorithm>

namespace taskfarm {

Ledger::Ledger(std::array<LaneSource, kLaneCount> sources) {
  for (std::size_t i = 0; i < kLaneCount; ++i) {
    lanes_[i].source = sources[i];
    lanes_[i].exhausted = sources[i].source == nullptr;
  }
}

Ledger::~Ledger() {
  for (LaneQueue& lane : lanes_) {
    for (TaskRecord* record : lane.ready) delete record;
  }
  in_flight_.Clear([](TaskRecord* record) { delete record; });
  for (TaskRecord* record : spare_records_) delete record;
}

TaskRecord* Ledger::NewRecord() {
  if (spare_records_.empty()) return new TaskRecord();
  TaskRecord* record = spare_records_.back();
  spare_records_.pop_back();
  return record;
}

TaskRecord Ledger::Release(TaskRecord* record) {
  TaskRecord contents = std::move(*record);
  Recycle(record);
  return contents;
}

void Ledger::Recycle(TaskRecord* record) {
  if (spare_records_.size() >= kMaxSpareRecords) {
    delete record;
    return;
  }
  // What NewRecord's caller does not set; the strings are overwritten when it is reused.
  record->held_link.unlink();
  record->attempt = 0;
  record->crashes = 0;
  record->suspect = false;
  record->state = TaskState::kReady;
  record->worker = 0;
  record->sent_at = record->started_at = {};
  record->estimate_ns = 0;
  spare_records_.push_back(record);
}

bool Ledger::FillReady(LaneQueue& lane) {
  if (!lane.ready.empty()) return true;
  TaskRecord* record = nullptr;  // the source writes the task into it in place
  while (!lane.exhausted) {
    if (record == nullptr) record = NewRecord();
    if (!lane.source.source->NextInto(record->spec)) {
      lane.exhausted = true;
      break;
    }
    const uint64_t id = lane.source.first_id + lane.produced++;
    if (!skip_.empty() && skip_.contains(id)) {
      ++skipped_;
      continue;  // the record takes the next task
    }
    record->id = id;
    record->lane = static_cast<Lane>(&lane - lanes_.data());
    lane.ready.push_back(record);
    return true;
  }
  if (record != nullptr) Recycle(record);
  return false;
}

const TaskRecord* Ledger::PeekReady(Lane lane) {
  LaneQueue& queue = QueueOf(lane);
  return FillReady(queue) ? queue.ready.front() : nullptr;
}

TaskRecord& Ledger::TakeReady(uint32_t worker, MonoClock::time_point now, Lane lane) {
  LaneQueue& queue = QueueOf(lane);
  TaskRecord* record = queue.ready.front();
  queue.ready.pop_front();
  record->attempt += 1;
  record->state = TaskState::kSent;
  record->worker = worker;
  record->sent_at = now;
  in_flight_.Insert(*record);
  return *record;
}

uint64_t Ledger::tasks_created() const {
  uint64_t created = 0;
  for (const LaneQueue& lane : lanes_) created += lane.produced;
  return created;
}

void Ledger::Untake(uint64_t id) {
  TaskRecord* record = in_flight_.Find(id);
  if (record == nullptr) return;
  in_flight_.Erase(*record);
  record->attempt -= 1;
  record->state = TaskState::kReady;
  QueueOf(record->lane).ready.push_front(record);
}

bool Ledger::MarkStarted(uint64_t id, uint32_t worker, MonoClock::time_point now) {
  TaskRecord* record = in_flight_.Find(id);
  if (record == nullptr || record->worker != worker) return false;
  record->state = TaskState::kStarted;
  record->started_at = now;
  return true;
}

Ledger::FinishedRecord Ledger::Finish(uint64_t id) {
  TaskRecord* record = in_flight_.Find(id);
  if (record == nullptr) {
    ++duplicates_;
    return FinishedRecord(nullptr, Recycler{this});
  }
  in_flight_.Erase(*record);
  return FinishedRecord(record, Recycler{this});
}

std::optional<TaskRecord> Ledger::Requeue(uint64_t id, bool crashed, bool suspect) {
  TaskRecord* record = in_flight_.Find(id);
  if (record == nullptr) return std::nullopt;
  in_flight_.Erase(*record);
  if (crashed) record->crashes += 1;
  record->suspect = record->suspect || suspect;
  record->state = TaskState::kReady;
  QueueOf(record->lane).ready.push_front(record);
  return *record;
}

std::optional<TaskRecord> Ledger::Abandon(uint64_t id) {
  TaskRecord* record = in_flight_.Find(id);
  if (record == nullptr) return std::nullopt;
  in_flight_.Erase(*record);
  return Release(record);
}

const TaskRecord* Ledger::Find(uint64_t id) const { return in_flight_.Find(id); }

TaskRecord* Ledger::Find(uint64_t id) { return in_flight_.Find(id); }

uint64_t Ledger::Unfinished() const {
  uint64_t unfinished = in_flight_.size();
  std::size_t skips_seen = skipped_;
  for (const LaneQueue& lane : lanes_) {
    unfinished += lane.ready.size();
    if (lane.source.source == nullptr) continue;
    if (auto total = lane.source.source->Total(); total && *total > lane.produced) {
      unfinished += *total - lane.produced;
    }
  }
  // Ids not produced yet that a resumed run will skip are not unfinished.
  const uint64_t skips_ahead = skip_.size() > skips_seen ? skip_.size() - skips_seen : 0;
  return unfinished > skips_ahead ? unfinished - skips_ahead : 0;
}

std::map<std::string, uint64_t> Ledger::InFlightByKind() const {
  std::map<std::string, uint64_t> counts;
  in_flight_.ForEach([&counts](const TaskRecord& record) { ++counts[record.spec.kind]; });
  return counts;
}

bool Ledger::Exhausted() {
  if (!in_flight_.empty()) return false;
  for (LaneQueue& lane : lanes_) {
    if (FillReady(lane)) return false;
  }
  return true;
}

}  // namespace taskfarm

#include "coordinator/ledger.h"

#include <algorithm>

namespace taskfarm {

bool Ledger::FillReady() {
  if (!ready_.empty()) return true;
  if (source_exhausted_) return false;
  auto spec = source_.Next();
  while (spec && next_skip_ < skip_.size() && skip_[next_skip_] == next_id_) {
    ++next_skip_;
    ++next_id_;
    ++skipped_;
    spec = source_.Next();
  }
  if (!spec) {
    source_exhausted_ = true;
    return false;
  }
  TaskRecord record;
  record.id = next_id_++;
  record.spec = std::move(*spec);
  ready_.push_back(std::move(record));
  return true;
}

const TaskRecord* Ledger::PeekReady() { return FillReady() ? &ready_.front() : nullptr; }

wire::Task Ledger::TakeReady(uint32_t worker, MonoClock::time_point now) {
  TaskRecord record = std::move(ready_.front());
  ready_.pop_front();
  record.attempt += 1;
  record.state = TaskState::kSent;
  record.worker = worker;
  record.sent_at = now;
  wire::Task task{record.id, record.spec.kind, record.attempt, record.spec.payload};
  in_flight_.emplace(record.id, std::move(record));
  return task;
}

void Ledger::Untake(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  TaskRecord record = std::move(it->second);
  in_flight_.erase(it);
  record.attempt -= 1;
  record.state = TaskState::kReady;
  ready_.push_front(std::move(record));
}

bool Ledger::MarkStarted(uint64_t id, uint32_t worker, MonoClock::time_point now) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end() || it->second.worker != worker) return false;
  it->second.state = TaskState::kStarted;
  it->second.started_at = now;
  return true;
}

std::optional<TaskRecord> Ledger::Finish(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) {
    ++duplicates_;
    return std::nullopt;
  }
  TaskRecord record = std::move(it->second);
  in_flight_.erase(it);
  return record;
}

std::optional<TaskRecord> Ledger::Requeue(uint64_t id, bool crashed) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return std::nullopt;
  TaskRecord record = std::move(it->second);
  in_flight_.erase(it);
  if (crashed) record.crashes += 1;
  record.state = TaskState::kReady;
  ready_.push_front(record);
  return record;
}

std::optional<TaskRecord> Ledger::Abandon(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return std::nullopt;
  TaskRecord record = std::move(it->second);
  in_flight_.erase(it);
  return record;
}

const TaskRecord* Ledger::Find(uint64_t id) const {
  auto it = in_flight_.find(id);
  return it == in_flight_.end() ? nullptr : &it->second;
}

uint64_t Ledger::Unfinished() const {
  uint64_t unfinished = in_flight_.size() + ready_.size();
  if (auto total = source_.Total(); total && *total > tasks_created()) {
    // Ids not produced yet, less those a resumed run will skip.
    const uint64_t not_produced = *total - tasks_created();
    unfinished += not_produced - std::min<uint64_t>(not_produced, skip_.size() - next_skip_);
  }
  return unfinished;
}

std::map<std::string, uint64_t> Ledger::InFlightByKind() const {
  std::map<std::string, uint64_t> counts;
  for (const auto& [id, record] : in_flight_) ++counts[record.spec.kind];
  return counts;
}

bool Ledger::Exhausted() { return in_flight_.empty() && !FillReady(); }

}  // namespace taskfarm

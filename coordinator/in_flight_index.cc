#include "coordinator/in_flight_index.h"

namespace taskfarm {

InFlightIndex::InFlightIndex()
    : buckets_(kFirstBuckets), set_(Set::bucket_traits(buckets_.data(), buckets_.size())) {}

InFlightIndex::~InFlightIndex() { set_.clear(); }

void InFlightIndex::Insert(TaskRecord& record) {
  if (set_.size() >= buckets_.size()) {
    std::vector<Set::bucket_type> bigger(buckets_.size() * 2);
    set_.rehash(Set::bucket_traits(bigger.data(), bigger.size()));
    buckets_.swap(bigger);
  }
  set_.insert(record);
}

TaskRecord* InFlightIndex::Find(uint64_t id) {
  auto it = set_.find(id);
  return it == set_.end() ? nullptr : &*it;
}

const TaskRecord* InFlightIndex::Find(uint64_t id) const {
  auto it = set_.find(id);
  return it == set_.end() ? nullptr : &*it;
}

void InFlightIndex::Erase(TaskRecord& record) { set_.erase(set_.iterator_to(record)); }

}  // namespace taskfarm

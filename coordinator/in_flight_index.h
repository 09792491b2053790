#pragma once
// InFlightIndex: the ledger's tasks in flight, by id. A hash set threaded through the
// records themselves (Boost.Intrusive), so sending a task and finishing it allocate
// nothing; the bucket array doubles when the set outgrows it and is never shrunk (it is
// 8 bytes a bucket, at most one bucket per task ever in flight at once, rounded up to a
// power of two). Does not own the records.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <boost/intrusive/unordered_set.hpp>

#include "coordinator/task_record.h"

namespace taskfarm {

class InFlightIndex {
 public:
  InFlightIndex();
  ~InFlightIndex();
  InFlightIndex(const InFlightIndex&) = delete;
  InFlightIndex& operator=(const InFlightIndex&) = delete;

  /// `record` (not in the index) is in flight now.
  void Insert(TaskRecord& record);
  /// The record in flight with this id, or null.
  TaskRecord* Find(uint64_t id);
  const TaskRecord* Find(uint64_t id) const;
  /// `record`, which is in the index, is not in flight any more.
  void Erase(TaskRecord& record);
  std::size_t size() const { return set_.size(); }
  bool empty() const { return set_.empty(); }
  /// Calls `visit(const TaskRecord&)` for each record, in no particular order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const TaskRecord& record : set_) visit(record);
  }
  /// Empties the index, calling `dispose(TaskRecord*)` for each record it held.
  template <typename Dispose>
  void Clear(Dispose dispose) {
    set_.clear_and_dispose(dispose);
  }

 private:
  struct IdOf {
    using type = uint64_t;
    uint64_t operator()(const TaskRecord& record) const { return record.id; }
  };
  // Ids are consecutive: the low bits of an id spread them over the buckets evenly.
  using Set = boost::intrusive::unordered_set<
      TaskRecord,
      boost::intrusive::member_hook<TaskRecord, InFlightLink, &TaskRecord::in_flight_link>,
      boost::intrusive::key_of_value<IdOf>, boost::intrusive::power_2_buckets<true>>;
  static constexpr std::size_t kFirstBuckets = 1024;

  std::vector<Set::bucket_type> buckets_;  // declared before set_, which uses them
  Set set_;
};

}  // namespace taskfarm

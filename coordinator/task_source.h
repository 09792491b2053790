#pragma once
// TaskSource: where a run's tasks come from, produced lazily so a run of millions of tasks
// holds only those in flight.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace taskfarm {

/// Thrown for input that stops the run: a missing file, a CSV without the column.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A task before it has an id: what to run and with which payload.
struct TaskSpec {
  std::string kind;
  std::string payload;
  std::string job_id = {};  // a job file's "id", returned in the task's row; may be empty
};

class TaskSource {
 public:
  virtual ~TaskSource() = default;
  /// The next task, or nullopt when the source is exhausted.
  virtual std::optional<TaskSpec> Next() = 0;
  /// The next task written into `spec` (every field set; its strings' room reused), or false
  /// when the source is exhausted. The ledger's way: a record's spec is filled in place. By
  /// default, Next()'s task moved in.
  virtual bool NextInto(TaskSpec& spec);
  /// How many tasks the source yields in all, when known up front.
  virtual std::optional<uint64_t> Total() const = 0;

 protected:
  /// Next() of a source that overrides NextInto: its task, in a new spec.
  std::optional<TaskSpec> NextByNextInto();
};

/// `count` tasks of one kind; `payload_for(i)` gives the i-th payload (i from 0).
class CountedSource : public TaskSource {
 public:
  CountedSource(std::string kind, uint64_t count, std::function<std::string(uint64_t)> payload_for);
  std::optional<TaskSpec> Next() override;
  bool NextInto(TaskSpec& spec) override;
  std::optional<uint64_t> Total() const override { return count_; }

 private:
  std::string kind_;
  uint64_t count_;
  uint64_t produced_ = 0;
  std::function<std::string(uint64_t)> payload_for_;
};

/// Interleaves several sources one task at a time, so kinds run side by side.
class InterleavedSource : public TaskSource {
 public:
  explicit InterleavedSource(std::vector<std::unique_ptr<TaskSource>> sources);
  std::optional<TaskSpec> Next() override;
  bool NextInto(TaskSpec& spec) override;
  std::optional<uint64_t> Total() const override { return total_; }

 private:
  std::vector<std::unique_ptr<TaskSource>> sources_;
  std::optional<uint64_t> total_;  // taken at construction: exhausted sources are dropped
  std::size_t next_ = 0;
};

/// All of `first`, then all of `second`: the first part keeps ids that do not depend on the
/// second (a folder walk whose length changes between runs).
class ChainedSource : public TaskSource {
 public:
  ChainedSource(std::unique_ptr<TaskSource> first, std::unique_ptr<TaskSource> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  std::optional<TaskSpec> Next() override {
    if (auto spec = first_->Next()) return spec;
    return second_->Next();
  }
  bool NextInto(TaskSpec& spec) override {
    return first_->NextInto(spec) || second_->NextInto(spec);
  }
  std::optional<uint64_t> Total() const override {
    auto a = first_->Total();
    auto b = second_->Total();
    if (!a || !b) return std::nullopt;
    return *a + *b;
  }

 private:
  std::unique_ptr<TaskSource> first_;
  std::unique_ptr<TaskSource> second_;
};

}  // namespace taskfarm

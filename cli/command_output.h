#pragma once
// CommandOutput: prints what each exec task's command wrote, as GNU parallel does by default
// (--group): a task's stdout to our stdout and its stderr to our stderr, together, once the
// task is done; in completion order, or with --keep-order in input order (a finished task
// waits for the ones before it, so up to the whole run's captured output may be held).
// Output past the capture limit is not printed; a note on stderr says how much, and
// --results DIR keeps all of it. A failed command's reason follows its output on stderr.

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "journal/outcome_row.h"

namespace taskfarm {

/// Not thread-safe; fed by the coordinator's loop.
class CommandOutput {
 public:
  /// `already_done`: input numbers finished by an earlier run (--resume): not waited for.
  CommandOutput(bool keep_order, FILE* out, FILE* err, std::set<uint64_t> already_done = {});

  /// An exec task's outcome row (its `seq` orders it; 0, a job file's task, prints at once).
  void Add(const OutcomeRow& row);
  /// Prints whatever still waits, in order (an interrupted run's later tasks).
  void Finish();

 private:
  struct Held {
    std::string out, err;
    uint64_t out_bytes = 0, err_bytes = 0;
    std::string failure;  // "input 3 (b.log): exit status 1"; empty when it succeeded
  };
  void Print(uint64_t seq, const Held& held);
  void SkipDone();

  bool keep_order_;
  FILE* out_;
  FILE* err_;
  std::set<uint64_t> already_done_;
  uint64_t next_seq_ = 1;
  std::map<uint64_t, Held> held_;
};

}  // namespace taskfarm

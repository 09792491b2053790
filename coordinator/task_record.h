#pragma once
// TaskRecord: what the coordinator knows of one task of the run that is not finished yet.
// The ledger owns it; the links let the ledger's index of tasks in flight and the list of
// the tasks a worker holds refer to it without allocating.

#include <cstdint>

#include <boost/intrusive/list_hook.hpp>
#include <boost/intrusive/unordered_set_hook.hpp>

#include "coordinator/task_source.h"
#include "shared/clock.h"
#include "shared/lanes.h"

namespace taskfarm {

enum class TaskState : uint8_t { kReady, kSent, kStarted };

/// Links a task in flight into the list of the tasks its worker holds (Farm). It unlinks
/// itself when its record is destroyed; the farm unlinks it before the task leaves flight.
using HeldLink =
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// Links a task in flight into the ledger's index of them by id (InFlightIndex).
using InFlightLink = boost::intrusive::unordered_set_member_hook<>;

struct TaskRecord {
  uint64_t id = 0;
  Lane lane = Lane::kCpu;
  TaskSpec spec;
  uint32_t attempt = 0;  // times sent so far
  uint32_t crashes = 0;  // times its worker died (or was killed) while running it
  // A network-lane task its worker held beside others when it died: which of them killed
  // it is unknown, so it runs alone from then on (Farm::MayTake) until it finishes or its
  // worker dies again while it does (then it is to blame).
  bool suspect = false;
  TaskState state = TaskState::kReady;
  uint32_t worker = 0;
  MonoClock::time_point sent_at{};
  MonoClock::time_point started_at{};
  uint64_t estimate_ns = 0;  // CPU lane: the run time its worker's credit counts it for
  // Links are not copied: a copy of a record is in no list.
  HeldLink held_link;          // in its worker's list while in flight
  InFlightLink in_flight_link; // in the ledger's index while in flight
};

}  // namespace taskfarm

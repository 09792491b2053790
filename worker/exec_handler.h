#pragma once
// The `exec` kind: one external command per input, as GNU parallel runs them (see
// shared/exec_messages.h for the payloads, worker/child_command.h for how it is run).

#include <cstdint>
#include <string>
#include <vector>

#include "shared/exec_messages.h"
#include "shared/rate_limiter.h"
#include "shared/wire.h"
#include "worker/child_command.h"
#include "worker/group_reaper.h"

namespace taskfarm {

/// The argument vector `request` runs, its replacement strings expanded for `slot`.
std::vector<std::string> ExecArgv(const ExecRequest& request, uint64_t slot);

/// Runs the task's command (again after a failure, up to its retries), first taking a token
/// from its bucket when it names one. Returns the ExecOutcome payload; a command that fails
/// throws TaskFailure carrying the same payload, so its output is kept.
std::string RunExec(const wire::Task& task, RateLimiter* limiter, uint32_t slot,
                    CommandServices services);

}  // namespace taskfarm

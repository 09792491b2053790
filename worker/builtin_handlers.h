#pragma once
// Handlers of the built-in kinds (see shared/builtin_payloads.h for what each does).

#include <cstdint>
#include <string>

#include "shared/rate_limiter.h"
#include "shared/wire.h"

namespace taskfarm {

std::string RunNoop(const wire::Task& task);
std::string RunBurn(const wire::Task& task);
std::string RunSleep(const wire::Task& task);
std::string RunFault(const wire::Task& task);
/// Fails at once with its payload as the message: an input line that cannot be a task.
std::string RunReject(const wire::Task& task);
/// Takes one token from the bucket its payload names (blocking) and returns the grant time.
std::string RunTick(const wire::Task& task, RateLimiter* limiter);

/// Spends about `micros` of this thread's CPU time in a loop the compiler cannot remove;
/// returns a checksum of the work. CPU time, not wall time, so a task's work is the same
/// whatever else the machine is doing.
uint64_t BurnCpu(uint64_t micros);

}  // namespace taskfarm

#pragma once
// Names that carry their creator's PID ("taskfarm-<pid>-<suffix>"), so that what a killed
// coordinator left behind (run directories, shared-memory segments) can be found and removed.

#include <sys/types.h>

#include <string>
#include <string_view>

namespace taskfarm {

inline constexpr std::string_view kOwnedNamePrefix = "taskfarm-";

/// "taskfarm-<pid>-" for this process.
std::string OwnedNamePrefix();

/// The PID in "taskfarm-<pid>-...", or 0 when `name` is not such a name.
pid_t OwnerPidOf(std::string_view name);

/// True when `pid` names a live process (ours or someone else's).
bool ProcessExists(pid_t pid);

/// "<pid>:<start time>" of this process: unlike a PID alone, never names another process
/// that reuses the PID later.
std::string ProcessIdentity();

/// True when the process `identity` (from ProcessIdentity, on this host) still runs.
bool IdentityAlive(std::string_view identity);

/// True when `name` is one of ours and its owner is gone.
inline bool IsStale(std::string_view name) {
  const pid_t owner = OwnerPidOf(name);
  return owner != 0 && !ProcessExists(owner);
}

}  // namespace taskfarm

#include "shared/owner_pid.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace taskfarm {

std::string OwnedNamePrefix() {
  return std::string(kOwnedNamePrefix) + std::to_string(getpid()) + "-";
}

pid_t OwnerPidOf(std::string_view name) {
  if (name.substr(0, kOwnedNamePrefix.size()) != kOwnedNamePrefix) return 0;
  const std::string_view rest = name.substr(kOwnedNamePrefix.size());
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 9) return 0;
  pid_t pid = 0;
  for (char c : rest.substr(0, dash)) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

bool ProcessExists(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace taskfarm

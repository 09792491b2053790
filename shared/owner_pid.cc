#include "shared/owner_pid.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

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

namespace {

// Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot ("" when
// there is no such process). The command name (field 2) may hold spaces: read after its ')'.
std::string StartTime(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return {};
}

}  // namespace

std::string ProcessIdentity() {
  const pid_t pid = getpid();
  return std::to_string(pid) + ":" + StartTime(pid);
}

bool IdentityAlive(std::string_view identity) {
  const auto colon = identity.find(':');
  if (colon == std::string_view::npos) return false;
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(identity.data(), identity.data() + colon, pid);
  if (error != std::errc() || end != identity.data() + colon || pid <= 0) return false;
  const std::string started = StartTime(pid);
  return !started.empty() && started == identity.substr(colon + 1);
}

}  // namespace taskfarm

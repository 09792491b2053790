#include "coordinator/run_directory.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace taskfarm {
namespace {

constexpr std::string_view kPrefix = "taskfarm-";

// "taskfarm-<pid>-XXXXXX" -> pid, or 0 when the name is not one of ours.
pid_t OwnerPid(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0) return 0;
  const std::string rest = name.substr(kPrefix.size());
  const auto dash = rest.find('-');
  if (dash == std::string::npos || dash == 0) return 0;
  pid_t pid = 0;
  for (char c : rest.substr(0, dash)) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

}  // namespace

bool ProcessExists(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

std::filesystem::path RunDirectoryParent() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && *tmp != '\0') ? std::filesystem::path(tmp) : "/tmp";
}

int RemoveStaleRunDirectories(const std::filesystem::path& parent) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const pid_t owner = OwnerPid(entry.path().filename().string());
    if (owner == 0 || ProcessExists(owner) || !entry.is_directory(ec)) continue;
    if (std::filesystem::remove_all(entry.path(), ec) > 0) ++removed;
  }
  return removed;
}

RunDirectory::RunDirectory() {
  const auto parent = RunDirectoryParent();
  RemoveStaleRunDirectories(parent);
  std::string pattern =
      (parent / (std::string(kPrefix) + std::to_string(getpid()) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {  // mkdtemp creates it with mode 0700
    throw std::runtime_error("cannot create a run directory in " + parent.string() + ": " +
                             std::strerror(errno));
  }
  path_ = pattern;
}

RunDirectory::~RunDirectory() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RunDirectory::IpcEndpoint(const std::string& name) const {
  return "ipc://" + (path_ / name).string();
}

}  // namespace taskfarm

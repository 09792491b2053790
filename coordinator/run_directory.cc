#include "coordinator/run_directory.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "shared/owner_pid.h"
#include "shared/system_text.h"

namespace taskfarm {

std::filesystem::path RunDirectoryParent() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && *tmp != '\0') ? std::filesystem::path(tmp) : "/tmp";
}

int RemoveStaleRunDirectories(const std::filesystem::path& parent) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    if (!IsStale(entry.path().filename().string()) || !entry.is_directory(ec)) continue;
    if (std::filesystem::remove_all(entry.path(), ec) > 0) ++removed;
  }
  return removed;
}

RunDirectory::RunDirectory() {
  const auto parent = RunDirectoryParent();
  RemoveStaleRunDirectories(parent);
  std::string pattern =
      (parent / (OwnedNamePrefix() + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {  // mkdtemp creates it with mode 0700
    throw std::runtime_error("cannot create a run directory in " + parent.string() + ": " +
                             ErrnoText(errno));
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

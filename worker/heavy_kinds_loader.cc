#include "worker/heavy_kinds_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <stdexcept>
#include <vector>
#include <system_error>

#include <fmt/format.h>

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

// Beside the executable (a build tree), else where an install puts it relative to the
// executable's folder.
std::vector<fs::path> Candidates() {
  std::error_code ec;
  const fs::path bin = fs::read_symlink("/proc/self/exe", ec).parent_path();
  return {bin / kHeavyKindsModule,
          (bin / TASKFARM_KINDS_MODULE_FROM_BIN / kHeavyKindsModule).lexically_normal()};
}

}  // namespace

std::unique_ptr<HeavyKinds> LoadHeavyKindsModule(const HeavyKindsSetup& setup) {
  const std::vector<fs::path> candidates = Candidates();
  std::error_code ec;
  const auto found = std::find_if(candidates.begin(), candidates.end(),
                                  [&ec](const fs::path& path) { return fs::exists(path, ec); });
  if (found == candidates.end()) {
    throw std::runtime_error(fmt::format(
        "cannot load the index and geocode kinds' module: no {} in {} or {}", kHeavyKindsModule,
        candidates[0].parent_path().string(), candidates[1].parent_path().string()));
  }
  const fs::path& module = *found;
  // RTLD_LOCAL: its libraries (curl, ICU, ...) serve it alone; RTLD_NOW: a missing symbol
  // is found here, not in the middle of a task.
  void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw std::runtime_error(fmt::format("cannot load the index and geocode kinds' module: {}",
                                         dlerror()));
  }
  const auto make = reinterpret_cast<MakeHeavyKinds>(dlsym(handle, kHeavyKindsEntry));
  if (make == nullptr) {
    throw std::runtime_error(fmt::format("{} has no {}: a module from another build?",
                                         module.string(), kHeavyKindsEntry));
  }
  return std::unique_ptr<HeavyKinds>(make(setup));
}

}  // namespace taskfarm

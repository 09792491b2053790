#pragma once
// HandlerTable: the worker's side of the kind registry (shared/kinds.h). Each kind is bound
// to the code that runs it and to its lane: CPU kinds run on the worker's main thread, one
// at a time; network-lane kinds run many at once, either in the HTTP lane (geocode, driven
// by curl) or, for any other kind, on the I/O lane's threads.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "shared/kinds.h"
#include "shared/rate_limiter.h"
#include "shared/task_error.h"
#include "shared/wire.h"
#include "worker/child_command.h"
#include "worker/group_reaper.h"
#include "worker/heavy_kinds.h"

namespace taskfarm {

/// A handler runs one task and returns the result payload, or throws (TaskFailure for a
/// specific error value).
using Handler = std::function<std::string(const wire::Task&)>;

struct KindBinding {
  Lane lane = Lane::kCpu;
  Handler handler;  // null: the HTTP lane serves the kind (geocode)
};

/// Immutable after set-up; safe to read from several threads.
class HandlerTable {
 public:
  void Register(std::string kind, Lane lane, Handler handler);
  /// The binding for `kind`, or nullptr.
  const KindBinding* Find(const std::string& kind) const;

 private:
  std::map<std::string, KindBinding, std::less<>> kinds_;
};

/// What handlers may use besides their task; owned by the worker's main().
struct WorkerResources {
  std::unique_ptr<RateLimiter> rate_limiter;  // null when the run has no --rate
  std::filesystem::path gazetteer_dir;       // --gazetteer; empty: the default
  uint32_t worker_id = 0;                    // {%} of exec tasks
  Lane exec_lane = Lane::kCpu;               // --exec-lane
  ProgramPaths programs;                     // where exec's programs are on $PATH
  /// The heavy kinds linked into this program; null: loaded from their module.
  MakeHeavyKinds linked_heavy_kinds = nullptr;

  /// The reaper of this worker's commands, started on first use (thread-safe).
  GroupReaper& command_reaper();
  /// The index and geocode kinds, made (or loaded from their module) on first use
  /// (thread-safe). Throws TaskFailure saying why when they cannot be had.
  HeavyKinds& heavy_kinds();

 private:
  std::once_flag reaper_once_;
  std::unique_ptr<GroupReaper> reaper_;
  std::once_flag heavy_once_;
  std::unique_ptr<HeavyKinds> heavy_;
  std::string heavy_error_;
};

/// The table of every built-in kind. `resources` must outlive it.
HandlerTable MakeHandlerTable(WorkerResources& resources);

}  // namespace taskfarm

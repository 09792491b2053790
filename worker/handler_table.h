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

#include "shared/gazetteer.h"
#include "shared/kinds.h"
#include "shared/rate_limiter.h"
#include "shared/task_error.h"
#include "shared/wire.h"
#include "worker/child_command.h"
#include "worker/group_reaper.h"
#include "worker/mime_sniffer.h"

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
  std::filesystem::path gazetteer_dir;       // where the offline provider's data is
  std::filesystem::path aliases_file;
  uint32_t worker_id = 0;                    // {%} of exec tasks
  Lane exec_lane = Lane::kCpu;               // --exec-lane

  /// The offline gazetteer, loaded on first use (thread-safe); null when it cannot be.
  const Gazetteer* gazetteer();
  /// The reaper of this worker's commands, started on first use (thread-safe).
  GroupReaper& command_reaper();
  /// libmagic, loaded at the first file that needs it (thread-safe); null when it cannot be.
  MimeSniffer* mime_sniffer();
  ProgramPaths programs;  // where exec's programs are on $PATH

 private:
  std::once_flag gazetteer_once_;
  std::unique_ptr<Gazetteer> gazetteer_;
  std::once_flag reaper_once_;
  std::unique_ptr<GroupReaper> reaper_;
  std::once_flag mime_once_;
  std::unique_ptr<MimeSniffer> mime_sniffer_;
};

/// The table of every built-in kind. `resources` must outlive it.
HandlerTable MakeHandlerTable(WorkerResources& resources);

}  // namespace taskfarm

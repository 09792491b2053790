#include "worker/handler_table.h"

#include <spdlog/spdlog.h>

#include "worker/builtin_handlers.h"
#include "worker/exec_handler.h"
#include "worker/heavy_kinds_loader.h"

namespace taskfarm {

void HandlerTable::Register(std::string kind, Lane lane, Handler handler) {
  kinds_[std::move(kind)] = KindBinding{lane, std::move(handler)};
}

const KindBinding* HandlerTable::Find(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

GroupReaper& WorkerResources::command_reaper() {
  std::call_once(reaper_once_, [this] { reaper_ = std::make_unique<GroupReaper>(); });
  return *reaper_;
}

HeavyKinds& WorkerResources::heavy_kinds() {
  std::call_once(heavy_once_, [this] {
    const HeavyKindsSetup setup{gazetteer_dir, {&command_reaper(), &programs}};
    try {
      heavy_.reset(linked_heavy_kinds != nullptr ? linked_heavy_kinds(setup)
                                                 : LoadHeavyKindsModule(setup).release());
    } catch (const std::exception& e) {
      heavy_error_ = e.what();
      spdlog::error("{}", heavy_error_);
    }
  });
  if (!heavy_) throw TaskFailure({ErrorCode::kHandlerFailed, heavy_error_, false});
  return *heavy_;
}

HandlerTable MakeHandlerTable(WorkerResources& resources) {
  // Each built-in kind's handler; its lane comes from BuiltinKinds(), where kinds are declared.
  const std::map<std::string_view, Handler> handlers = {
      {kinds::kNoop, RunNoop},
      {kinds::kBurn, RunBurn},
      {kinds::kSleep, RunSleep},
      {kinds::kFault, RunFault},
      {kinds::kReject, RunReject},
      {kinds::kIndex,
       [&resources](const wire::Task& task) { return resources.heavy_kinds().RunIndex(task); }},
      {kinds::kTick,
       [&resources](const wire::Task& task) { return RunTick(task, resources.rate_limiter.get()); }},
      {kinds::kExec,
       [&resources](const wire::Task& task) {
         return RunExec(task, resources.rate_limiter.get(), resources.worker_id,
                        {&resources.command_reaper(), &resources.programs});
       }},
      {kinds::kGeocode, nullptr},  // the HTTP lane
  };
  HandlerTable table;
  for (const KindInfo& kind : BuiltinKinds()) {
    const Lane lane = kind.name == kinds::kExec ? resources.exec_lane : kind.lane;
    table.Register(kind.name, lane, handlers.at(kind.name));
  }
  return table;
}

}  // namespace taskfarm

#include "worker/handler_table.h"

#include <spdlog/spdlog.h>

#include "worker/builtin_handlers.h"
#include "worker/index_handler.h"

namespace taskfarm {

void HandlerTable::Register(std::string kind, Handler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

const Handler* HandlerTable::Find(const std::string& kind) const {
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : &it->second;
}

const Gazetteer* WorkerResources::gazetteer() {
  std::call_once(gazetteer_once_, [this] {
    try {
      gazetteer_ = Gazetteer::Load(gazetteer_dir, aliases_file);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
    }
  });
  return gazetteer_.get();
}

HandlerTable MakeHandlerTable(WorkerResources& resources) {
  HandlerTable table;
  table.Register("tick", [&resources](const wire::Task& task) {
    return RunTick(task, resources.rate_limiter.get());
  });
  table.Register("noop", RunNoop);
  table.Register("burn", RunBurn);
  table.Register("sleep", RunSleep);
  table.Register("fault", RunFault);
  table.Register("reject", RunReject);
  table.Register("index", RunIndex);
  return table;
}

}  // namespace taskfarm

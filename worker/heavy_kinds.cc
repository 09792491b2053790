#include "worker/heavy_kinds.h"

#include <curl/curl.h>

#include <mutex>

#include <spdlog/spdlog.h>

#include "shared/gazetteer.h"
#include "worker/index_handler.h"
#include "worker/mime_sniffer.h"
#include "worker/network_lane.h"

namespace taskfarm {
namespace {

class BuiltinHeavyKinds final : public HeavyKinds {
 public:
  explicit BuiltinHeavyKinds(HeavyKindsSetup setup) : setup_(std::move(setup)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread of the HTTP lane
  }

  std::string RunIndex(const wire::Task& task) override {
    return taskfarm::RunIndex(task, setup_.commands, [this] { return mime_sniffer(); });
  }

  std::unique_ptr<TaskLane> StartHttpLane(const NetworkLaneConfig& config, uint32_t worker_id,
                                          RateLimiter* limiter, Outbox& outbox) override {
    return std::make_unique<NetworkLane>(config, worker_id, limiter, outbox,
                                         [this] { return gazetteer(); });
  }

 private:
  // The offline gazetteer, loaded on first use (thread-safe); null when it cannot be.
  const Gazetteer* gazetteer() {
    std::call_once(gazetteer_once_, [this] {
      try {
        std::error_code ec;
        const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
        gazetteer_ = Gazetteer::Load(setup_.gazetteer_dir.empty() ? Gazetteer::DefaultDataDir(self)
                                                                  : setup_.gazetteer_dir,
                                     Gazetteer::DefaultAliasesFile(self));
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
      }
    });
    return gazetteer_.get();
  }

  // libmagic, loaded at the first file that needs it (thread-safe); null when it cannot be.
  MimeSniffer* mime_sniffer() {
    std::call_once(mime_once_, [this] {
      try {
        mime_sniffer_ = std::make_unique<MimeSniffer>();
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
      }
    });
    return mime_sniffer_.get();
  }

  const HeavyKindsSetup setup_;
  std::once_flag gazetteer_once_;
  std::unique_ptr<Gazetteer> gazetteer_;
  std::once_flag mime_once_;
  std::unique_ptr<MimeSniffer> mime_sniffer_;
};

}  // namespace

HeavyKinds* MakeLinkedHeavyKinds(const HeavyKindsSetup& setup) {
  return new BuiltinHeavyKinds(setup);
}

}  // namespace taskfarm

#include "shared/kinds.h"

#include <algorithm>

namespace taskfarm {

const std::vector<KindInfo>& BuiltinKinds() {
  // tick only waits for a token: on the CPU lane that wait would hold a CPU slot and pace the
  // CPU kinds beside it to the rate limit.
  static const std::vector<KindInfo> kBuiltin = {
      {std::string(kinds::kNoop), Lane::kCpu},     {std::string(kinds::kBurn), Lane::kCpu},
      {std::string(kinds::kSleep), Lane::kCpu},    {std::string(kinds::kFault), Lane::kCpu},
      {std::string(kinds::kTick), Lane::kNetwork}, {std::string(kinds::kReject), Lane::kCpu},
      {std::string(kinds::kIndex), Lane::kCpu},    {std::string(kinds::kGeocode), Lane::kNetwork},
      {std::string(kinds::kExec), Lane::kCpu},
  };
  return kBuiltin;
}

bool IsBuiltinKind(std::string_view name) {
  const auto& builtin = BuiltinKinds();
  return std::any_of(builtin.begin(), builtin.end(),
                     [&](const KindInfo& kind) { return kind.name == name; });
}

bool IsValidKindName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

KindCatalog::KindCatalog() {
  for (const KindInfo& kind : BuiltinKinds()) lanes_[kind.name] = kind.lane;
}

void KindCatalog::Set(const std::string& name, Lane lane) { lanes_[name] = lane; }

std::optional<Lane> KindCatalog::LaneOf(std::string_view name) const {
  auto it = lanes_.find(name);
  if (it == lanes_.end()) return std::nullopt;
  return it->second;
}

std::vector<KindInfo> KindCatalog::UserKinds() const {
  std::vector<KindInfo> kinds;
  for (const auto& [name, lane] : lanes_) {
    if (!IsBuiltinKind(name)) kinds.push_back({name, lane});
  }
  return kinds;
}

std::string_view LaneName(Lane lane) { return lane == Lane::kCpu ? "cpu" : "io"; }

std::optional<Lane> ParseLaneName(std::string_view name) {
  if (name == "cpu") return Lane::kCpu;
  if (name == "io" || name == "network") return Lane::kNetwork;
  return std::nullopt;
}

}  // namespace taskfarm

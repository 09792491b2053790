#pragma once
// The task kinds a run knows: each kind's name and lane, declared once. Built-in kinds are
// listed in BuiltinKinds(); a program built on the library adds its own (taskfarm::App), and
// `--exec-lane io` moves `exec` to the network lane. The coordinator reads a kind's lane
// here to queue its tasks; the worker's HandlerTable binds the same names to handlers.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/lanes.h"

namespace taskfarm {

namespace kinds {
inline constexpr std::string_view kNoop = "noop";
inline constexpr std::string_view kBurn = "burn";
inline constexpr std::string_view kSleep = "sleep";
inline constexpr std::string_view kFault = "fault";
inline constexpr std::string_view kTick = "tick";
inline constexpr std::string_view kReject = "reject";  // an input that cannot be a task
inline constexpr std::string_view kIndex = "index";
inline constexpr std::string_view kGeocode = "geocode";
inline constexpr std::string_view kExec = "exec";
}  // namespace kinds

struct KindInfo {
  std::string name;
  Lane lane = Lane::kCpu;
};

/// Every kind built into taskfarm, with its default lane.
const std::vector<KindInfo>& BuiltinKinds();

bool IsBuiltinKind(std::string_view name);

/// A kind name a user may give: letters, digits, '_' and '-', 1 to 64 characters.
bool IsValidKindName(std::string_view name);

/// Name -> lane for one run. Immutable once the run starts; safe to read from any thread.
class KindCatalog {
 public:
  /// The built-in kinds.
  KindCatalog();
  /// Adds a kind or changes the lane of one already there.
  void Set(const std::string& name, Lane lane);
  std::optional<Lane> LaneOf(std::string_view name) const;
  bool Has(std::string_view name) const { return LaneOf(name).has_value(); }
  /// The kinds that are not built in, in name order.
  std::vector<KindInfo> UserKinds() const;

 private:
  std::map<std::string, Lane, std::less<>> lanes_;
};

/// "cpu" or "io" (the names --exec-lane and `App::AddKind` use).
std::string_view LaneName(Lane lane);
std::optional<Lane> ParseLaneName(std::string_view name);

}  // namespace taskfarm

#pragma once
// HeavyKinds: the built-in kinds whose code needs large libraries: index (libarchive,
// libmagic, libxml2, libzip, ICU's charset detector) and geocode (libcurl, ICU, the offline
// gazetteer). taskfarm-worker keeps them in a module of their own, libtaskfarm-kinds.so,
// loaded when the first task of one of them arrives (heavy_kinds_loader.h), so an idle
// worker, or one running other kinds, maps none of those libraries: its memory is what
// ZeroMQ and the C++ runtime take. Programs on libtaskfarm.so and the tests have them
// linked in (MakeLinkedHeavyKinds).
//
// The module is built from this tree with the worker, so the two share every type; the
// worker exports its own symbols (ENABLE_EXPORTS), which the module's references bind to,
// so state such as the CPU time of a thread's child commands is the worker's one copy.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "shared/rate_limiter.h"
#include "shared/wire.h"
#include "worker/child_command.h"
#include "worker/network_lane_config.h"

namespace taskfarm {

class Outbox;

/// A lane that takes tasks and puts their results in the outbox itself. Destroying it
/// finishes every task it was given.
class TaskLane {
 public:
  virtual ~TaskLane() = default;
  virtual void Submit(wire::Task task) = 0;
};

/// What the heavy kinds are given when they are loaded.
struct HeavyKindsSetup {
  std::filesystem::path gazetteer_dir;  // the offline provider's data; empty: the default
  CommandServices commands;  // converters run as the worker's commands do
};

class HeavyKinds {
 public:
  virtual ~HeavyKinds() = default;
  /// Runs an index task (CPU lane); throws TaskFailure as handlers do.
  virtual std::string RunIndex(const wire::Task& task) = 0;
  /// Starts the HTTP lane that serves geocode tasks. `limiter` may be null (no --rate).
  virtual std::unique_ptr<TaskLane> StartHttpLane(const NetworkLaneConfig& config,
                                                  uint32_t worker_id, RateLimiter* limiter,
                                                  Outbox& outbox) = 0;
};

/// Makes the heavy kinds; the caller owns the result.
using MakeHeavyKinds = HeavyKinds* (*)(const HeavyKindsSetup& setup);

/// The module's entry point, by name (extern "C").
inline constexpr const char* kHeavyKindsEntry = "taskfarm_make_heavy_kinds";
/// The module's file name, beside taskfarm-worker or in LIBDIR/taskfarm when installed.
inline constexpr const char* kHeavyKindsModule = "libtaskfarm-kinds.so";

/// The heavy kinds linked into this program (defined in the heavy kinds' library: only
/// programs that link it may name this).
HeavyKinds* MakeLinkedHeavyKinds(const HeavyKindsSetup& setup);

}  // namespace taskfarm

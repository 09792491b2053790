#pragma once
// HandlerTable: the one place where a task kind is bound to the code that runs it.
// Adding a kind means writing one handler and registering it here.

#include <functional>
#include <map>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "shared/gazetteer.h"
#include "shared/rate_limiter.h"
#include "shared/task_error.h"
#include "shared/wire.h"

namespace taskfarm {

/// Thrown by a handler to fail its task with a specific error value. Any other exception
/// a handler throws becomes a non-retryable kHandlerFailed error with the exception's text.
class TaskFailure : public std::runtime_error {
 public:
  explicit TaskFailure(TaskError error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const TaskError& error() const { return error_; }

 private:
  TaskError error_;
};

/// A handler runs one task and returns the result payload, or throws.
using Handler = std::function<std::string(const wire::Task&)>;

/// Immutable after set-up; safe to read from several threads.
class HandlerTable {
 public:
  void Register(std::string kind, Handler handler);
  /// The handler for `kind`, or nullptr.
  const Handler* Find(const std::string& kind) const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

/// What handlers may use besides their task; owned by the worker's main().
struct WorkerResources {
  std::unique_ptr<RateLimiter> rate_limiter;  // null when the run has no --rate
  std::filesystem::path gazetteer_dir;       // where the offline provider's data is
  std::filesystem::path aliases_file;

  /// The offline gazetteer, loaded on first use (thread-safe); null when it cannot be.
  const Gazetteer* gazetteer();

 private:
  std::once_flag gazetteer_once_;
  std::unique_ptr<Gazetteer> gazetteer_;
};

/// The table of every kind this build of the worker can run. `resources` must outlive it.
HandlerTable MakeHandlerTable(WorkerResources& resources);

}  // namespace taskfarm

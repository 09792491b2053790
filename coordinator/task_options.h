#pragma once
// TaskOptions: the settings that define a run's tasks (which kinds, how many, with which
// parameters, under which rate limits). A journaled run stores them, as JSON, so that
// `--resume` rebuilds the very same tasks with the same ids.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/exec_source.h"
#include "coordinator/geocode_source.h"
#include "coordinator/index_source.h"
#include "coordinator/job_file.h"
#include "coordinator/task_source.h"

namespace taskfarm {

struct TaskOptions {
  uint64_t noop = 0;
  uint64_t burn = 0;
  uint64_t burn_us = 1000;
  uint64_t sleep = 0;
  std::vector<uint64_t> sleep_ms{10};
  uint64_t fault = 0;
  std::string fault_mode = "throw";
  uint64_t tick = 0;
  std::string tick_bucket;
  std::vector<std::string> rates;
  std::optional<double> burst;
  bool strict_rate = false;  // no window of the service's length sees more than its N
  GeocodeInput geocode;  // geocode.path empty: no geocoding
  IndexInput index;      // index.roots empty: no indexing
  ExecInput exec;        // exec.kind empty: no per-input tasks
  std::string jobs;      // --jobs FILE; empty: none

  bool HasTasks() const {
    return noop + burn + sleep + fault + tick > 0 || !geocode.path.empty() ||
           !index.roots.empty() || exec.active() || !jobs.empty();
  }
};

/// The run's tasks per lane (either may be null), with how many of each kind they hold.
struct RunSources {
  std::unique_ptr<TaskSource> cpu;
  std::unique_ptr<TaskSource> network;
  std::map<std::string, uint64_t> kind_totals;
  uint64_t duplicate_places = 0;
  uint64_t cache_hits = 0;
  IndexSource* index = nullptr;  // inside `cpu`, when the run indexes folders
  uint64_t counted_cpu_tasks = 0;  // CPU tasks before the folder walk (their ids are stable)
  std::unique_ptr<SpooledStdin> spooled_jobs;  // --jobs -: the copy both lanes read
  std::string geocode_path;  // the --geocode input as read (stdin's copy), while `network` lives
  /// --exec tasks come after this many tasks of their lane: input N has the id
  /// lane base + exec_offset + N - 1.
  uint64_t exec_offset = 0;

  RunSources();
  ~RunSources();
  RunSources(RunSources&&) noexcept;
  RunSources& operator=(RunSources&&) noexcept;
};

nlohmann::json ToJson(const TaskOptions& options);
/// Throws std::runtime_error when `json` is not a stored TaskOptions.
TaskOptions TaskOptionsFromJson(const nlohmann::json& json);

/// The run's tasks in a fixed order (ids are positions in their lane): each lane's counted
/// kinds interleaved, --exec's inputs, the job file's lines, and the geocoding input. Throws InputError for input that stops the run.
RunSources MakeRunSources(const TaskOptions& options, const KindCatalog& catalog,
                          const GeocodeCache& cache = {},
                          std::unordered_map<std::string, FileStamp> known_files = {});

/// How many tasks of each counted kind (--noop, --burn, ...) the options make.
std::map<std::string, uint64_t> KindTotals(const TaskOptions& options);

/// A sensible time limit per kind: generous beside what the task is asked to do; a `tick`
/// waits for tokens, which is not hanging, so it has none (zero); nor has `exec`, whose
/// worker enforces --task-timeout on the command itself.
std::map<std::string, std::chrono::milliseconds> DefaultTaskTimeouts(const TaskOptions& options);

}  // namespace taskfarm

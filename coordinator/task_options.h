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

  bool HasTasks() const { return noop + burn + sleep + fault + tick > 0; }
};

nlohmann::json ToJson(const TaskOptions& options);
/// Throws std::runtime_error when `json` is not a stored TaskOptions.
TaskOptions TaskOptionsFromJson(const nlohmann::json& json);

/// The run's tasks, interleaved across kinds, in a fixed order (ids are positions in it).
std::unique_ptr<TaskSource> MakeTaskSource(const TaskOptions& options);

/// How many tasks of each kind the options make.
std::map<std::string, uint64_t> KindTotals(const TaskOptions& options);

/// A sensible time limit per kind: generous beside what the task is asked to do; a `tick`
/// waits for tokens, which is not hanging, so it has none (zero).
std::map<std::string, std::chrono::milliseconds> DefaultTaskTimeouts(const TaskOptions& options);

}  // namespace taskfarm

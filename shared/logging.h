#pragma once
// Logging: one spdlog set-up for the coordinator and its workers. Every line goes to stderr,
// or with a log file to that file only (appended, so the workers' lines and the
// coordinator's land in one file, each tagged with who wrote it). stdout is never used: it
// carries results and the --json summary.

#include <string>
#include <vector>

namespace taskfarm {

struct LogSettings {
  std::string level = "warn";  // trace, debug, info, warn, error, off
  std::string file;            // empty: stderr
  /// The same settings as worker command-line arguments.
  std::vector<std::string> AsArgs() const;
};

/// Installs the default logger; `tag` names the process in each line ("coordinator",
/// "worker 3"). Throws std::runtime_error naming the file when it cannot be opened.
void SetUpLogging(const std::string& tag, const LogSettings& settings);

}  // namespace taskfarm

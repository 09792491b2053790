#pragma once
// ExecSource: one task per input, as GNU parallel makes one job per input. With --exec the
// task is an `exec` of the command template; with --kind NAME (a program built on the
// library) it is a task of that kind whose payload is the input itself. An input longer
// than InputLines::kMaxInputBytes becomes a `reject` task: an error row naming its number.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/input_lines.h"
#include "coordinator/task_source.h"
#include "shared/exec_messages.h"
#include "shared/lanes.h"

namespace taskfarm {

inline constexpr uint64_t kDefaultCaptureLimitBytes = uint64_t{1} << 20;

struct ExecInput {
  std::string kind;           // "exec", a program's own kind, or empty: none in this run
  std::string command_line;   // --exec, as typed
  bool shell = false;         // --shell: run through /bin/sh, inputs quoted
  std::vector<std::string> command;  // the template's words (shell: the one line)
  std::string inputs_path;    // --inputs FILE ('-' = stdin); empty with args
  std::vector<std::string> args;     // the words after :::
  bool null_separated = false;
  uint64_t capture_limit = kDefaultCaptureLimitBytes;
  std::string results_dir;
  uint32_t timeout_ms = 0;
  uint32_t retries = 0;
  std::string bucket;         // --exec-rate's bucket
  Lane lane = Lane::kCpu;     // --exec-lane

  bool active() const { return !kind.empty(); }
  bool from_stdin() const { return args.empty() && inputs_path == "-"; }
};

/// The template `command_line` as words, each a template; "{}" is appended when none holds
/// a replacement string (parallel's rule). Throws InputError on bad quoting.
std::vector<std::string> ParseCommandTemplate(const std::string& command_line, bool shell);

/// The ExecRequest of an exec task (its input and number aside), shared by --exec and jobs.
ExecRequest MakeExecRequest(const ExecInput& input);

class ExecSource : public TaskSource {
 public:
  explicit ExecSource(const ExecInput& input);
  std::optional<TaskSpec> Next() override;
  std::optional<uint64_t> Total() const override { return total_; }

 private:
  ExecInput input_;
  ExecRequest request_;
  InputLines lines_;
  std::optional<uint64_t> total_;
};

}  // namespace taskfarm

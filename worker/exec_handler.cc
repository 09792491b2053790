#include "worker/exec_handler.h"

#include <filesystem>

#include "shared/replacement_strings.h"
#include "shared/task_error.h"
#include "worker/child_command.h"

namespace taskfarm {
namespace {

constexpr const char* kShell = "/bin/sh";

// DIR/<seq>/stdout and stderr, as parallel's --results writes them.
void PrepareResultFiles(const ExecRequest& request, ChildCommandSpec& spec) {
  const std::filesystem::path dir =
      std::filesystem::path(request.results_dir) / std::to_string(request.seq);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw TaskFailure({ErrorCode::kWriteFailed,
                       "cannot create " + dir.string() + ": " + ec.message(), false});
  }
  spec.stdout_file = dir / "stdout";
  spec.stderr_file = dir / "stderr";
}

void TakeToken(const ExecRequest& request, RateLimiter* limiter) {
  if (request.bucket.empty()) return;
  TokenBucket* bucket = limiter ? limiter->Find(request.bucket) : nullptr;
  if (bucket == nullptr) {
    throw TaskFailure({ErrorCode::kBadPayload, "no rate bucket '" + request.bucket + "' in this run",
                       false});
  }
  bucket->Acquire();
}

ErrorCode CodeOf(const ChildCommandResult& result) {
  if (!result.write_error.empty()) return ErrorCode::kWriteFailed;
  if (result.timed_out) return ErrorCode::kTimedOut;
  return ErrorCode::kCommandFailed;
}

}  // namespace

std::vector<std::string> ExecArgv(const ExecRequest& request, uint64_t slot) {
  if (!request.expand) return request.command;
  const ReplacementValues values{request.input, request.seq, slot};
  if (request.shell) {
    std::string line;
    for (const std::string& word : request.command) {
      if (!line.empty()) line += ' ';
      line += ExpandReplacements(word, values, /*shell_quote=*/true);
    }
    return {kShell, "-c", line};
  }
  std::vector<std::string> argv;
  argv.reserve(request.command.size());
  for (const std::string& word : request.command) argv.push_back(ExpandReplacements(word, values));
  return argv;
}

std::string RunExec(const wire::Task& task, RateLimiter* limiter, uint32_t slot,
                    CommandServices services) {
  const auto request = DecodeExecRequest(task.payload);
  if (!request) throw TaskFailure({ErrorCode::kBadPayload, "exec payload is not readable", false});
  ChildCommandSpec spec;
  spec.argv = ExecArgv(*request, slot);
  spec.capture_limit = request->capture_limit;
  spec.timeout = std::chrono::milliseconds(request->timeout_ms);
  spec.reaper = services.reaper;
  spec.programs = services.programs;
  if (!request->results_dir.empty()) PrepareResultFiles(*request, spec);

  ExecOutcome outcome;
  outcome.argv = spec.argv;
  ChildCommandResult result;
  std::chrono::nanoseconds cpu{0};
  for (uint32_t attempt = 0; attempt <= request->retries; ++attempt) {
    TakeToken(*request, limiter);
    result = RunChildCommand(spec);
    cpu += result.cpu;
    outcome.tries = attempt + 1;
    if (result.ok() || !result.start_error.empty()) break;  // a missing program stays missing
  }
  outcome.exit_status = result.exit_status;
  outcome.signal = result.signal;
  outcome.timed_out = result.timed_out;
  outcome.wall_ms = std::chrono::duration<double, std::milli>(result.wall).count();
  outcome.cpu_ms = std::chrono::duration<double, std::milli>(cpu).count();
  outcome.out = std::move(result.out);
  outcome.err = std::move(result.err);
  outcome.out_bytes = result.out_bytes;
  outcome.err_bytes = result.err_bytes;
  std::string payload = EncodeExecOutcome(outcome);
  if (result.ok()) return payload;
  throw TaskFailure({CodeOf(result), result.Describe(spec.timeout), false}, std::move(payload));
}

}  // namespace taskfarm

#pragma once
// The payloads of an `exec` task and of its result (msgpack, inside wire::Task and
// wire::Result). The worker expands the replacement strings, so {%} can name its slot.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace taskfarm {

struct ExecRequest {
  /// With `expand`: a template, one word per argument ({} {.} {/} {//} {/.} {#} {%} inside
  /// words), or with `shell` one command line for /bin/sh. Without `expand`: the argument
  /// vector itself (a job file's "argv").
  std::vector<std::string> command;
  bool shell = false;
  bool expand = true;
  std::string input;  // what {} stands for; bytes as read (may be invalid UTF-8)
  uint64_t seq = 0;   // {#}: the input's number, from 1
  uint64_t capture_limit = 0;  // bytes of stdout and of stderr kept in the result
  std::string results_dir;     // non-empty: DIR/<seq>/stdout and stderr hold everything
  uint32_t timeout_ms = 0;     // 0: none; past it the command's process group is killed
  uint32_t retries = 0;        // runs again after a failure, up to this many times
  std::string bucket;          // non-empty: a rate-limit token is taken before each run
  MSGPACK_DEFINE(command, shell, expand, input, seq, capture_limit, results_dir, timeout_ms,
                 retries, bucket);
};

struct ExecOutcome {
  std::vector<std::string> argv;  // what was run (after expansion)
  int32_t exit_status = -1;       // -1 when it did not exit (a signal, or never started)
  int32_t signal = 0;             // the signal that ended it, 0 if none
  bool timed_out = false;
  uint32_t tries = 1;
  double wall_ms = 0;  // the last try
  double cpu_ms = 0;   // user + system time of the command and its reaped children, all tries
  std::string out;     // stdout, up to capture_limit bytes
  std::string err;     // stderr, likewise
  uint64_t out_bytes = 0;  // all the bytes it wrote to stdout (more than `out` when cut)
  uint64_t err_bytes = 0;
  MSGPACK_DEFINE(argv, exit_status, signal, timed_out, tries, wall_ms, cpu_ms, out, err,
                 out_bytes, err_bytes);
};

std::string EncodeExecRequest(const ExecRequest& request);
std::optional<ExecRequest> DecodeExecRequest(std::string_view bytes);
std::string EncodeExecOutcome(const ExecOutcome& outcome);
std::optional<ExecOutcome> DecodeExecOutcome(std::string_view bytes);

}  // namespace taskfarm

#pragma once
// TaskError: an error as a value, so it can cross the process boundary inside a result.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <msgpack.hpp>

namespace taskfarm {

/// Why a task failed. The numbers are part of the wire format: append, never renumber.
enum class ErrorCode : int32_t {
  kNone = 0,
  kHandlerFailed = 1,    // the handler threw or reported a failure
  kUnknownKind = 2,      // the worker has no handler for the task's kind
  kBadPayload = 3,       // the payload could not be decoded for its kind
  kWorkerLost = 4,       // the worker died while it held the task
  kTimedOut = 5,         // the task ran past its timeout and its worker was killed
  kQuarantined = 6,      // the task kept killing workers and was given up
  kInterrupted = 7,      // the run stopped before the task finished
  kServiceRefused = 8,   // a service answered that the request is wrong (4xx, REQUEST_DENIED)
  kRetriesExhausted = 9, // a transient failure lasted through every retry
  kQuotaExceeded = 10,   // the service's daily quota is used up: not attempted
  kBadInput = 11,        // the input line itself is unusable
  kMalformedResponse = 12,  // the service's answer could not be read
  kCommandFailed = 13,   // an external command exited non-zero, was killed or timed out
  kWriteFailed = 14,     // a file the task had to write could not be written
};

/// The stable short name of a code, e.g. "worker_lost", used in summaries and output files.
std::string_view ErrorCodeName(ErrorCode code);

/// TaskError is a plain value: a code, a message a person can read, and whether trying
/// the same task again may succeed.
struct TaskError {
  ErrorCode code = ErrorCode::kNone;
  std::string message;
  bool retryable = false;

  MSGPACK_DEFINE(code, message, retryable);
};

/// Thrown by a handler to fail its task with a specific error value, and optionally a
/// result payload that still travels (a failed command's output). Any other exception a
/// handler throws becomes a non-retryable kHandlerFailed error with the exception's text.
class TaskFailure : public std::runtime_error {
 public:
  explicit TaskFailure(TaskError error, std::string payload = {})
      : std::runtime_error(error.message), error_(std::move(error)), payload_(std::move(payload)) {}
  const TaskError& error() const { return error_; }
  const std::string& payload() const { return payload_; }

 private:
  TaskError error_;
  std::string payload_;
};

}  // namespace taskfarm

MSGPACK_ADD_ENUM(taskfarm::ErrorCode);

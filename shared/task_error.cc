#include "shared/task_error.h"

namespace taskfarm {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNone: return "none";
    case ErrorCode::kHandlerFailed: return "handler_failed";
    case ErrorCode::kUnknownKind: return "unknown_kind";
    case ErrorCode::kBadPayload: return "bad_payload";
    case ErrorCode::kWorkerLost: return "worker_lost";
    case ErrorCode::kTimedOut: return "timed_out";
    case ErrorCode::kQuarantined: return "quarantined";
    case ErrorCode::kInterrupted: return "interrupted";
    case ErrorCode::kServiceRefused: return "service_refused";
    case ErrorCode::kRetriesExhausted: return "retries_exhausted";
    case ErrorCode::kQuotaExceeded: return "quota_exceeded";
    case ErrorCode::kBadInput: return "bad_input";
    case ErrorCode::kMalformedResponse: return "malformed_response";
    case ErrorCode::kCommandFailed: return "command_failed";
    case ErrorCode::kWriteFailed: return "write_failed";
  }
  return "unknown";
}

}  // namespace taskfarm

#pragma once
// OutcomeRow: one task's final outcome as it is stored and exported: a row of the journal,
// a line of --out, a row of `taskfarm report --out`.

#include <cstdint>
#include <optional>
#include <string>

#include "coordinator/ledger.h"
#include "shared/exec_messages.h"
#include "shared/geocode_messages.h"
#include "shared/index_messages.h"
#include "shared/wire.h"

namespace taskfarm {

struct OutcomeRow {
  uint64_t task_id = 0;
  std::string kind;
  bool ok = true;
  uint32_t attempts = 0;
  uint32_t worker = 0;
  double run_ms = 0;
  double cpu_ms = 0;
  std::string error_code;  // ErrorCodeName; empty when ok
  std::string error;       // the message; empty when ok
  std::string payload;     // the handler's result bytes
  std::string input;       // what the task was asked (a geocode's query, an exec's input,
                           // a program's own kind's input); may be empty
  std::string job_id;      // a job file's "id"; may be empty
  std::optional<GeocodeAnswer> geocode;  // a geocode's answer, decoded from payload
  std::string cache_key;                 // a geocode's cache key, when its answer may be kept
  std::optional<IndexedDocument> document;  // an index task's document, decoded from payload
  std::optional<ExecOutcome> exec;          // an exec task's outcome, decoded from payload
  uint64_t seq = 0;                         // an exec task's input number ({#}); a place's line
  uint32_t requests = 0;      // a geocode's HTTP requests, an error row's too (from payload)
  uint32_t http_retries = 0;  // of which made again after a retryable failure
  int64_t started_unix_ms = 0;   // when its last attempt started (0: not known)
  int64_t finished_unix_ms = 0;  // when its outcome reached the coordinator
  bool network_lane = false;     // ran on the network lane (many at once per worker)
};

OutcomeRow MakeOutcomeRow(const TaskRecord& record, const wire::Result& result);

/// Fills the kind's decoded fields (geocode, document, exec) from `payload`, for a row read
/// back from the journal.
void DecodeKindFields(OutcomeRow& row);

}  // namespace taskfarm

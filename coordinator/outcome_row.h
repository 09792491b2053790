#pragma once
// OutcomeRow: one task's final outcome as it is stored and exported: a row of the journal,
// a line of --out, a row of `taskfarm report --out`.

#include <cstdint>
#include <string>

#include "coordinator/ledger.h"
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
};

OutcomeRow MakeOutcomeRow(const TaskRecord& record, const wire::Result& result);

}  // namespace taskfarm

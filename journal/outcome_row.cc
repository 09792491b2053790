#include "journal/outcome_row.h"

#include "journal/row_formats.h"

namespace taskfarm {

OutcomeRow MakeOutcomeRow(const TaskRecord& record, const wire::Result& result) {
  OutcomeRow row;
  row.task_id = record.id;
  row.kind = record.spec.kind;
  row.ok = result.ok;
  row.attempts = record.attempt;
  row.worker = result.worker_id;
  row.run_ms = static_cast<double>(result.run_ns) / 1e6;
  row.cpu_ms = static_cast<double>(result.cpu_ns) / 1e6;
  if (!result.ok) {
    row.error_code = std::string(ErrorCodeName(result.error.code));
    row.error = result.error.message;
  }
  row.payload = result.payload;
  row.job_id = record.spec.job_id;
  RowFormatOf(row.kind).describe_task(record.spec.payload, row);
  DecodeKindFields(row);
  return row;
}

void DecodeKindFields(OutcomeRow& row) { RowFormatOf(row.kind).decode_result(row); }

}  // namespace taskfarm

#include "journal/outcome_row.h"

#include <chrono>

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
  // Wall-clock times for the run report's timeline: the monotonic start moved onto the
  // system clock by the time since it.
  const auto wall_now = std::chrono::system_clock::now();
  const auto since_start = record.started_at == MonoClock::time_point{}
                               ? std::chrono::nanoseconds(result.run_ns)
                               : MonoClock::now() - record.started_at;
  row.finished_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             wall_now.time_since_epoch()).count();
  row.started_unix_ms = row.finished_unix_ms -
                        std::chrono::duration_cast<std::chrono::milliseconds>(since_start).count();
  row.network_lane = record.lane == Lane::kNetwork;
  row.payload = result.payload;
  row.job_id = record.spec.job_id;
  RowFormatOf(row.kind).describe_task(record.spec.payload, row);
  DecodeKindFields(row);
  return row;
}

void DecodeKindFields(OutcomeRow& row) { RowFormatOf(row.kind).decode_result(row); }

}  // namespace taskfarm

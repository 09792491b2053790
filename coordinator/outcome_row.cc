#include "coordinator/outcome_row.h"

#include "shared/kinds.h"

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
  if (record.spec.kind == kinds::kGeocode) {
    if (auto request = DecodeGeocodeRequest(record.spec.payload)) {
      row.input = request->query;
      row.cache_key = GeocodeCacheKey(request->query, request->providers);
    }
  }
  if (record.spec.kind == kinds::kIndex) {
    if (auto request = DecodeIndexRequest(record.spec.payload)) row.input = request->path;
  } else if (record.spec.kind == kinds::kExec) {
    if (auto request = DecodeExecRequest(record.spec.payload)) {
      row.input = request->input;
      row.seq = request->seq;
    }
  } else if (record.spec.kind != kinds::kGeocode && !IsBuiltinKind(record.spec.kind)) {
    row.input = record.spec.payload;  // a program's own kind: its payload is its input
  }
  DecodeKindFields(row);
  return row;
}

void DecodeKindFields(OutcomeRow& row) {
  if (row.kind == kinds::kGeocode && row.ok) row.geocode = DecodeGeocodeAnswer(row.payload);
  if (row.kind == kinds::kIndex && row.ok) row.document = DecodeIndexedDocument(row.payload);
  if (row.kind == kinds::kExec) row.exec = DecodeExecOutcome(row.payload);
}

}  // namespace taskfarm

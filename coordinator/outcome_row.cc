#include "coordinator/outcome_row.h"

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
  if (record.spec.kind == "geocode") {
    if (auto request = DecodeGeocodeRequest(record.spec.payload)) {
      row.input = request->query;
      row.cache_key = GeocodeCacheKey(request->query, request->providers);
    }
  }
  if (record.spec.kind == "index") {
    if (auto request = DecodeIndexRequest(record.spec.payload)) row.input = request->path;
  }
  DecodeKindFields(row);
  return row;
}

void DecodeKindFields(OutcomeRow& row) {
  if (row.kind == "geocode" && row.ok) row.geocode = DecodeGeocodeAnswer(row.payload);
  if (row.kind == "index" && row.ok) row.document = DecodeIndexedDocument(row.payload);
}

}  // namespace taskfarm

#include "journal/row_formats.h"

#include <map>

#include "shared/kinds.h"

namespace taskfarm {
namespace {

void NoTask(std::string_view, OutcomeRow&) {}
void NoResult(OutcomeRow&) {}
void NoColumns(const OutcomeRow&, nlohmann::json&) {}

// geocode: the place asked, its answer.
void DescribeGeocode(std::string_view payload, OutcomeRow& row) {
  if (auto request = DecodeGeocodeRequest(payload)) {
    row.input = request->query;
    row.cache_key = GeocodeCacheKey(*request);
    row.seq = request->line;
  }
}
void DecodeGeocode(OutcomeRow& row) {
  std::optional<GeocodeAnswer> answer = DecodeGeocodeAnswer(row.payload);
  if (!answer) return;
  row.requests = answer->attempts;
  row.http_retries = answer->retries;
  if (row.ok) row.geocode = std::move(answer);
}
void GeocodeColumns(const OutcomeRow& row, nlohmann::json& line) {
  if (!row.input.empty()) line["query"] = row.input;
  if (row.seq != 0) line["line"] = row.seq;  // the input line, to join the row back
  const auto& answer = row.geocode;
  if (!answer) {
    if (row.requests > 0) line["attempts"] = row.requests;  // an error row: what was tried
    return;
  }
  line["status"] = answer->status;  // ok or not_found
  line["provider"] = answer->provider;
  line["attempts"] = answer->attempts;  // requests made, over every provider
  if (answer->cached) line["cached"] = true;
  if (answer->status == "ok") {
    line["lat"] = answer->lat;
    line["lon"] = answer->lon;
    line["formatted_address"] = answer->formatted_address;
    if (!answer->country_code.empty()) line["country_code"] = answer->country_code;
    if (!answer->match.empty()) line["match"] = answer->match;
    if (answer->confidence >= 0) line["confidence"] = answer->confidence;
    if (answer->ambiguous) line["ambiguous"] = true;
    if (!answer->alternatives.empty()) {
      nlohmann::json candidates = nlohmann::json::array();
      for (const GeocodeAlternative& other : answer->alternatives) {
        candidates.push_back({{"formatted_address", other.formatted_address},
                              {"lat", other.lat},
                              {"lon", other.lon}});
      }
      line["candidates"] = std::move(candidates);
    }
  }
}

// index: the file, the document made of it.
void DescribeIndex(std::string_view payload, OutcomeRow& row) {
  if (auto request = DecodeIndexRequest(payload)) row.input = request->path;
}
void DecodeIndex(OutcomeRow& row) {
  // A failure's payload is the file's stamp (size, mtime, extractor), kept by the journal.
  if (!row.payload.empty()) row.document = DecodeIndexedDocument(row.payload);
}
void IndexColumns(const OutcomeRow& row, nlohmann::json& line) {
  line["path"] = row.input;
  const auto& document = row.document;
  if (!document || !row.ok) return;
  line["status"] = document->status;  // indexed or skipped
  line["type"] = document->type;
  line["title"] = document->title;
  line["words"] = document->words;
  if (!document->note.empty()) line["note"] = document->note;
  if (!document->charset.empty()) line["charset"] = document->charset;
}

// exec: the input and its number, what the command did: its argv, exit, output (cut at the
// capture limit, the full byte counts beside it when it was cut).
void DescribeExec(std::string_view payload, OutcomeRow& row) {
  if (auto request = DecodeExecRequest(payload)) {
    row.input = request->input;
    row.seq = request->seq;
  }
}
void DecodeExec(OutcomeRow& row) { row.exec = DecodeExecOutcome(row.payload); }
void ExecColumns(const OutcomeRow& row, nlohmann::json& line) {
  if (row.seq != 0 || !row.input.empty()) line["input"] = row.input;  // a job's argv has none
  const auto& exec = row.exec;
  if (!exec) return;
  line["command"] = exec->argv;
  if (exec->exit_status >= 0) line["exit"] = exec->exit_status;
  if (exec->signal != 0) line["signal"] = exec->signal;
  if (exec->timed_out) line["timed_out"] = true;
  line["tries"] = exec->tries;
  line["cpu_ms"] = exec->cpu_ms;
  line["stdout"] = exec->out;
  line["stderr"] = exec->err;
  if (exec->out_bytes > exec->out.size()) line["stdout_bytes"] = exec->out_bytes;
  if (exec->err_bytes > exec->err.size()) line["stderr_bytes"] = exec->err_bytes;
}

// A program's own kind (taskfarm::App): its payload is its input, its result its output.
void DescribeOwnKind(std::string_view payload, OutcomeRow& row) { row.input = payload; }
void OwnKindColumns(const OutcomeRow& row, nlohmann::json& line) {
  line["input"] = row.input;
  if (row.ok) line["output"] = row.payload;
}

}  // namespace

const RowFormat& RowFormatOf(std::string_view kind) {
  static const std::map<std::string_view, RowFormat> kFormats = {
      {kinds::kGeocode, {DescribeGeocode, DecodeGeocode, GeocodeColumns}},
      {kinds::kIndex, {DescribeIndex, DecodeIndex, IndexColumns}},
      {kinds::kExec, {DescribeExec, DecodeExec, ExecColumns}},
  };
  static const RowFormat kBuiltinWithoutColumns{NoTask, NoResult, NoColumns};
  static const RowFormat kOwnKind{DescribeOwnKind, NoResult, OwnKindColumns};
  if (auto it = kFormats.find(kind); it != kFormats.end()) return it->second;
  return IsBuiltinKind(kind) ? kBuiltinWithoutColumns : kOwnKind;
}

}  // namespace taskfarm

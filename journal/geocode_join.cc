#include "journal/geocode_join.h"

#include <charconv>
#include <memory>
#include <msgpack.hpp>

#include "coordinator/geocode_source.h"
#include "shared/kinds.h"
#include "shared/place_folding.h"

namespace taskfarm {
namespace {

// An outcome as the store keeps it: the fields a row is written from (the kind's decoded
// fields are made again from the payload).
struct StoredRow {
  uint64_t task_id = 0;
  std::string kind;
  bool ok = true;
  uint32_t attempts = 0;
  uint32_t worker = 0;
  double run_ms = 0;
  double cpu_ms = 0;
  std::string error_code;
  std::string error;
  std::string payload;
  std::string input;
  uint64_t seq = 0;
  MSGPACK_DEFINE(task_id, kind, ok, attempts, worker, run_ms, cpu_ms, error_code, error, payload,
                 input, seq);
};

std::string EncodeStoredRow(const OutcomeRow& row) {
  const StoredRow stored{row.task_id, row.kind,    row.ok,     row.attempts,
                         row.worker,  row.run_ms,  row.cpu_ms, row.error_code,
                         row.error,   row.payload, row.input,  row.seq};
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, stored);
  return std::string(buffer.data(), buffer.size());
}

OutcomeRow DecodeStoredRow(const std::string& bytes) {
  StoredRow stored;
  msgpack::unpack(bytes.data(), bytes.size()).get().convert(stored);
  OutcomeRow row;
  row.task_id = stored.task_id;
  row.kind = std::move(stored.kind);
  row.ok = stored.ok;
  row.attempts = stored.attempts;
  row.worker = stored.worker;
  row.run_ms = stored.run_ms;
  row.cpu_ms = stored.cpu_ms;
  row.error_code = std::move(stored.error_code);
  row.error = std::move(stored.error);
  row.payload = std::move(stored.payload);
  row.input = std::move(stored.input);
  row.seq = stored.seq;
  DecodeKindFields(row);
  return row;
}

std::string PlaceKey(std::string_view folded) { return "p" + std::string(folded); }
std::string RefusedKey(uint64_t line) { return "r" + std::to_string(line); }

// The input line a refused line's row names ("line N: why"); nullopt for another reject
// (an --exec input, a job line).
std::optional<uint64_t> RefusedLine(const OutcomeRow& row) {
  constexpr std::string_view kPrefix = "line ";
  const std::string_view text = row.error;
  if (text.rfind(kPrefix, 0) != 0) return std::nullopt;
  uint64_t line = 0;
  const char* end = text.data() + text.size();
  const auto [rest, ec] = std::from_chars(text.data() + kPrefix.size(), end, line);
  if (ec != std::errc() || rest == end || *rest != ':') return std::nullopt;
  return line;
}

std::optional<std::string> KeyOf(const OutcomeRow& row) {
  if (!row.job_id.empty()) return std::nullopt;
  if (row.kind == kinds::kGeocode) return PlaceKey(FoldPlaceName(row.input));
  if (row.kind == kinds::kReject) {
    if (auto line = RefusedLine(row)) return RefusedKey(*line);
  }
  return std::nullopt;
}

std::string KeyOf(const PlaceRow& place) {
  return place.kind == PlaceRow::Kind::kRefused ? RefusedKey(place.line) : PlaceKey(place.folded);
}

std::unique_ptr<SqliteDb> OpenStore() {
  // "": a private file of SQLite's, deleted when it closes.
  auto store = std::make_unique<SqliteDb>("", SqliteDb::Access::kCreate);
  store->Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  store->Exec(
      "CREATE TABLE outcomes(key TEXT PRIMARY KEY, row BLOB NOT NULL, first_line INTEGER NOT "
      "NULL DEFAULT 0) WITHOUT ROWID");
  return store;
}

}  // namespace

GeocodeJoin::GeocodeJoin(const GeocodeInput& input, const std::string& path, ResultWriter& writer)
    : input_(input),
      writer_(writer),
      reader_(path, input_, /*find_duplicates=*/false, /*keep_fields=*/input.keep_columns),
      store_(OpenStore()),
      insert_(store_->Prepare("INSERT OR IGNORE INTO outcomes(key, row) VALUES(?, ?)")),
      select_(store_->Prepare("SELECT row, first_line FROM outcomes WHERE key = ?")),
      mark_used_(store_->Prepare("UPDATE outcomes SET first_line = ? WHERE key = ?")) {
  if (input.keep_columns) writer_.SetInputColumns(reader_.header());
}

bool GeocodeJoin::Add(const OutcomeRow& row) {
  const std::optional<std::string> key = KeyOf(row);
  if (!key) return false;
  try {
    insert_.Reset();
    insert_.Bind(1, *key).BindBlob(2, EncodeStoredRow(row)).Run();
    // Only the outcome the cursor waits on moves it (the first one starts it).
    if ((waiting_ && *key == waiting_key_) || (!waiting_ && !input_done_)) Advance();
  } catch (const SqliteError& e) {
    throw WriteError(std::string("joining outcomes to the --geocode input: ") + e.what());
  }
  return true;
}

std::optional<GeocodeJoin::Known> GeocodeJoin::Lookup(const std::string& key) {
  select_.Reset();
  select_.Bind(1, key);
  if (!select_.Step()) return std::nullopt;
  Known known{DecodeStoredRow(select_.Text(0)), static_cast<uint64_t>(select_.Int(1))};
  select_.Reset();
  return known;
}

void GeocodeJoin::MarkUsed(const std::string& key, uint64_t line) {
  mark_used_.Reset();
  mark_used_.Bind(1, static_cast<int64_t>(line)).Bind(2, key).Run();
}

void GeocodeJoin::Advance() {
  while (true) {
    if (!waiting_) {
      waiting_ = reader_.Next();
      if (!waiting_) {
        input_done_ = true;
        return;
      }
    }
    if (!WriteIfKnown(*waiting_)) {
      waiting_key_ = KeyOf(*waiting_);
      return;
    }
    waiting_.reset();
  }
}

bool GeocodeJoin::WriteIfKnown(const PlaceRow& place) {
  if (place.kind == PlaceRow::Kind::kEmpty) {
    WriteSkipped(place);
    return true;
  }
  std::optional<Known> known = Lookup(KeyOf(place));
  if (!known) return false;
  WriteJoined(place, *known);
  return true;
}

void GeocodeJoin::WriteJoined(const PlaceRow& place, const Known& known) {
  JoinedInput joined;
  joined.line = place.line;
  joined.row = place.row;
  if (place.kind != PlaceRow::Kind::kRefused) joined.query = place.text;
  joined.columns = place.fields;
  if (known.first_line == 0) {
    MarkUsed(KeyOf(place), place.line);
  } else {
    joined.same_as = known.first_line;
  }
  writer_.Write(known.outcome, joined);
  ++rows_written_;
}

void GeocodeJoin::WriteSkipped(const PlaceRow& place) {
  OutcomeRow row;
  row.kind = std::string(kinds::kGeocode);
  JoinedInput joined;
  joined.line = place.line;
  joined.row = place.row;
  joined.columns = place.fields;
  joined.skipped = "no place in column '" + input_.column + "'";
  writer_.Write(row, joined);
  ++rows_written_;
}

void GeocodeJoin::Finish() {
  try {
    for (; waiting_ || !input_done_; waiting_.reset()) {
      if (!waiting_ && !(waiting_ = reader_.Next())) break;
      WriteIfKnown(*waiting_);  // a row still unanswered is left out
    }
    input_done_ = true;
    Statement unasked = store_->Prepare("SELECT row FROM outcomes WHERE first_line = 0");
    while (unasked.Step()) writer_.Write(DecodeStoredRow(unasked.Text(0)));
  } catch (const SqliteError& e) {
    throw WriteError(std::string("joining outcomes to the --geocode input: ") + e.what());
  }
}

}  // namespace taskfarm

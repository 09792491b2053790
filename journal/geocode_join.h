#pragma once
// GeocodeJoin: --out for a --geocode input, one row per input row, in input order, each
// joined to its place's outcome. A place that several rows hold is looked up once and
// answers each of them; a later row names the line whose lookup answered it (`same_as`).
//
// Outcomes arrive in any order. They are kept in a temporary SQLite database (deleted when
// it closes, on every exit path) keyed by the folded place, and a cursor reads the input once
// more, writing each row as soon as its outcome is known. A cursor that waits on an outcome
// is moved on only by that outcome. Memory: one input row and SQLite's page cache, whatever
// the input; disk: one outcome per distinct place.
//
// Not thread-safe: the coordinator's loop owns it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "coordinator/geocode_source.h"
#include "coordinator/place_reader.h"
#include "journal/outcome_row.h"
#include "journal/result_writer.h"
#include "journal/sqlite_db.h"

namespace taskfarm {

class GeocodeJoin {
 public:
  /// Reads `path` (the input, or stdin's spooled copy) as `input` says, writing to `writer`,
  /// which must outlive the join. Throws InputError or SqliteError when it cannot start.
  GeocodeJoin(const GeocodeInput& input, const std::string& path, ResultWriter& writer);

  /// Keeps the outcome `row` and writes the input rows it lets through, when it answers input
  /// rows: a place of the input (a job file's, which has a job id, is not one), or a line of
  /// it that was refused. False for any other row, which the caller writes as it is. Throws
  /// WriteError.
  bool Add(const OutcomeRow& row);
  /// Writes every input row not yet written whose outcome is known (after an interrupted
  /// run, the rows past the first unanswered one too), then any outcome that no input row
  /// asked for. Throws WriteError.
  void Finish();

  /// Input rows written so far.
  uint64_t rows_written() const { return rows_written_; }

 private:
  struct Known {
    OutcomeRow outcome;
    uint64_t first_line = 0;  // the line that first used it; 0: none yet
  };
  /// Writes rows until one whose outcome is not known yet (kept in `waiting_`).
  void Advance();
  std::optional<Known> Lookup(const std::string& key);
  /// Writes `place`'s row when its outcome is known (an empty place's at once); false when
  /// it is not known yet.
  bool WriteIfKnown(const PlaceRow& place);
  void WriteJoined(const PlaceRow& place, const Known& known);
  void WriteSkipped(const PlaceRow& place);
  void MarkUsed(const std::string& key, uint64_t line);

  const GeocodeInput input_;  // a copy: the reader keeps a reference to it
  ResultWriter& writer_;
  PlaceReader reader_;
  std::unique_ptr<SqliteDb> store_;
  Statement insert_;
  Statement select_;
  Statement mark_used_;
  std::optional<PlaceRow> waiting_;  // the next row to write, whose outcome is not known
  std::string waiting_key_;
  bool input_done_ = false;
  uint64_t rows_written_ = 0;
};

}  // namespace taskfarm

#pragma once
// RowFormat: how the rows of one kind read, in one table (row_formats.cc) rather than in
// comparisons of kind names spread over the files that make and write rows: what its task
// was asked (the row's input), its result payload decoded, and the columns it adds to a line
// of --out. Kinds without an entry (noop, burn, ...) add nothing; a program's own kinds
// share one entry: their payload is their input, and what the handler returned their output.

#include <string_view>

#include <nlohmann/json.hpp>

#include "journal/outcome_row.h"

namespace taskfarm {

struct RowFormat {
  /// Sets `row.input` (and what else the task payload says) from the task's payload.
  void (*describe_task)(std::string_view task_payload, OutcomeRow& row);
  /// Fills the row's decoded fields (geocode, document, exec) from `row.payload`.
  void (*decode_result)(OutcomeRow& row);
  /// Adds the kind's columns to a line of --out.
  void (*add_columns)(const OutcomeRow& row, nlohmann::json& line);
};

/// The format of `kind`'s rows.
const RowFormat& RowFormatOf(std::string_view kind);

}  // namespace taskfarm

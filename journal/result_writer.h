#pragma once
// ResultWriter: each task's outcome as a JSONL line or a CSV row, written as it arrives.
// Rows reach the file at least once a second; a write that fails (disk full, I/O error)
// throws WriteError, and the file is cut back to its last whole row.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "journal/outcome_row.h"

namespace taskfarm {

/// A write that failed; the message names the file and why.
class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a row takes from the input row it answers: a --geocode run writes one row per input
/// row, each joined to its place's outcome (GeocodeJoin).
struct JoinedInput {
  uint64_t line = 0;     // the line the input row begins on
  uint64_t row = 0;      // a CSV record's number after the header; 0 in a plain file
  std::string query;     // the place as this row gives it
  uint64_t same_as = 0;  // a place an earlier row holds: the line whose lookup answered both
  std::string skipped;   // why the row was not looked up (an empty place column); "" it was
  std::vector<std::string> columns;  // the input row's own fields (--keep-columns)
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  /// Throws WriteError.
  void Write(const OutcomeRow& row) { WriteRow(row, nullptr); }
  /// `row` answering an input row; throws WriteError.
  void Write(const OutcomeRow& row, const JoinedInput& input) { WriteRow(row, &input); }
  /// The input's own column names, which joined rows carry (--keep-columns): a CSV file puts
  /// them first. Called before the first row is written.
  virtual void SetInputColumns(const std::vector<std::string>& names) = 0;
  /// Everything written so far is in the file; throws WriteError.
  virtual void Flush() = 0;

 protected:
  virtual void WriteRow(const OutcomeRow& row, const JoinedInput* input) = 0;
};

/// `--out -`: the rows go to stdout.
inline constexpr std::string_view kStdoutPath = "-";

/// A writer chosen by the file's extension (.jsonl, .csv); JSON Lines for stdout ("-"), a
/// FIFO or a device. `append` keeps what the file holds (a resumed run). Throws
/// std::invalid_argument for another extension (.json included: the rows are JSON Lines) and
/// std::runtime_error when the file cannot be opened; the message names the file.
std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append);

}  // namespace taskfarm

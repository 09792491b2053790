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

#include "journal/outcome_row.h"

namespace taskfarm {

/// A write that failed; the message names the file and why.
class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  /// Throws WriteError.
  virtual void Write(const OutcomeRow& row) = 0;
  /// Everything written so far is in the file; throws WriteError.
  virtual void Flush() = 0;
};

/// `--out -`: the rows go to stdout.
inline constexpr std::string_view kStdoutPath = "-";

/// A writer chosen by the file's extension (.jsonl, .csv); JSON Lines for stdout ("-"), a
/// FIFO or a device. `append` keeps what the file holds (a resumed run). Throws
/// std::invalid_argument for another extension (.json included: the rows are JSON Lines) and
/// std::runtime_error when the file cannot be opened; the message names the file.
std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append);

}  // namespace taskfarm

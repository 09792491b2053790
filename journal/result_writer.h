#pragma once
// ResultWriter: each task's outcome as a JSONL line or a CSV row, written as it arrives.
// Rows reach the file at least once a second; a write that fails (disk full, I/O error)
// throws WriteError, and the file is cut back to its last whole row.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

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

/// A writer chosen by the file's extension (.jsonl, .json, .csv); `append` keeps what the
/// file holds (a resumed run). Throws std::invalid_argument for another extension and
/// std::runtime_error when the file cannot be opened; the message names the file.
std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append);

}  // namespace taskfarm

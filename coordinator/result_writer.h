#pragma once
// ResultWriter: each task's outcome as a JSONL line or a CSV row, written as it arrives.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "coordinator/outcome_row.h"

namespace taskfarm {

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void Write(const OutcomeRow& row) = 0;
  virtual void Flush() = 0;
};

/// A writer chosen by the file's extension (.jsonl, .json, .csv); `append` keeps what the
/// file holds (a resumed run). Throws std::invalid_argument for another extension and
/// std::runtime_error when the file cannot be opened; the message names the file.
std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append);

}  // namespace taskfarm

#include "coordinator/result_writer.h"
#include "shared/system_text.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "coordinator/row_formats.h"
#include "shared/replacement_strings.h"

namespace taskfarm {
namespace {

nlohmann::json JsonRow(const OutcomeRow& outcome) {
  nlohmann::json row = {
      {"id", outcome.task_id},
      {"kind", outcome.kind},
      {"status", outcome.ok ? "ok" : "error"},
      {"attempts", outcome.attempts},
      {"worker", outcome.worker},
      {"run_ms", outcome.run_ms},
  };
  if (!outcome.job_id.empty()) row["job_id"] = outcome.job_id;
  RowFormatOf(outcome.kind).add_columns(outcome, row);
  if (!outcome.ok) {
    row["error_code"] = outcome.error_code;
    row["error"] = outcome.error;
  }
  return row;
}

bool HasContent(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::file_size(path, ec) > 0 && !ec;
}

std::string CsvField(const nlohmann::json& value) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_array()) {  // a command: its words, as a shell would read them back
    for (const auto& word : value) {
      if (!text.empty()) text += ' ';
      text += ShellQuote(word.get<std::string>());
    }
  } else {
    text = value.dump();
  }
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

class FileWriter : public ResultWriter {
 public:
  FileWriter(const std::filesystem::path& path, bool append)
      : out_(path, append ? std::ios::app : std::ios::trunc), had_content_(append && HasContent(path)) {
    if (!out_) {
      throw std::runtime_error("cannot write results to " + path.string() + ": " +
                               ErrnoText(errno));
    }
  }
  void Flush() override {
    out_.flush();
    last_flush_ = std::chrono::steady_clock::now();
  }

 protected:
  // Rows reach the file at least this often, so a watcher (or a killed run) sees them.
  static constexpr std::chrono::milliseconds kFlushInterval{1000};

  void FlushIfDue() {
    if (std::chrono::steady_clock::now() - last_flush_ >= kFlushInterval) Flush();
  }

  std::ofstream out_;
  const bool had_content_;  // appending to rows already there: no second CSV header
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

class JsonLinesWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  void Write(const OutcomeRow& outcome) override {
    out_ << JsonRow(outcome).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
         << '\n';
    FlushIfDue();
  }
};

class CsvWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  void Write(const OutcomeRow& outcome) override {
    static const char* const kColumns[] = {
        "id",     "kind",     "query",  "path",   "status", "lat",   "lon",
        "formatted_address",  "provider", "type",   "title",  "words",  "job_id", "input",
        "command", "exit",    "signal",   "stdout", "stderr", "output", "attempts",
        "worker", "run_ms",   "error_code", "error"};
    if (!header_written_ && !had_content_) {
      for (std::size_t i = 0; i < std::size(kColumns); ++i) out_ << (i ? "," : "") << kColumns[i];
      out_ << '\n';
      header_written_ = true;
    }
    const nlohmann::json row = JsonRow(outcome);
    for (std::size_t i = 0; i < std::size(kColumns); ++i) {
      if (i) out_ << ',';
      if (row.contains(kColumns[i])) out_ << CsvField(row[kColumns[i]]);
    }
    out_ << '\n';
    FlushIfDue();
  }

 private:
  bool header_written_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append) {
  const std::string ext = path.extension().string();
  if (ext == ".jsonl" || ext == ".json") return std::make_unique<JsonLinesWriter>(path, append);
  if (ext == ".csv") return std::make_unique<CsvWriter>(path, append);
  throw std::invalid_argument("--out " + path.string() +
                              ": unknown extension; use .jsonl or .csv");
}

}  // namespace taskfarm

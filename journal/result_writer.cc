#include "journal/result_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>

#include <csv.h>

#include <nlohmann/json.hpp>

#include "journal/row_formats.h"
#include "shared/replacement_strings.h"
#include "shared/system_text.h"

namespace taskfarm {
namespace {

// The name of an input row's field `i`: its header's, or "column N" past the header.
std::string ColumnName(const std::vector<std::string>& names, std::size_t i) {
  return i < names.size() && !names[i].empty() ? names[i] : "column " + std::to_string(i + 1);
}

// What the input row adds to its outcome's row: where it is, the place as it gave it, and
// its own fields with --keep-columns.
void AddJoinedInput(const JoinedInput& input, const std::vector<std::string>& names,
                    nlohmann::json& row) {
  row["line"] = input.line;
  if (input.row != 0) row["row"] = input.row;
  if (!input.query.empty()) row["query"] = input.query;
  if (input.same_as != 0) row["same_as"] = input.same_as;
  if (!input.skipped.empty()) {
    row["status"] = "skipped";
    row["note"] = input.skipped;
    for (const char* unset : {"id", "attempts", "worker", "run_ms"}) row.erase(unset);
  }
  if (input.columns.empty()) return;
  nlohmann::json columns = nlohmann::json::object();
  for (std::size_t i = 0; i < input.columns.size(); ++i) {
    columns[ColumnName(names, i)] = input.columns[i];
  }
  row["columns"] = std::move(columns);
}

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

// A CSV field as RFC 4180 writes it: quoted by libcsv when it holds a separator, a quote or
// a line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted(2 * text.size() + 2, '\0');
  quoted.resize(csv_write(quoted.data(), quoted.size(), text.data(), text.size()));
  return quoted;
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
  return CsvField(text);
}

// Rows are kept in memory and written whole with write(2), so a failure is seen with its
// errno, and the file can be cut back to the rows that were complete.
class FileWriter : public ResultWriter {
 public:
  FileWriter(const std::filesystem::path& path, bool append)
      : path_(path),
        fd_(path == kStdoutPath
                ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
                : open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                       0644)) {
    if (fd_ < 0) {
      throw std::runtime_error("cannot write results to " + path.string() + ": " +
                               ErrnoText(errno));
    }
    struct stat file {};
    regular_ = fstat(fd_, &file) == 0 && S_ISREG(file.st_mode);
    const off_t end = regular_ ? lseek(fd_, 0, SEEK_END) : 0;
    whole_size_ = end > 0 ? end : 0;
  }
  ~FileWriter() override { close(fd_); }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void SetInputColumns(const std::vector<std::string>& names) override { input_columns_ = names; }

  void Flush() override {
    last_flush_ = std::chrono::steady_clock::now();
    std::size_t done = 0;
    while (done < pending_.size()) {
      const ssize_t n = write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Fail(n < 0 ? errno : ENOSPC);
      done += static_cast<std::size_t>(n);
    }
    whole_size_ += static_cast<off_t>(pending_.size());
    pending_.clear();
  }

 protected:
  // Rows reach the file at least this often, so a watcher (or a killed run) sees them, and
  // at most this much waits in memory.
  static constexpr std::chrono::milliseconds kFlushInterval{1000};
  static constexpr std::size_t kMaxPending = 1 << 20;

  bool had_content() const { return whole_size_ > 0; }
  const std::vector<std::string>& input_columns() const { return input_columns_; }

  nlohmann::json RowJson(const OutcomeRow& outcome, const JoinedInput* input) const {
    nlohmann::json row = JsonRow(outcome);
    if (input != nullptr) AddJoinedInput(*input, input_columns_, row);
    return row;
  }

  void Put(const std::string& row) {
    pending_ += row;
    if (pending_.size() >= kMaxPending ||
        std::chrono::steady_clock::now() - last_flush_ >= kFlushInterval) {
      Flush();
    }
  }

 private:
  [[noreturn]] void Fail(int error) {
    pending_.clear();
    // No half row stays behind: a resumed run appends after the last whole one. (A pipe or
    // a terminal cannot be cut back.)
    if (regular_ && ftruncate(fd_, whole_size_) != 0) {
      throw WriteError(path_.string() + ": " + ErrnoText(error) +
                       " (and cutting it back to its last whole row failed too)");
    }
    throw WriteError(path_.string() + ": " + ErrnoText(error));
  }

  std::filesystem::path path_;
  int fd_;
  bool regular_ = false;  // a regular file (not a pipe, a terminal or /dev/full)
  off_t whole_size_ = 0;  // bytes of whole rows in the file
  std::string pending_;
  std::vector<std::string> input_columns_;  // --keep-columns: the input's column names
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

class JsonLinesWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  void WriteRow(const OutcomeRow& outcome, const JoinedInput* input) override {
    Put(RowJson(outcome, input).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        '\n');
  }
};

// Every kind's columns, in one header; rows leave the others' empty.
constexpr const char* kAllColumns[] = {
    "id",     "kind",     "line",   "row",    "query",  "same_as", "path",   "status",
    "lat",    "lon",      "formatted_address",  "country_code", "provider", "match", "confidence",
    "ambiguous", "type",  "title",  "words",  "note",   "job_id", "input",  "command",
    "exit",   "signal",   "stdout", "stderr", "output", "attempts", "worker", "run_ms",
    "error_code", "error"};
// With --keep-columns the file is the user's table with the answers beside it: the
// geocoding columns only.
constexpr const char* kJoinedColumns[] = {
    "line",   "row",   "query",   "same_as", "status", "lat", "lon", "formatted_address",
    "country_code", "provider", "match", "confidence", "ambiguous", "note", "attempts", "error_code", "error"};

class CsvWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  // The input's own columns first (--keep-columns), then taskfarm's.
  void WriteRow(const OutcomeRow& outcome, const JoinedInput* input) override {
    if (columns_.empty()) ChooseColumns();
    std::string line;
    if (!header_written_ && !had_content()) {
      for (const std::string& name : input_columns()) line += CsvField(name) + ',';
      line += header_ + '\n';
      header_written_ = true;
    }
    for (std::size_t i = 0; i < input_columns().size(); ++i) {
      if (input != nullptr && i < input->columns.size()) line += CsvField(input->columns[i]);
      line += ',';
    }
    const nlohmann::json row = RowJson(outcome, input);
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) line += ',';
      if (row.contains(columns_[i])) line += CsvField(row[columns_[i]]);
    }
    Put(line + '\n');
  }

 private:
  // A column of ours that the input has too is named taskfarm_NAME, so the user's columns
  // come back as they were and every name in the header is one column.
  void ChooseColumns() {
    const auto& names = input_columns();
    if (names.empty()) {
      columns_.assign(std::begin(kAllColumns), std::end(kAllColumns));
    } else {
      columns_.assign(std::begin(kJoinedColumns), std::end(kJoinedColumns));
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const bool taken = std::find(names.begin(), names.end(), columns_[i]) != names.end();
      header_ += (i ? "," : "") + std::string(taken ? "taskfarm_" : "") + columns_[i];
    }
  }

  std::vector<std::string> columns_;  // the row keys written, in order
  std::string header_;                // their names in the header
  bool header_written_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> OpenResultWriter(const std::filesystem::path& path, bool append) {
  const std::string ext = path.extension().string();
  if (ext == ".jsonl") return std::make_unique<JsonLinesWriter>(path, append);
  if (ext == ".csv") return std::make_unique<CsvWriter>(path, append);
  if (ext == ".json") {
    throw std::invalid_argument("--out " + path.string() +
                                ": results are JSON Lines, one object per line: name the file "
                                ".jsonl (or .csv)");
  }
  // stdout, a pipe or a device (/dev/stdout, a FIFO): JSON Lines, written as they come.
  std::error_code ec;
  const auto type = std::filesystem::status(path, ec).type();
  if (path == kStdoutPath || type == std::filesystem::file_type::fifo ||
      type == std::filesystem::file_type::character) {
    return std::make_unique<JsonLinesWriter>(path, append);
  }
  throw std::invalid_argument("--out " + path.string() +
                              ": unknown extension; use .jsonl or .csv (or - for stdout)");
}

}  // namespace taskfarm

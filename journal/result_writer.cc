#include "journal/result_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "journal/row_formats.h"
#include "shared/replacement_strings.h"
#include "shared/system_text.h"

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
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

class JsonLinesWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  void Write(const OutcomeRow& outcome) override {
    Put(JsonRow(outcome).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n');
  }
};

class CsvWriter : public FileWriter {
 public:
  using FileWriter::FileWriter;
  void Write(const OutcomeRow& outcome) override {
    static const char* const kColumns[] = {
        "id",     "kind",     "line",   "query",  "path",   "status", "lat",   "lon",
        "formatted_address",  "provider", "match", "confidence", "ambiguous", "type",   "title",  "words",  "job_id", "input",
        "command", "exit",    "signal",   "stdout", "stderr", "output", "attempts",
        "worker", "run_ms",   "error_code", "error"};
    std::string line;
    if (!header_written_ && !had_content()) {
      for (std::size_t i = 0; i < std::size(kColumns); ++i) line += (i ? "," : "") + std::string(kColumns[i]);
      line += '\n';
      header_written_ = true;
    }
    const nlohmann::json row = JsonRow(outcome);
    for (std::size_t i = 0; i < std::size(kColumns); ++i) {
      if (i) line += ',';
      if (row.contains(kColumns[i])) line += CsvField(row[kColumns[i]]);
    }
    Put(line + '\n');
  }

 private:
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

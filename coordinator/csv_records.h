#pragma once
// CsvRecords: the records of a CSV file, read one at a time by libcsv (RFC 4180: quoted
// fields with the separator, doubled quotes and line breaks inside them; CR LF or LF; blank
// lines skipped; a UTF-8 byte order mark before the header dropped). Memory: one record,
// whatever the file: a record over kMaxRecordBytes is returned as too long, without its
// fields, and a field that runs past kMaxFieldBytes (a quote opened and never closed) stops
// the reading with InputError naming the line where its record began.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/input_lines.h"

struct csv_parser;

namespace taskfarm {

struct CsvRecord {
  std::vector<std::string> fields;
  uint64_t line = 0;      // the line the record begins on (1-based)
  uint64_t number = 0;    // the record's place in the file, from 1 (a header is record 1)
  bool too_long = false;  // over kMaxRecordBytes: `fields` is empty
};

class CsvRecords {
 public:
  static constexpr std::size_t kMaxRecordBytes = InputLines::kMaxInputBytes;
  static constexpr std::size_t kMaxFieldBytes = 4 * kMaxRecordBytes;

  /// Reads `path` ('-': stdin) with `delimiter` between fields. Throws InputError, naming
  /// `flag` and the path, when it cannot be opened.
  CsvRecords(const std::string& path, char delimiter, const std::string& flag);
  ~CsvRecords();
  CsvRecords(const CsvRecords&) = delete;
  CsvRecords& operator=(const CsvRecords&) = delete;

  /// The next record; nullopt at the end. Throws InputError for a quote never closed.
  std::optional<CsvRecord> Next();

 private:
  static void EndField(void* bytes, std::size_t size, void* self);
  static void EndRecord(int terminator, void* self);
  void Feed(const std::string& text);
  [[noreturn]] void FailUnclosedQuote() const;

  std::string where_;  // "--geocode FILE", for messages
  InputLines lines_;
  std::unique_ptr<csv_parser> parser_;
  CsvRecord building_;
  std::size_t building_bytes_ = 0;
  std::deque<CsvRecord> ready_;
  uint64_t records_ = 0;
  uint64_t current_line_ = 0;  // the line being fed
  bool ended_ = false;
};

}  // namespace taskfarm

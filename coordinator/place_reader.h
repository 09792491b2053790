#pragma once
// PlaceReader: one pass over a --geocode input, a row at a time: a line of a plain file
// (blank lines and '#' comments are no rows), or a record of a CSV file read by CsvRecords:
// `--column NAME` names a column of its header (which is no row); `--column N`, a number,
// the Nth field of a file without a header (its columns are then "column 1", ...). The run's task source reads the input with it,
// and so does the output join that gives every input row its own row in --out: both see the
// same rows in the same order. Memory: one row, plus the duplicate finder's 32 bytes per
// distinct place when it is asked for.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/csv_records.h"
#include "coordinator/fingerprint_set.h"
#include "coordinator/input_lines.h"

namespace taskfarm {

struct GeocodeInput;

struct PlaceRow {
  enum class Kind {
    kPlace,      // a place to look up
    kDuplicate,  // a place an earlier row holds (after folding case, accents and spaces)
    kRefused,    // cannot be a place: `text` says why ("line N: not valid UTF-8")
    kEmpty,      // a CSV record whose place column is empty
  };
  Kind kind = Kind::kPlace;
  std::string text;    // the place, trimmed; or why the row is refused
  std::string folded;  // the place folded, the key that finds its duplicates
  uint64_t line = 0;   // the line the row begins on (1-based)
  uint64_t row = 0;    // a CSV record's number after the header (from 1); 0 in a plain file
  std::vector<std::string> fields;  // a CSV record's fields, when the reader keeps them
};

class PlaceReader {
 public:
  static constexpr std::size_t kMaxPlaceBytes = 512;

  /// Reads `path` (the input, or stdin's spooled copy) as `input` describes it; `input`
  /// must outlive the reader. Throws
  /// InputError when it cannot be opened, or a CSV header lacks the column. With
  /// `find_duplicates`, a place an earlier row holds comes back as kDuplicate; without, as
  /// kPlace. With `keep_fields`, CSV rows carry their fields.
  PlaceReader(const std::string& path, const GeocodeInput& input, bool find_duplicates,
              bool keep_fields);
  ~PlaceReader();

  /// The next row; nullopt at the end. Throws InputError for a CSV quote never closed.
  std::optional<PlaceRow> Next();
  /// A CSV file's column names (empty for a plain file).
  const std::vector<std::string>& header() const { return header_; }

 private:
  std::optional<PlaceRow> NextPlainRow();
  std::optional<PlaceRow> NextCsvRow();
  void ReadHeader();
  /// A file without a header: its columns are named by position, after its first record.
  void NameColumnsByPosition(std::size_t position);
  /// Classifies `row` whose `text` holds the place as found.
  void Classify(PlaceRow& row);

  const GeocodeInput& input_;
  std::string path_;
  std::unique_ptr<InputLines> lines_;  // a plain file
  std::unique_ptr<CsvRecords> csv_;    // a CSV file
  std::vector<std::string> header_;
  std::size_t column_ = 0;
  uint64_t header_records_ = 1;             // records before the first row: 0 or 1
  std::optional<CsvRecord> first_record_;  // read to count the columns, not yet returned
  bool keep_fields_ = false;
  std::unique_ptr<FingerprintSet> seen_;  // with find_duplicates
};

/// Throws InputError for a .csv input given without --column, naming the columns its
/// header has, so the user can pick one (it would be geocoded a whole record a line).
void RefuseCsvWithoutColumn(const GeocodeInput& input);

}  // namespace taskfarm

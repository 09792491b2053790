#include "coordinator/place_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "coordinator/geocode_source.h"
#include "shared/place_folding.h"
#include "shared/utf8.h"

namespace taskfarm {
namespace {

constexpr const char* kFlag = "--geocode";

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

// `--column 3`: a column by its position, from 1, in a file without a header.
std::optional<std::size_t> ColumnPosition(const std::string& column) {
  if (column.empty() || column.size() > 4 ||
      column.find_first_not_of("0123456789") != std::string::npos || column == "0") {
    return std::nullopt;
  }
  return std::stoul(column);
}

void Refuse(PlaceRow& row, std::string_view why) {
  row.kind = PlaceRow::Kind::kRefused;
  row.text = fmt::format("line {}: {}", row.line, why);
  row.folded.clear();
}

std::string TooLong() { return fmt::format("longer than {} bytes", PlaceReader::kMaxPlaceBytes); }

}  // namespace

PlaceReader::PlaceReader(const std::string& path, const GeocodeInput& input, bool find_duplicates,
                         bool keep_fields)
    : input_(input), path_(path), keep_fields_(keep_fields) {
  if (find_duplicates) seen_ = std::make_unique<FingerprintSet>();
  if (input.column.empty()) {
    lines_ = std::make_unique<InputLines>(path, /*null_separated=*/false, kFlag);
    return;
  }
  csv_ = std::make_unique<CsvRecords>(path, input.delimiter, kFlag);
  if (const std::optional<std::size_t> position = ColumnPosition(input.column)) {
    NameColumnsByPosition(*position);
  } else {
    ReadHeader();
  }
}

void PlaceReader::NameColumnsByPosition(std::size_t position) {
  header_records_ = 0;
  column_ = position - 1;
  first_record_ = csv_->Next();
  const std::size_t columns = first_record_ ? first_record_->fields.size() : 0;
  for (std::size_t i = 1; i <= columns; ++i) header_.push_back("column " + std::to_string(i));
}

PlaceReader::~PlaceReader() = default;

void PlaceReader::ReadHeader() {
  std::optional<CsvRecord> names = csv_->Next();
  if (names) {
    for (const std::string& name : names->fields) header_.push_back(Trim(name));
  }
  const auto column = std::find(header_.begin(), header_.end(), input_.column);
  if (column == header_.end()) {
    throw InputError(fmt::format(
        "{} {}: the header has no column '{}' (it has: {})", kFlag, input_.path, input_.column,
        header_.empty() ? "nothing" : fmt::format("{}", fmt::join(header_, ", "))));
  }
  column_ = static_cast<std::size_t>(column - header_.begin());
}

std::optional<PlaceRow> PlaceReader::Next() { return csv_ ? NextCsvRow() : NextPlainRow(); }

std::optional<PlaceRow> PlaceReader::NextPlainRow() {
  while (std::optional<InputLine> line = lines_->Next()) {
    if (line->number == 1) line->text = std::string(WithoutByteOrderMark(line->text));
    PlaceRow row;
    row.line = line->number;
    if (line->too_long) {
      Refuse(row, TooLong());
      return row;
    }
    row.text = Trim(line->text);
    if (row.text.empty() || row.text[0] == '#') continue;
    Classify(row);
    return row;
  }
  return std::nullopt;
}

std::optional<PlaceRow> PlaceReader::NextCsvRow() {
  std::optional<CsvRecord> record = first_record_ ? std::move(first_record_) : csv_->Next();
  first_record_.reset();
  if (!record) return std::nullopt;
  PlaceRow row;
  row.line = record->line;
  row.row = record->number - header_records_;
  if (record->too_long) {
    Refuse(row, fmt::format("a record longer than {} bytes", CsvRecords::kMaxRecordBytes));
    return row;
  }
  if (column_ < record->fields.size()) row.text = Trim(record->fields[column_]);
  if (keep_fields_) row.fields = std::move(record->fields);
  if (row.text.empty()) {
    row.kind = PlaceRow::Kind::kEmpty;
    return row;
  }
  Classify(row);
  return row;
}

void PlaceReader::Classify(PlaceRow& row) {
  if (!IsValidUtf8(row.text)) return Refuse(row, "not valid UTF-8");
  if (row.text.size() > kMaxPlaceBytes) return Refuse(row, TooLong());
  row.folded = FoldPlaceName(row.text);
  if (seen_ && !seen_->Insert(row.folded)) row.kind = PlaceRow::Kind::kDuplicate;
}

void RefuseCsvWithoutColumn(const GeocodeInput& input) {
  std::string extension = std::filesystem::path(input.path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!input.column.empty() || extension != ".csv") return;
  CsvRecords records(input.path, input.delimiter, kFlag);
  std::vector<std::string> names;
  if (std::optional<CsvRecord> header = records.Next()) {
    for (const std::string& name : header->fields) names.push_back(Trim(name));
  }
  throw InputError(fmt::format(
      "{} {}: a CSV file: name the column of places with --column (its "
      "header has: {})",
      kFlag, input.path, names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace taskfarm

#include "coordinator/csv_records.h"

#include <csv.h>
#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

#include "coordinator/task_source.h"  // InputError
#include "shared/utf8.h"

namespace taskfarm {
namespace {

// libcsv's parser states (csv.h keeps them private to libcsv.c): no record begun yet, and
// inside a field. A quoted field in the second state at the end of the file never closed.
constexpr int kRecordNotBegun = 0;
constexpr int kInsideField = 2;

// libcsv grows its field buffer with realloc; refusing past the limit bounds the memory a
// quote that is never closed can take (csv_parse then stops with CSV_ENOMEM).
void* BoundedRealloc(void* block, std::size_t size) {
  if (size > CsvRecords::kMaxFieldBytes + 1024) return nullptr;
  return std::realloc(block, size);
}

}  // namespace

CsvRecords::CsvRecords(const std::string& path, char delimiter, const std::string& flag)
    : where_(flag + " " + path),
      lines_(path, /*null_separated=*/false, flag),
      parser_(std::make_unique<csv_parser>()) {
  if (csv_init(parser_.get(), CSV_APPEND_NULL) != 0) throw InputError(where_ + ": out of memory");
  csv_set_delim(parser_.get(), static_cast<unsigned char>(delimiter));
  csv_set_realloc_func(parser_.get(), BoundedRealloc);
  // libcsv trims spaces and tabs around unquoted fields by default: a field is kept as the
  // file has it (the place is trimmed where it is read; the input's columns come back whole).
  csv_set_space_func(parser_.get(), [](unsigned char) { return 0; });
}

CsvRecords::~CsvRecords() { csv_free(parser_.get()); }

void CsvRecords::EndField(void* bytes, std::size_t size, void* self) {
  auto& reader = *static_cast<CsvRecords*>(self);
  reader.building_bytes_ += size + 1;
  if (reader.building_bytes_ > kMaxRecordBytes) {
    reader.building_.too_long = true;
    reader.building_.fields.clear();
  }
  if (!reader.building_.too_long)
    reader.building_.fields.emplace_back(static_cast<char*>(bytes), size);
}

void CsvRecords::EndRecord(int, void* self) {
  auto& reader = *static_cast<CsvRecords*>(self);
  reader.building_.number = ++reader.records_;
  reader.ready_.push_back(std::move(reader.building_));
  reader.building_ = CsvRecord{};
  reader.building_.line = reader.current_line_;  // another record may begin on this line
  reader.building_bytes_ = 0;
}

void CsvRecords::Feed(const std::string& text) {
  const std::size_t used =
      csv_parse(parser_.get(), text.data(), text.size(), EndField, EndRecord, this);
  if (used == text.size()) return;
  if (csv_error(parser_.get()) == CSV_ENOMEM) FailUnclosedQuote();
  throw InputError(fmt::format("{}: the record that begins on line {} cannot be read: {}", where_,
                               building_.line, csv_strerror(csv_error(parser_.get()))));
}

void CsvRecords::FailUnclosedQuote() const {
  throw InputError(
      fmt::format("{}: the quote in the record that begins on line {} is never "
                  "closed (a field ran past {} MiB)",
                  where_, building_.line, kMaxFieldBytes >> 20));
}

std::optional<CsvRecord> CsvRecords::Next() {
  while (ready_.empty() && !ended_) {
    std::optional<InputLine> line = lines_.Next();
    if (!line) {
      ended_ = true;
      if (parser_->quoted && parser_->pstate == kInsideField) {
        throw InputError(
            fmt::format("{}: the quote in the record that begins on line {} is "
                        "never closed before the end of the file",
                        where_, building_.line));
      }
      csv_fini(parser_.get(), EndField, EndRecord, this);
      break;
    }
    if (line->number == 1) line->text = std::string(WithoutByteOrderMark(line->text));
    current_line_ = line->number;
    // A record begins on the first line fed while none is begun (blank lines begin none).
    if (parser_->pstate == kRecordNotBegun) building_.line = line->number;
    if (line->too_long) building_.too_long = true;
    line->text += '\n';
    Feed(line->text);
  }
  if (ready_.empty()) return std::nullopt;
  CsvRecord record = std::move(ready_.front());
  ready_.pop_front();
  return record;
}

}  // namespace taskfarm

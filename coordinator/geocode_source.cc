#include "coordinator/geocode_source.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "coordinator/fingerprint_set.h"
#include "coordinator/input_lines.h"
#include "shared/builtin_payloads.h"
#include "shared/kinds.h"
#include "shared/place_folding.h"
#include "shared/utf8.h"

namespace taskfarm {
namespace {

// A byte order mark some editors put before the first line (and so before a CSV header).
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::vector<std::string> SplitCsvRecord(const std::string& line, char delimiter) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

// One pass over the input: the places in input order, each once, and the lines refused.
class PlaceReader {
 public:
  struct Line {
    bool refused = false;
    std::string text;  // the place, or why the line is refused
    uint64_t number = 0;
  };

  PlaceReader(const std::string& path, const GeocodeInput& input)
      : lines_(path, /*null_separated=*/false, "--geocode"), input_(input) {}

  std::optional<Line> Next() {
    while (std::optional<InputLine> next = lines_.Next()) {
      if (std::optional<Line> line = Read(*next)) return line;
    }
    return std::nullopt;
  }
  uint64_t duplicates() const { return duplicates_; }

 private:
  static Line Refused(uint64_t line_number, std::string_view why) {
    return {true, fmt::format("line {}: {}", line_number, why)};
  }
  static Line TooLong(uint64_t line_number) {
    return Refused(line_number, fmt::format("longer than {} bytes", GeocodeSource::kMaxPlaceBytes));
  }

  // The place on `next`, or why it is refused; nullopt for a line that holds none.
  std::optional<Line> Read(InputLine& next) {
    std::string& line = next.text;
    if (next.number == 1 && line.rfind(kUtf8Bom, 0) == 0) line.erase(0, kUtf8Bom.size());
    if (next.too_long) return TooLong(next.number);
    if (!input_.column.empty() && !column_) {
      ReadHeader(line);
      return std::nullopt;
    }
    std::string place = line;
    if (column_) {
      const auto fields = SplitCsvRecord(line, input_.delimiter);
      place = *column_ < fields.size() ? fields[*column_] : std::string();
    }
    place = Trim(place);
    if (place.empty() || place[0] == '#') return std::nullopt;
    if (!IsValidUtf8(place)) return Refused(next.number, "not valid UTF-8");
    if (place.size() > GeocodeSource::kMaxPlaceBytes) return TooLong(next.number);
    if (!seen_.Insert(FoldPlaceName(place))) {
      ++duplicates_;
      return std::nullopt;
    }
    return Line{false, std::move(place), next.number};
  }

  void ReadHeader(const std::string& line) {
    const auto names = SplitCsvRecord(line, input_.delimiter);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (Trim(names[i]) == input_.column) column_ = i;
    }
    if (!column_) {
      throw InputError(fmt::format("--geocode {}: the header has no column '{}'", input_.path,
                                   input_.column));
    }
  }

  InputLines lines_;
  const GeocodeInput& input_;
  std::optional<std::size_t> column_;
  FingerprintSet seen_;
  uint64_t duplicates_ = 0;
};

namespace {

// A .csv given without --column would be geocoded a whole record a line: refused, naming the
// columns the header has, so the user can pick one.
void RefuseCsvWithoutColumn(const GeocodeInput& input) {
  const std::filesystem::path path(input.path);
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!input.column.empty() || extension != ".csv") return;
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  if (header.rfind(kUtf8Bom, 0) == 0) header.erase(0, kUtf8Bom.size());
  std::string columns;
  for (const std::string& name : SplitCsvRecord(header, input.delimiter)) {
    columns += (columns.empty() ? "" : ", ") + Trim(name);
  }
  throw InputError(fmt::format("--geocode {}: a CSV file: name the column of places with "
                               "--column (its header has: {})",
                               input.path, columns.empty() ? "nothing" : columns));
}

}  // namespace

GeocodeSource::GeocodeSource(const GeocodeInput& input, const GeocodeCache& cache)
    : input_(input), cache_(cache), path_(input.path) {
  RefuseCsvWithoutColumn(input);
  if (path_ == "-") {
    spooled_ = std::make_unique<SpooledStdin>("--geocode");
    path_ = spooled_->path();
  }
  PlaceReader count(path_, input_);
  while (std::optional<PlaceReader::Line> line = count.Next()) {
    if (line->refused) {
      ++rejects_;
      continue;
    }
    ++places_;
    if (cache_ && cache_(CacheKey(line->text))) ++cache_hits_;
  }
  duplicates_ = count.duplicates();
}

GeocodeSource::~GeocodeSource() = default;

std::string GeocodeSource::CacheKey(std::string_view query) const {
  return GeocodeCacheKey(query, input_.providers, input_.country, input_.candidates);
}

std::map<std::string, uint64_t> GeocodeSource::KindCounts() const {
  std::map<std::string, uint64_t> counts;
  if (places_ > 0) counts[std::string(kinds::kGeocode)] = places_;
  if (rejects_ > 0) counts[std::string(kinds::kReject)] = rejects_;
  return counts;
}

std::optional<TaskSpec> GeocodeSource::Next() {
  if (!reader_) reader_ = std::make_unique<PlaceReader>(path_, input_);
  std::optional<PlaceReader::Line> line = reader_->Next();
  if (!line) return std::nullopt;
  if (line->refused) return TaskSpec{std::string(kinds::kReject), payloads::EncodeText(line->text)};
  GeocodeRequest request{std::move(line->text), input_.providers, input_.endpoint, {},
                         input_.country, input_.candidates, line->number};
  if (cache_) {
    if (auto answer = cache_(CacheKey(request.query))) {
      request.cached_answer = std::move(*answer);
    }
  }
  return TaskSpec{std::string(kinds::kGeocode), EncodeGeocodeRequest(request)};
}

}  // namespace taskfarm

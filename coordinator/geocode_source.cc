#include "coordinator/geocode_source.h"

#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "coordinator/input_lines.h"
#include "shared/builtin_payloads.h"
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

std::vector<std::string> SplitCsvRecord(const std::string& line) {
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
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

GeocodeSource::GeocodeSource(const GeocodeInput& input, const GeocodeCache& cache) {
  // Lines are read with a bounded length: /dev/zero is one long line, cut and refused.
  InputLines lines(input.path, /*null_separated=*/false, "--geocode");
  std::optional<std::size_t> column;
  std::unordered_set<std::string> seen;
  while (std::optional<InputLine> next = lines.Next()) {
    const uint64_t line_number = next->number;
    std::string& line = next->text;
    if (line_number == 1 && line.rfind(kUtf8Bom, 0) == 0) line.erase(0, kUtf8Bom.size());
    if (next->too_long) {
      specs_.push_back({"reject", payloads::EncodeText(fmt::format(
                                      "line {}: longer than {} bytes", line_number,
                                      kMaxPlaceBytes))});
      continue;
    }
    if (!input.column.empty() && !column) {  // the header
      const auto names = SplitCsvRecord(line);
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (Trim(names[i]) == input.column) column = i;
      }
      if (!column) {
        throw InputError(fmt::format("--geocode {}: the header has no column '{}'", input.path,
                                     input.column));
      }
      continue;
    }
    std::string place = line;
    if (column) {
      const auto fields = SplitCsvRecord(line);
      place = *column < fields.size() ? fields[*column] : std::string();
    }
    place = Trim(place);
    if (place.empty() || place[0] == '#') continue;
    if (!IsValidUtf8(place)) {
      specs_.push_back({"reject", payloads::EncodeText(fmt::format(
                                      "line {}: not valid UTF-8", line_number))});
      continue;
    }
    if (place.size() > kMaxPlaceBytes) {
      specs_.push_back({"reject", payloads::EncodeText(fmt::format(
                                      "line {}: longer than {} bytes", line_number,
                                      kMaxPlaceBytes))});
      continue;
    }
    if (!seen.insert(FoldPlaceName(place)).second) {
      ++duplicates_;
      continue;
    }
    AddPlace(place, input, cache);
  }
}

void GeocodeSource::AddPlace(const std::string& place, const GeocodeInput& input,
                             const GeocodeCache& cache) {
  GeocodeRequest request{place, input.providers, input.endpoint, {}};
  if (cache) {
    if (auto answer = cache(GeocodeCacheKey(place, input.providers))) {
      request.cached_answer = std::move(*answer);
      ++cache_hits_;
    }
  }
  specs_.push_back({"geocode", EncodeGeocodeRequest(request)});
}

std::map<std::string, uint64_t> GeocodeSource::KindCounts() const {
  std::map<std::string, uint64_t> counts;
  for (const TaskSpec& spec : specs_) ++counts[spec.kind];
  return counts;
}

std::optional<TaskSpec> GeocodeSource::Next() {
  if (next_ >= specs_.size()) return std::nullopt;
  return specs_[next_++];
}

}  // namespace taskfarm

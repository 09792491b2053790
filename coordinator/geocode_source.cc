#include "coordinator/geocode_source.h"

#include <fstream>
#include <iostream>
#include <unordered_set>

#include <fmt/format.h>

#include "shared/builtin_payloads.h"
#include "shared/place_folding.h"
#include "shared/utf8.h"

namespace taskfarm {
namespace {

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
  std::ifstream file;
  if (input.path != "-") {
    file.open(input.path, std::ios::binary);
    if (!file) throw InputError("--geocode " + input.path + ": cannot read the file");
  }
  std::istream& in = input.path == "-" ? std::cin : file;
  std::optional<std::size_t> column;
  std::unordered_set<std::string> seen;
  uint64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
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

#include "coordinator/geocode_source.h"

#include <fstream>
#include <iostream>
#include <unordered_set>

#include <fmt/format.h>

#include "shared/builtin_payloads.h"
#include "shared/place_folding.h"

namespace taskfarm {
namespace {

// Well-formed UTF-8: no stray continuation bytes, no overlong forms, no surrogates.
bool ValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    uint32_t smallest;
    if ((lead & 0xe0) == 0xc0) {
      length = 2, smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, smallest = 0x10000;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    uint32_t code_point = lead & (0xff >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    if (code_point < smallest || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

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
    if (!ValidUtf8(place)) {
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

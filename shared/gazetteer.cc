#include "shared/gazetteer.h"

#include <algorithm>
#include <set>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shared/place_folding.h"

namespace taskfarm {
namespace {

namespace format = gazetteer_format;

constexpr const char* kCompiledProvidedBy =
    "run scripts/fetch-gazetteer and build, or set TASKFARM_GAZETTEER or --gazetteer";

// Ranking. A country outranks every city of its English name, and by a name in another
// language counts as a city of three million; otherwise prominence is the log of the
// population, lifted for admin seats, for capitals (less when the name is only one of the
// capital's others: "Philadelphia" is also an old name of Amman), and for the place's own
// (main) name. The lifts are in tenfolds of population.
constexpr double kCountryScore = 100;
// An admin-1 area's feature code (its prominence is its largest place's population).
constexpr std::string_view kAdminAreaCode = "ADM1";
constexpr double kCountryByOtherNameScore = 6.5;
constexpr double kCapitalLift = 1.5;
constexpr double kCapitalByOtherNameLift = 0.5;
constexpr double kAdminSeatLift = 0.3;
constexpr double kMainNameLift = 0.5;
// A namesake at least this far away and within this much prominence makes a name ambiguous
// (a sixth of the winner's population, say).
constexpr double kAmbiguousDistanceKm = 50;
constexpr double kAmbiguousScoreGap = 0.8;

std::string ReadWhole(const std::filesystem::path& path, const char* provided_by) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("gazetteer: cannot read " + path.string() + " (" + provided_by + ")");
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t at = 0;
  for (;;) {
    const auto tab = line.find('\t', at);
    fields.push_back(line.substr(at, tab - at));
    if (tab == std::string::npos) return fields;
    at = tab + 1;
  }
}

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

double DistanceKm(const Place& a, const Place& b) {
  constexpr double kRadians = 3.14159265358979323846 / 180;
  const double dlat = (b.lat - a.lat) * kRadians, dlon = (b.lon - a.lon) * kRadians;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRadians) * std::cos(b.lat * kRadians) *
                       std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 6371 * std::asin(std::min(1.0, std::sqrt(h)));
}

// How sure a kind of match is by itself: a place's own name, another of its names (an
// exonym, a native script, a former name, an alias), or a spelling one edit away.
double MatchWeight(MatchKind match) {
  switch (match) {
    case MatchKind::kExact: return 1.0;
    case MatchKind::kAlias: return 0.9;
    case MatchKind::kFuzzy: return 0.6;
  }
  return 0.6;
}

// `relative` (a path under data/) where the first of these has it: an installed prefix
// (PREFIX/bin/taskfarm -> PREFIX/share/taskfarm), the build directory the binary is in, the
// build it was built in, the checkout it was built from, /usr/share/taskfarm. When none has
// it, the last.
std::filesystem::path FindDataFile(const std::filesystem::path& executable,
                                   const std::filesystem::path& relative) {
  const std::filesystem::path prefix = executable.parent_path().parent_path();
  for (const std::filesystem::path& data :
       {prefix / "share" / "taskfarm", executable.parent_path() / "data",
        std::filesystem::path(TASKFARM_BUILD_DATA_DIR),
        std::filesystem::path(TASKFARM_SOURCE_DATA_DIR)}) {
    if (std::filesystem::exists(data / relative)) return data / relative;
  }
  return std::filesystem::path("/usr/share/taskfarm") / relative;
}

}  // namespace

std::string_view MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kExact: return "exact";
    case MatchKind::kAlias: return "alias";
    case MatchKind::kFuzzy: return "fuzzy";
  }
  return "exact";
}

std::filesystem::path Gazetteer::DefaultDataDir(const std::filesystem::path& executable) {
  if (const char* env = std::getenv("TASKFARM_GAZETTEER"); env != nullptr && *env != '\0') {
    return env;
  }
  return FindDataFile(executable, std::filesystem::path("geonames") / format::kNamesFile)
      .parent_path();
}

std::filesystem::path Gazetteer::DefaultAliasesFile(const std::filesystem::path& executable) {
  return FindDataFile(executable, "aliases.tsv");
}

std::optional<Gazetteer::MissingFile> Gazetteer::FirstMissingFile(
    const std::filesystem::path& data_dir) {
  for (const char* file : {format::kPlacesFile, format::kRegionsFile, format::kNamesFile}) {
    if (!std::filesystem::is_regular_file(data_dir / file)) {
      return MissingFile{data_dir / file, kCompiledProvidedBy};
    }
  }
  return std::nullopt;
}

std::unique_ptr<Gazetteer> Gazetteer::Load(const std::filesystem::path& data_dir,
                                           const std::filesystem::path& aliases_file) {
  std::unique_ptr<Gazetteer> gazetteer(new Gazetteer());
  gazetteer->LoadPlaces(data_dir / format::kPlacesFile);
  gazetteer->LoadRegions(data_dir / format::kRegionsFile);
  gazetteer->LoadNames(data_dir / format::kNamesFile);
  if (!aliases_file.empty() && std::filesystem::exists(aliases_file)) {
    gazetteer->LoadAliases(aliases_file);
  }
  return gazetteer;
}

void Gazetteer::LoadPlaces(const std::filesystem::path& tsv) {
  std::istringstream lines(ReadWhole(tsv, kCompiledProvidedBy));
  std::string line;
  const std::string header = "# taskfarm gazetteer " + std::to_string(format::kVersion);
  if (!std::getline(lines, line) || line != header) {
    throw std::runtime_error("gazetteer: " + tsv.string() + " is not '" + header +
                             "' data (build again to compile it)");
  }
  while (std::getline(lines, line)) {
    const std::vector<std::string> f = SplitTabs(line);
    if (f.size() != 7) throw std::runtime_error("gazetteer: " + tsv.string() + ": a malformed line");
    places_.push_back({f[0], f[1], f[2], f[3], std::stoull(f[4]), std::stod(f[5]), std::stod(f[6])});
  }
  if (places_.empty()) throw std::runtime_error("gazetteer: " + tsv.string() + " holds no place");
}

void Gazetteer::LoadRegions(const std::filesystem::path& tsv) {
  std::istringstream lines(ReadWhole(tsv, kCompiledProvidedBy));
  for (std::string line; std::getline(lines, line);) {
    const std::vector<std::string> f = SplitTabs(line);
    if (f[0] == "C" && f.size() == 3) {
      country_names_[f[1]] = f[2];
    } else if (f[0] == "A" && f.size() == 3) {
      admin1_names_[f[1]] = f[2];
    } else if (f[0] == "Q" && f.size() == 4) {
      qualifiers_.emplace(f[1], Region{f[2], f[3]});
    }
  }
}

void Gazetteer::LoadNames(const std::filesystem::path& bin) {
  const std::string data = ReadWhole(bin, kCompiledProvidedBy);
  const std::size_t header = sizeof(format::kNamesMagic) + sizeof(uint64_t);
  uint64_t count = 0;
  if (data.size() >= header) std::memcpy(&count, data.data() + sizeof(format::kNamesMagic), sizeof(count));
  // The count is checked against the file's size before it is multiplied (no overflow).
  if (data.size() < header || std::memcmp(data.data(), format::kNamesMagic, sizeof(format::kNamesMagic)) != 0 ||
      count != (data.size() - header) / sizeof(format::NameEntry) ||
      (data.size() - header) % sizeof(format::NameEntry) != 0) {
    throw std::runtime_error("gazetteer: " + bin.string() + " is not compiled names (build again)");
  }
  names_.resize(count);
  std::memcpy(names_.data(), data.data() + header, count * sizeof(format::NameEntry));
  for (const format::NameEntry& entry : names_) {
    if (entry.place >= places_.size()) {
      throw std::runtime_error("gazetteer: " + bin.string() + " names a place that is not there");
    }
  }
}

void Gazetteer::LoadAliases(const std::filesystem::path& tsv) {
  std::istringstream lines(
      ReadWhole(tsv, "taskfarm's data/aliases.tsv, installed beside the gazetteer"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = SplitTabs(line);
    if (f.size() < 2) continue;
    const std::string country = f.size() > 2 ? f[2] : "";
    // The alias points at the most prominent place of that main name in that country.
    std::vector<Candidate> named;
    AddByName(FoldPlaceName(f[1]), MatchKind::kExact, named);
    const Candidate* best = nullptr;
    for (const Candidate& candidate : named) {
      const Place& place = places_[candidate.place];
      if (!candidate.main_name || (!country.empty() && place.country_code != country)) continue;
      if (best == nullptr || Score(candidate) > Score(*best)) best = &candidate;
    }
    if (best != nullptr) aliases_[FoldPlaceName(f[0])].push_back(best->place);
  }
}

std::string Gazetteer::FormattedAddress(const Place& place) const {
  auto country = country_names_.find(place.country_code);
  const std::string country_name = country != country_names_.end() ? country->second : place.country_code;
  if (place.feature_code == "PCLI") return country_name;
  std::string address = place.name;
  auto admin = admin1_names_.find(place.country_code + "." + place.admin1_code);
  if (admin != admin1_names_.end() && admin->second != place.name) address += ", " + admin->second;
  return address + ", " + country_name;
}

void Gazetteer::AddByName(const std::string& folded, MatchKind match,
                          std::vector<Candidate>& out) const {
  const uint64_t hash = format::NameHash(folded);
  auto [first, last] = std::equal_range(
      names_.begin(), names_.end(), format::NameEntry{hash, 0, format::NameKind::kMain},
      [](const format::NameEntry& a, const format::NameEntry& b) { return a.hash < b.hash; });
  for (auto it = first; it != last; ++it) {
    out.push_back({it->place, match, it->kind == format::NameKind::kMain, 0});
  }
}

std::vector<Gazetteer::Candidate> Gazetteer::Candidates(const std::string& folded_name) const {
  std::vector<Candidate> found;
  AddByName(folded_name, MatchKind::kExact, found);
  if (auto it = aliases_.find(folded_name); it != aliases_.end()) {
    for (uint32_t place : it->second) found.push_back({place, MatchKind::kAlias, false, 0});
  }
  if (!found.empty() || folded_name.size() < 4) return found;  // one edit from a short word is another word
  for (const std::string& spelling : OneEditAway(folded_name)) {
    AddByName(spelling, MatchKind::kFuzzy, found);
  }
  return found;
}

bool Gazetteer::Qualifies(const Place& place, const std::vector<std::string>& qualifiers) const {
  for (const std::string& qualifier : qualifiers) {
    auto [first, last] = qualifiers_.equal_range(qualifier);
    const bool met = std::any_of(first, last, [&](const auto& entry) {
      const Region& region = entry.second;
      return region.country == place.country_code &&
             (region.admin1.empty() || region.admin1 == place.admin1_code);
    });
    if (!met) return false;
  }
  return true;
}

double Gazetteer::Score(const Candidate& candidate) const {
  const Place& place = places_[candidate.place];
  if (place.feature_code == "PCLI") {
    return candidate.main_name ? kCountryScore : kCountryByOtherNameScore;
  }
  double score = std::log10(static_cast<double>(place.population) + 10);
  const bool own_name = candidate.main_name || candidate.match == MatchKind::kAlias;
  if (place.feature_code == "PPLC") score += own_name ? kCapitalLift : kCapitalByOtherNameLift;
  if (place.feature_code.rfind("PPLA", 0) == 0) score += kAdminSeatLift;
  // An area's prominence is already its largest place's: its name adds nothing, so a capital
  // known by the name keeps it ("Washington" is the city, the state's largest place being
  // no larger).
  if (own_name && place.feature_code != kAdminAreaCode) score += kMainNameLift;
  return score;
}

// "New York" is the city, not the state that holds it (and then is no namesake that makes
// the name ambiguous); "Ontario", with no city of its name in it, is the province.
void Gazetteer::DropAreasHoldingTheirName(
    std::unordered_map<uint32_t, Candidate>& candidates) const {
  std::set<std::pair<std::string, std::string>> holding;  // areas with a candidate in them
  for (const auto& [index, candidate] : candidates) {
    const Place& place = places_[index];
    if (place.feature_code != kAdminAreaCode) holding.emplace(place.country_code, place.admin1_code);
  }
  std::erase_if(candidates, [&](const auto& entry) {
    const Place& place = places_[entry.first];
    return place.feature_code == kAdminAreaCode &&
           holding.count({place.country_code, place.admin1_code}) > 0;
  });
}

std::optional<GazetteerMatch> Gazetteer::Lookup(std::string_view query,
                                                const LookupOptions& options) const {
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
  // Each place once, as its best way of matching; then the most prominent first.
  std::unordered_map<uint32_t, Candidate> best_of_place;
  for (Candidate& candidate : Candidates(parts[0])) {
    const Place& place = places_[candidate.place];
    if (!options.country.empty() && place.country_code != options.country) continue;
    if (!Qualifies(place, qualifiers)) continue;
    candidate.score = Score(candidate);
    auto [it, inserted] = best_of_place.emplace(candidate.place, candidate);
    if (!inserted && candidate.score > it->second.score) it->second = candidate;
  }
  DropAreasHoldingTheirName(best_of_place);
  if (best_of_place.empty()) return std::nullopt;
  std::vector<Candidate> ranked;
  for (const auto& [place, candidate] : best_of_place) ranked.push_back(candidate);
  std::sort(ranked.begin(), ranked.end(), [this](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return places_[a.place].population > places_[b.place].population;
  });
  const Candidate& winner = ranked.front();
  const Place& best = places_[winner.place];
  const MatchKind kind =
      winner.match == MatchKind::kExact && !winner.main_name ? MatchKind::kAlias : winner.match;
  GazetteerMatch match{&best, FormattedAddress(best), kind, 0, false, {}};
  // Namesakes near the winner are the same place in the data twice (a city and its
  // district); the far ones are the other places the name could mean.
  double total_weight = 0;
  for (const Candidate& candidate : ranked) {
    const Place& place = places_[candidate.place];
    if (&place != &best && DistanceKm(place, best) < kAmbiguousDistanceKm) continue;
    total_weight += std::pow(10.0, candidate.score - winner.score);
    if (&place == &best) continue;
    if (winner.score - candidate.score <= kAmbiguousScoreGap) match.ambiguous = true;
    if (match.alternatives.size() < options.alternatives) {
      match.alternatives.push_back({&place, FormattedAddress(place)});
    }
  }
  match.confidence = std::round(100 * MatchWeight(kind) / total_weight) / 100;
  return match;
}

}  // namespace taskfarm

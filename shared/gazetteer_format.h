#pragma once
// The compiled gazetteer: what `compile-gazetteer` (gazetteer/) writes at build time from
// GeoNames' cities1000 dump, world-countries and iso-codes, and what Gazetteer::Load reads.
// Every name is folded once, at build time (folding 780,000 names with ICU takes about 2.4 s,
// which each worker would otherwise pay), so loading is reading three files.
//
// places.tsv    "# taskfarm gazetteer N" then a place a line, its index its line number from
//               0: name, country (ISO 3166-1 alpha-2), admin-1 code, GeoNames feature code
//               (PPLC a capital, PPLA an admin seat, PCLI a country), population, lat, lon.
// regions.tsv   display names and qualifiers, a tagged line each:
//               C  country code  name             (a country's display name)
//               A  CC.admin1     name             (an admin-1 area's display name)
//               Q  folded text   country  admin1  (a qualifier: "on" -> CA 08, "germany" ->
//                                                 DE with no admin-1, the whole country)
// names.bin     kNamesMagic, a uint64 count, then `count` NameEntry records sorted by hash:
//               every folded name (main, alternate, country names in many languages).

#include <cstdint>
#include <string_view>

namespace taskfarm::gazetteer_format {

inline constexpr int kVersion = 1;
inline constexpr const char* kPlacesFile = "places.tsv";
inline constexpr const char* kRegionsFile = "regions.tsv";
inline constexpr const char* kNamesFile = "names.bin";
inline constexpr char kNamesMagic[8] = {'T', 'F', 'G', 'Z', 'N', 'M', '0', '1'};

/// How a name belongs to its place.
enum class NameKind : uint32_t { kMain = 0, kAlternate = 1 };

struct NameEntry {
  uint64_t hash = 0;  // NameHash of the folded name
  uint32_t place = 0;
  NameKind kind = NameKind::kMain;
};
static_assert(sizeof(NameEntry) == 16, "names.bin's record layout");

/// FNV-1a, 64 bits, of a folded name (FoldPlaceName). Two names of the 780,000 share a hash
/// with a chance of about 1e-8.
constexpr uint64_t NameHash(std::string_view folded) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : folded) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace taskfarm::gazetteer_format

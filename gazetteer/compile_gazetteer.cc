// compile-gazetteer: builds the offline gazetteer's compiled data (shared/gazetteer_format.h)
// from its sources, once, at build time:
//   --cities FILE        GeoNames' cities1000.txt (tab-separated, every alternate name)
//   --admin1 FILE        GeoNames' admin-1 names, [{"code": "CA.08", "name": "Ontario"}, ...]
//   --countries FILE     world-countries' countries.json (names in many languages, lat/lng)
//   --subdivisions FILE  iso-codes' iso_3166-2.json (codes such as CA-ON, US-DC)
//   --out DIR            where places.tsv, regions.tsv and names.bin go
// Exit 0, or 2 with a line naming the input that is missing or malformed.

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shared/gazetteer_format.h"
#include "shared/place_folding.h"

namespace taskfarm {
namespace {

namespace format = gazetteer_format;

struct CompiledPlace {
  std::string name, country, admin1, feature_code;
  uint64_t population = 0;
  std::string lat, lon;  // as the source wrote them
};

struct Compiled {
  std::vector<CompiledPlace> places;
  std::vector<format::NameEntry> names;
  std::vector<std::string> region_lines;
  std::set<std::string> qualifiers;  // "folded\tCC\tadmin1", deduplicated
};

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> SplitOn(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// Adds each distinct folded name of `place` once.
class NameAdder {
 public:
  NameAdder(Compiled& compiled, uint32_t place) : compiled_(compiled), place_(place) {}
  void Add(const std::string& name, format::NameKind kind) {
    const std::string folded = FoldPlaceName(name);
    if (folded.empty()) return;
    const uint64_t hash = format::NameHash(folded);
    if (!seen_.insert(hash).second) return;
    compiled_.names.push_back({hash, place_, kind});
  }

 private:
  Compiled& compiled_;
  uint32_t place_;
  std::set<uint64_t> seen_;
};

void AddQualifier(Compiled& compiled, const std::string& text, const std::string& country,
                  const std::string& admin1) {
  const std::string folded = FoldPlaceName(text);
  if (!folded.empty()) compiled.qualifiers.insert(folded + "\t" + country + "\t" + admin1);
}

// cities1000.txt: id, name, asciiname, alternatenames, lat, lon, feature class, feature code,
// country, cc2, admin1, admin2, admin3, admin4, population, ...
void CompileCities(const std::filesystem::path& path, Compiled& compiled) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::vector<std::string> fields = SplitOn(line, '\t');
    if (fields.size() < 15) {
      throw std::runtime_error(path.string() + ":" + std::to_string(line_number) +
                               ": not a GeoNames dump line (" + std::to_string(fields.size()) +
                               " fields, 19 expected)");
    }
    const auto index = static_cast<uint32_t>(compiled.places.size());
    compiled.places.push_back({fields[1], fields[8], fields[10], fields[7],
                               fields[14].empty() ? 0 : std::stoull(fields[14]), fields[4],
                               fields[5]});
    NameAdder names(compiled, index);
    names.Add(fields[1], format::NameKind::kMain);
    names.Add(fields[2], format::NameKind::kAlternate);
    for (const std::string& alternate : SplitOn(fields[3], ',')) {
      names.Add(alternate, format::NameKind::kAlternate);
    }
  }
}

void CompileAdmin1(const std::filesystem::path& path, Compiled& compiled,
                   std::map<std::string, std::string>& admin1_by_folded_name) {
  for (const auto& entry : nlohmann::json::parse(ReadWhole(path))) {
    const std::string code = entry.at("code").get<std::string>();  // "CA.08"
    const std::string name = entry.at("name").get<std::string>();
    const auto dot = code.find('.');
    if (dot == std::string::npos) continue;
    const std::string country = code.substr(0, dot), admin1 = code.substr(dot + 1);
    compiled.region_lines.push_back("A\t" + code + "\t" + name);
    AddQualifier(compiled, name, country, admin1);
    // Alphabetic codes are what people write: TX, DC, ENG.
    if (std::all_of(admin1.begin(), admin1.end(), [](char c) { return std::isalpha(c); })) {
      AddQualifier(compiled, admin1, country, admin1);
    }
    admin1_by_folded_name[country + "\t" + FoldPlaceName(name)] = admin1;
  }
}

// ISO 3166-2 codes (CA-ON) name the same areas as GeoNames' admin-1 codes (CA.08) where their
// names agree.
void CompileSubdivisions(const std::filesystem::path& path, Compiled& compiled,
                         const std::map<std::string, std::string>& admin1_by_folded_name) {
  const nlohmann::json json = nlohmann::json::parse(ReadWhole(path));
  for (const auto& entry : json.at("3166-2")) {
    const std::string code = entry.at("code").get<std::string>();
    const auto dash = code.find('-');
    if (dash == std::string::npos) continue;
    const std::string country = code.substr(0, dash);
    auto admin1 = admin1_by_folded_name.find(country + "\t" +
                                             FoldPlaceName(entry.at("name").get<std::string>()));
    if (admin1 == admin1_by_folded_name.end()) continue;
    AddQualifier(compiled, code.substr(dash + 1), country, admin1->second);
  }
}

// The names a country goes by in other languages, in world-countries: native, and in each
// translation.
std::vector<std::string> CountryNamesElsewhere(const nlohmann::json& country) {
  std::vector<std::string> names;
  const auto add_pair = [&](const nlohmann::json& pair) {
    for (const char* key : {"common", "official"}) {
      if (pair.contains(key)) names.push_back(pair.at(key).get<std::string>());
    }
  };
  if (country.at("name").contains("native")) {
    for (const auto& [language, pair] : country.at("name").at("native").items()) add_pair(pair);
  }
  if (country.contains("translations")) {
    for (const auto& [language, pair] : country.at("translations").items()) add_pair(pair);
  }
  return names;
}

void CompileCountries(const std::filesystem::path& path, Compiled& compiled) {
  std::map<std::string, uint64_t> population;
  for (const CompiledPlace& place : compiled.places) population[place.country] += place.population;
  for (const auto& country : nlohmann::json::parse(ReadWhole(path))) {
    const std::string code = country.at("cca2").get<std::string>();
    const std::string common = country.at("name").at("common").get<std::string>();
    const auto& latlng = country.at("latlng");
    if (latlng.size() != 2) continue;
    const auto index = static_cast<uint32_t>(compiled.places.size());
    compiled.places.push_back({common, code, "", "PCLI", population[code],
                               nlohmann::json(latlng[0]).dump(), nlohmann::json(latlng[1]).dump()});
    compiled.region_lines.push_back("C\t" + code + "\t" + common);
    // Its English names are its main ones; a name in another language is an alternate one,
    // which a city of that name outranks ("Tunis" is Tunisia in Danish, and the capital).
    NameAdder names(compiled, index);
    std::vector<std::string> english = {common, country.at("name").at("official").get<std::string>()};
    for (const auto& spelling : country.at("altSpellings")) english.push_back(spelling.get<std::string>());
    for (const std::string& name : english) {
      AddQualifier(compiled, name, code, "");
      // Two letters are a code, not a name people look up ("LA" is Los Angeles, not Laos).
      if (FoldPlaceName(name).size() > 2) names.Add(name, format::NameKind::kMain);
    }
    for (const std::string& name : CountryNamesElsewhere(country)) {
      names.Add(name, format::NameKind::kAlternate);
      AddQualifier(compiled, name, code, "");
    }
    AddQualifier(compiled, code, code, "");
    AddQualifier(compiled, country.at("cca3").get<std::string>(), code, "");
  }
}

// Admin-1 areas (states, provinces) as answers of their own, feature code ADM1. The sources
// give an area a name but no position: its point is the spherical mean of its places of
// 1,000+ people (unweighted, so a big city does not pull it off centre), and its prominence
// its largest place's population.
void CompileAdminAreas(const std::filesystem::path& admin1_path, Compiled& compiled) {
  struct Area {
    double x = 0, y = 0, z = 0;
    uint64_t largest = 0;
  };
  std::map<std::string, Area> areas;  // "CC.admin1"
  for (const CompiledPlace& place : compiled.places) {
    if (place.feature_code == "PCLI" || place.admin1.empty()) continue;
    const double lat = std::stod(place.lat) * M_PI / 180, lon = std::stod(place.lon) * M_PI / 180;
    Area& area = areas[place.country + "." + place.admin1];
    area.x += std::cos(lat) * std::cos(lon);
    area.y += std::cos(lat) * std::sin(lon);
    area.z += std::sin(lat);
    area.largest = std::max(area.largest, place.population);
  }
  for (const auto& entry : nlohmann::json::parse(ReadWhole(admin1_path))) {
    const std::string code = entry.at("code").get<std::string>();
    const std::string name = entry.at("name").get<std::string>();
    const auto area = areas.find(code);
    const auto dot = code.find('.');
    if (area == areas.end() || dot == std::string::npos || FoldPlaceName(name).size() <= 2) continue;
    const Area& a = area->second;
    const double lat = std::atan2(a.z, std::hypot(a.x, a.y)) * 180 / M_PI;
    const double lon = std::atan2(a.y, a.x) * 180 / M_PI;
    const auto index = static_cast<uint32_t>(compiled.places.size());
    compiled.places.push_back({name, code.substr(0, dot), code.substr(dot + 1), "ADM1", a.largest,
                               fmt::format("{:.5f}", lat), fmt::format("{:.5f}", lon)});
    NameAdder(compiled, index).Add(name, format::NameKind::kMain);
  }
}

void WriteAtomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error(temporary.string() + ": cannot be written");
  }
  std::filesystem::rename(temporary, path);
}

void Write(Compiled& compiled, const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  std::ostringstream places;
  places << "# taskfarm gazetteer " << format::kVersion << "\n";
  for (const CompiledPlace& p : compiled.places) {
    places << p.name << '\t' << p.country << '\t' << p.admin1 << '\t' << p.feature_code << '\t'
           << p.population << '\t' << p.lat << '\t' << p.lon << '\n';
  }
  std::ostringstream regions;
  for (const std::string& line : compiled.region_lines) regions << line << '\n';
  for (const std::string& qualifier : compiled.qualifiers) regions << "Q\t" << qualifier << '\n';
  std::sort(compiled.names.begin(), compiled.names.end(),
            [](const format::NameEntry& a, const format::NameEntry& b) {
              return a.hash != b.hash ? a.hash < b.hash : a.place < b.place;
            });
  std::string names(format::kNamesMagic, sizeof(format::kNamesMagic));
  const uint64_t count = compiled.names.size();
  names.append(reinterpret_cast<const char*>(&count), sizeof(count));
  names.append(reinterpret_cast<const char*>(compiled.names.data()),
               compiled.names.size() * sizeof(format::NameEntry));
  WriteAtomically(out / format::kPlacesFile, places.str());
  WriteAtomically(out / format::kRegionsFile, regions.str());
  WriteAtomically(out / format::kNamesFile, names);
}

int Main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  for (const char* flag : {"--cities", "--admin1", "--countries", "--subdivisions", "--out"}) {
    if (!args.count(flag)) {
      std::cerr << "compile-gazetteer: " << flag << " is needed\n";
      return 2;
    }
  }
  try {
    Compiled compiled;
    std::map<std::string, std::string> admin1_by_folded_name;
    CompileCities(args["--cities"], compiled);
    CompileAdmin1(args["--admin1"], compiled, admin1_by_folded_name);
    CompileSubdivisions(args["--subdivisions"], compiled, admin1_by_folded_name);
    CompileCountries(args["--countries"], compiled);
    CompileAdminAreas(args["--admin1"], compiled);
    Write(compiled, args["--out"]);
    std::cerr << "compile-gazetteer: " << compiled.places.size() << " places, "
              << compiled.names.size() << " names into " << args["--out"] << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "compile-gazetteer: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace
}  // namespace taskfarm

int main(int argc, char** argv) { return taskfarm::Main(argc, argv); }

// The offline gazetteer on the real data: GeoNames' places with their alternate names and
// world-countries' countries, fetched by scripts/setup and compiled by the build.

#include "shared/gazetteer.h"

#include <chrono>
#include <cmath>
#include <tuple>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "shared/place_folding.h"

namespace taskfarm {
namespace {

const Gazetteer& Shared() {
  static const std::unique_ptr<Gazetteer> gazetteer =
      Gazetteer::Load(std::filesystem::path(TASKFARM_BINARY_DIR) / "data" / "geonames",
                      std::filesystem::path(TASKFARM_SOURCE_DIR) / "data" / "aliases.tsv");
  return *gazetteer;
}

// The place a query finds: "Name|CC".
std::string Find(std::string_view query) {
  auto match = Shared().Lookup(query);
  return match ? match->place->name + "|" + match->place->country_code : "not found";
}

TEST(PlaceFolding, CaseDiacriticsAndPunctuation) {
  EXPECT_EQ(FoldPlaceName("Wrocław"), "wroclaw");
  EXPECT_EQ(FoldPlaceName("WROCLAW"), "wroclaw");
  EXPECT_EQ(FoldPlaceName("  Saint-Étienne "), "saint etienne");
  EXPECT_EQ(FoldPlaceName("Reykjavík"), "reykjavik");
  EXPECT_EQ(FoldPlaceName("São Paulo"), "sao paulo");
  EXPECT_EQ(FoldPlaceName("Köln"), "koln");
}

TEST(Gazetteer, LoadsTheWholeDataSet) { EXPECT_GT(Shared().size(), 100'000u); }

TEST(Gazetteer, WellKnownCitiesWinOverSmallNamesakes) {
  EXPECT_EQ(Find("Paris"), "Paris|FR");
  EXPECT_EQ(Find("London"), "London|GB");
  EXPECT_EQ(Find("Tokyo"), "Tokyo|JP");
  EXPECT_EQ(Find("Sydney"), "Sydney|AU");
  EXPECT_EQ(Find("Paris, Texas"), "Paris|US");
  EXPECT_EQ(Find("London, Canada"), "London|CA");
  EXPECT_EQ(Find("Springfield, IL"), "Springfield|US");
}

TEST(Gazetteer, AccentedAndUnaccentedNamesMeet) {
  EXPECT_EQ(Find("Wrocław"), "Wrocław|PL");
  EXPECT_EQ(Find("Wroclaw"), "Wrocław|PL");
  EXPECT_EQ(Find("reykjavik, iceland"), "Reykjavík|IS");
  EXPECT_EQ(Find("SAO PAULO"), "São Paulo|BR");
}

TEST(Gazetteer, KnowsCommonAliases) {
  EXPECT_EQ(Find("New York"), "New York City|US");
  EXPECT_EQ(Find("NYC"), "New York City|US");
  EXPECT_EQ(Find("Bombay"), "Mumbai|IN");
  EXPECT_EQ(Find("München"), "Munich|DE");
}

TEST(Gazetteer, ToleratesOneLetterMisspellings) {
  EXPECT_EQ(Find("Amsterdm"), "Amsterdam|NL");    // a letter left out
  EXPECT_EQ(Find("Barcelonna"), "Barcelona|ES");  // one added
  EXPECT_EQ(Find("Lisbin"), "Lisbon|PT");         // one changed
  EXPECT_EQ(Find("Berlni"), "Berlin|DE");         // two swapped
}

TEST(Gazetteer, OtherNamesInOtherLanguagesAndScripts) {
  EXPECT_EQ(Find("Moskau"), "Moscow|RU");
  EXPECT_EQ(Find("Москва"), "Moscow|RU");
  EXPECT_EQ(Find("Varsovie"), "Warsaw|PL");
  EXPECT_EQ(Find("Londres"), "London|GB");
  EXPECT_EQ(Find("東京"), "Tokyo|JP");
  EXPECT_EQ(Find("北京"), "Beijing|CN");
  EXPECT_EQ(Find("القاهرة"), "Cairo|EG");
  EXPECT_EQ(Find("Αθήνα"), "Athens|GR");
  EXPECT_EQ(Find("Cologne"), "Köln|DE");
  EXPECT_EQ(Find("Vien"), "Vienna|AT");
  EXPECT_EQ(Find("Dehli"), "Delhi|IN");
  EXPECT_EQ(Find("Bolognia"), "Bologna|IT");
}

TEST(Gazetteer, ProminentPlacesWinAndQualifiersNarrow) {
  EXPECT_EQ(Find("Washington"), "Washington, D.C.|US");
  EXPECT_EQ(Find("Washington, DC"), "Washington, D.C.|US");
  EXPECT_EQ(Find("Cologne, Germany"), "Köln|DE");
  EXPECT_EQ(Find("London, ON"), "London|CA");
  EXPECT_EQ(Find("Springfield, MO"), "Springfield|US");
  EXPECT_EQ(Find("Portland, ME"), "Portland|US");
  auto maine = Shared().Lookup("Portland, ME");
  ASSERT_TRUE(maine);
  EXPECT_EQ(maine->place->admin1_code, "ME");
}

TEST(Gazetteer, CountriesAreAnswersToo) {
  EXPECT_EQ(Find("Germany"), "Germany|DE");
  EXPECT_EQ(Find("Deutschland"), "Germany|DE");
  EXPECT_EQ(Find("Iceland"), "Iceland|IS");
  EXPECT_EQ(Find("United States"), "United States|US");
  EXPECT_EQ(Find("USA"), "United States|US");
  auto germany = Shared().Lookup("Germany");
  ASSERT_TRUE(germany);
  EXPECT_EQ(germany->formatted_address, "Germany");
  EXPECT_EQ(Find("LA"), "Los Angeles|US") << "two letters are a code, not a country's name";
}

// Within `km` of (lat, lon).
bool Near(const Place& place, double lat, double lon, double km) {
  const double to_rad = M_PI / 180;
  const double a = std::pow(std::sin((place.lat - lat) * to_rad / 2), 2) +
                   std::cos(place.lat * to_rad) * std::cos(lat * to_rad) *
                       std::pow(std::sin((place.lon - lon) * to_rad / 2), 2);
  return 2 * 6371 * std::asin(std::sqrt(a)) < km;
}

TEST(Gazetteer, StatesAndProvincesAreAnswersUnlessACityInsideHasTheirName) {
  for (const auto& [query, address, lat, lon] :
       std::vector<std::tuple<std::string, std::string, double, double>>{
           {"Ontario", "Ontario, Canada", 43.70, -79.42},          // Toronto
           {"Bavaria", "Bavaria, Germany", 48.14, 11.58},          // Munich
           {"California", "California, United States", 38.58, -121.49},  // Sacramento
           {"Texas, USA", "Texas, United States", 30.27, -97.74}}) {     // Austin
    auto match = Shared().Lookup(query);
    ASSERT_TRUE(match) << query;
    EXPECT_EQ(match->formatted_address, address) << query;
    EXPECT_EQ(match->place->feature_code, "ADM1") << query;
    // An area's point is the middle of its places, where its people are (not the middle of
    // its land): within a few hundred km of its seat.
    EXPECT_TRUE(Near(*match->place, lat, lon, 400)) << query << " at " << match->place->lat << ", "
                                                    << match->place->lon;
  }
  EXPECT_EQ(Find("New York"), "New York City|US") << "the city, not the state that holds it";
  EXPECT_FALSE(Shared().Lookup("New York")->ambiguous);
  EXPECT_EQ(Find("Berlin"), "Berlin|DE");
  EXPECT_EQ(Find("Washington"), "Washington, D.C.|US") << "a capital before a state of its name";
  EXPECT_EQ(Shared().Lookup("Washington")->place->feature_code, "PPLC");
}

TEST(Gazetteer, AnAmbiguousNameSaysSoAndNamesTheOthers) {
  LookupOptions options;
  options.alternatives = 3;
  auto springfield = Shared().Lookup("Springfield", options);
  ASSERT_TRUE(springfield);
  EXPECT_TRUE(springfield->ambiguous);
  EXPECT_LT(springfield->confidence, 0.6);
  ASSERT_EQ(springfield->alternatives.size(), 3u);
  for (const auto& other : springfield->alternatives) EXPECT_EQ(other.place->name, "Springfield");
  auto paris = Shared().Lookup("Paris", options);
  ASSERT_TRUE(paris);
  EXPECT_FALSE(paris->ambiguous) << "the capital far outranks Paris, Texas";
  EXPECT_GT(paris->confidence, 0.9);
  EXPECT_EQ(paris->match, MatchKind::kExact);
  auto misspelt = Shared().Lookup("Amsterdm");
  ASSERT_TRUE(misspelt);
  EXPECT_EQ(misspelt->match, MatchKind::kFuzzy);
  EXPECT_LE(misspelt->confidence, 0.6);
}

TEST(Gazetteer, ACountryFilterKeepsOnlyItsPlaces) {
  LookupOptions in_canada;
  in_canada.country = "CA";
  auto london = Shared().Lookup("London", in_canada);
  ASSERT_TRUE(london);
  EXPECT_EQ(london->place->country_code, "CA");
  in_canada.country = "IS";
  EXPECT_FALSE(Shared().Lookup("London", in_canada));
}

TEST(Gazetteer, DamagedCompiledDataIsRefusedNamingTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gazetteer-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "places.tsv") << "# taskfarm gazetteer 1\nParis\tFR\t11\tPPLC\t2138551\t48.85\t2.35\n";
  std::ofstream(dir / "regions.tsv") << "C\tFR\tFrance\n";
  std::ofstream(dir / "names.bin") << "TFGZNM01\xff\xff\xff\xff\xff\xff\xff\x7f";  // a count far too big
  try {
    Gazetteer::Load(dir, {});
    ADD_FAILURE() << "loaded a damaged names.bin";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "names.bin").string() + " is not compiled names"),
              std::string::npos)
        << e.what();
  }
  std::ofstream(dir / "places.tsv") << "# an older format\n";
  EXPECT_THROW(Gazetteer::Load(dir, {}), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(Gazetteer, NonsenseIsNotFound) {
  EXPECT_EQ(Find("Xqzvvbnm"), "not found");
  EXPECT_EQ(Find(""), "not found");
  EXPECT_EQ(Find(" , , "), "not found");
  EXPECT_EQ(Find("Paris, Atlantis"), "not found");
}

TEST(Gazetteer, FormattedAddressHasRegionAndCountry) {
  auto match = Shared().Lookup("Reykjavik");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->formatted_address, "Reykjavík, Capital Region, Iceland");
  EXPECT_NEAR(match->place->lat, 64.14, 0.05);
  EXPECT_NEAR(match->place->lon, -21.94, 0.05);
}

}  // namespace
}  // namespace taskfarm

// The offline gazetteer on the real GeoNames data that scripts/setup fetches.

#include "shared/gazetteer.h"

#include <chrono>

#include <gtest/gtest.h>

#include "shared/place_folding.h"

namespace taskfarm {
namespace {

const Gazetteer& Shared() {
  static const std::unique_ptr<Gazetteer> gazetteer =
      Gazetteer::Load(std::filesystem::path(TASKFARM_SOURCE_DIR) / "data" / "geonames",
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

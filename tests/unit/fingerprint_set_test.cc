#include "coordinator/fingerprint_set.h"

#include <string>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

TEST(FingerprintSet, EachStringIsNewOnceThroughManyGrowths) {
  FingerprintSet seen;
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(seen.Insert("place " + std::to_string(i))) << i;
  }
  EXPECT_EQ(seen.size(), 100000u);
  for (int i = 0; i < 100000; i += 7) {
    ASSERT_FALSE(seen.Insert("place " + std::to_string(i))) << i;
  }
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(FingerprintSet, BytesCountNotCharacters) {
  FingerprintSet seen;
  EXPECT_TRUE(seen.Insert(""));
  EXPECT_FALSE(seen.Insert(""));
  EXPECT_TRUE(seen.Insert(std::string("a\0b", 3)));
  EXPECT_TRUE(seen.Insert(std::string("a\0c", 3)));
  EXPECT_TRUE(seen.Insert("a"));
  EXPECT_EQ(seen.size(), 4u);
}

}  // namespace
}  // namespace taskfarm

// Rate-limit signals in the geocoding providers' HTTP: what pauses a provider, for how long.

#include "worker/geocode_provider.h"

#include <ctime>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

using std::chrono::milliseconds;
using Kind = ProviderVerdict::Kind;

constexpr milliseconds kZeroPause{60'000};

// An HTTP-date `seconds` from now, as a server writes it (RFC 9110's IMF-fixdate).
std::string HttpDateIn(int seconds) {
  const std::time_t when = std::time(nullptr) + seconds;
  char text[64];
  std::tm utc{};
  gmtime_r(&when, &utc);
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

TEST(GeocodeProvider, EachServiceIsAskedForTheCountryAndLanguageInItsOwnWords) {
  const PlaceQuery query{"São Paulo", "BR", "pt-BR"};
  EXPECT_EQ(GoogleUrl("http://g", query, "k"),
            "http://g/maps/api/geocode/json?address=S%C3%A3o%20Paulo&key=k"
            "&components=country:BR&language=pt-BR");
  EXPECT_EQ(NominatimUrl("http://n", query),
            "http://n/search?q=S%C3%A3o%20Paulo&format=jsonv2&limit=1&addressdetails=1&countrycodes=br"
            "&accept-language=pt-BR");
  EXPECT_EQ(NominatimUrl("http://n", {"Oslo", "", ""}),
            "http://n/search?q=Oslo&format=jsonv2&limit=1&addressdetails=1");
}

TEST(GeocodeProvider, Http429PausesEveryProviderForTheRetryAfterInSeconds) {
  for (const char* service : {"google", "nominatim"}) {
    auto verdict = SlowDownSignal(service, 429, "3", kZeroPause);
    ASSERT_TRUE(verdict) << service;
    EXPECT_EQ(verdict->kind, Kind::kRetry);
    EXPECT_EQ(verdict->pause, milliseconds(3000));
    EXPECT_EQ(verdict->message, std::string(service) + ": HTTP 429 Too Many Requests");
  }
  EXPECT_EQ(SlowDownSignal("google", 429, "", kZeroPause)->pause, milliseconds(2000))
      << "no Retry-After: the default pause";
  EXPECT_EQ(SlowDownSignal("nominatim", 429, "0", kZeroPause)->pause, kZeroPause);
}

TEST(GeocodeProvider, RetryAfterAsAnHttpDateIsReadToo) {
  auto verdict = SlowDownSignal("google", 429, HttpDateIn(5), kZeroPause);
  ASSERT_TRUE(verdict);
  EXPECT_GE(verdict->pause, milliseconds(3000));
  EXPECT_LE(verdict->pause, milliseconds(6000));
  EXPECT_EQ(SlowDownSignal("google", 429, HttpDateIn(-30), kZeroPause)->pause, kZeroPause)
      << "a date gone by is 'now', as 0 is";
  EXPECT_EQ(SlowDownSignal("google", 429, "next Tuesday-ish", kZeroPause)->pause,
            milliseconds(2000));
}

TEST(GeocodeProvider, A503PausesOnlyWithARetryAfterAndOtherAnswersAreNoSignal) {
  auto unavailable = SlowDownSignal("nominatim", 503, "2", kZeroPause);
  ASSERT_TRUE(unavailable);
  EXPECT_EQ(unavailable->pause, milliseconds(2000));
  EXPECT_FALSE(SlowDownSignal("nominatim", 503, "", kZeroPause)) << "an ordinary 5xx retry";
  EXPECT_FALSE(SlowDownSignal("google", 200, "5", kZeroPause));
  EXPECT_FALSE(SlowDownSignal("google", 403, "5", kZeroPause));
}

}  // namespace
}  // namespace taskfarm

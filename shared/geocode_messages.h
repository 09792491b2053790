#pragma once
// The payloads of a `geocode` task and of its result (msgpack, inside wire::Task and
// wire::Result). The API key is not among them: a worker reads GOOGLE_MAPS_API_KEY from its
// own environment, so the key is never sent, logged or stored.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace taskfarm {

/// The providers a request may name: the gazetteer every worker has, and HTTP services.
inline constexpr std::string_view kOfflineProvider = "offline";
inline constexpr std::string_view kGoogleKeyVariable = "GOOGLE_MAPS_API_KEY";

/// What the coordinator must know of each provider before a run starts.
struct GeocodeProviderPolicy {
  std::string_view name;
  std::string_view default_rate;  // the --rate bucket added when the user names none; "" none
  std::string_view key_variable;  // the environment variable the provider needs; "" none
  std::string_view public_endpoint;     // the service itself; asked only when named (--endpoint)
  double public_max_per_second = 0;     // the most its policy allows; 0: no cap of ours
  bool public_needs_contact = false;    // its policy asks for a --user-agent naming the user
};

/// Nominatim 1/s and an identifying User-Agent are its usage policy; Google 50/s its default
/// quota.
inline constexpr std::array<GeocodeProviderPolicy, 3> kGeocodeProviders = {{
    {kOfflineProvider, "", "", "", 0, false},
    {"nominatim", "nominatim=1/s", "", "https://nominatim.openstreetmap.org", 1.0, true},
    {"google", "google=50/s", kGoogleKeyVariable, "https://maps.googleapis.com", 0, false},
}};

// Fields are only ever appended: an older payload, shorter, decodes with the new fields at
// their defaults (the run database's cache keeps answers across versions).
struct GeocodeRequest {
  std::string query;                   // the place as the input line gave it
  std::vector<std::string> providers;  // cascade order: offline, nominatim, google
  std::string endpoint;                // base URL for google/nominatim (always named: no default)
  std::string cached_answer;           // an encoded GeocodeAnswer from the cache: no request
  std::string country;                 // ISO 3166-1 alpha-2: answers only there (--country)
  uint32_t candidates = 0;             // next candidates to name for an ambiguous name
  uint64_t line = 0;                   // the input line it came from (1-based); 0: none
  std::string language;                // BCP 47: answers in it where the service can (--language)
  MSGPACK_DEFINE(query, providers, endpoint, cached_answer, country, candidates, line, language);
};

/// Another place the query could mean (an ambiguous name's next candidates).
struct GeocodeAlternative {
  std::string formatted_address;
  double lat = 0;
  double lon = 0;
  MSGPACK_DEFINE(formatted_address, lat, lon);
};

/// A place's answer; a failed task carries one too (status "error"), for its request counts.
struct GeocodeAnswer {
  std::string status;  // "ok" or "not_found"; "error" in a failed task's payload
  double lat = 0;
  double lon = 0;
  std::string formatted_address;
  std::string provider;  // the provider that answered
  uint32_t attempts = 0; // HTTP requests made, over every provider
  bool cached = false;   // served from the run database's cache
  std::string match;     // how the name matched: exact, alias, fuzzy (empty: not said)
  double confidence = -1;  // 0..1; negative: not said
  bool ambiguous = false;  // a namesake elsewhere is nearly as prominent
  std::vector<GeocodeAlternative> alternatives;
  uint32_t retries = 0;    // requests made again after a retryable failure (429, 5xx, ...)
  std::string country_code;  // ISO 3166-1 alpha-2 of the answer, when the provider says it
  MSGPACK_DEFINE(status, lat, lon, formatted_address, provider, attempts, cached, match,
                 confidence, ambiguous, alternatives, retries, country_code);
};

/// The cache key of a query: its folded text and the providers asked, in order, and the
/// country filter, candidate count and language when they are set (so keys made without
/// them, by earlier versions too, stay the same).
std::string GeocodeCacheKey(std::string_view query, const std::vector<std::string>& providers,
                            std::string_view country = {}, uint32_t candidates = 0,
                            std::string_view language = {});

/// The cache key of `request`: GeocodeCacheKey of its query and settings.
std::string GeocodeCacheKey(const GeocodeRequest& request);

std::string EncodeGeocodeRequest(const GeocodeRequest& request);
std::optional<GeocodeRequest> DecodeGeocodeRequest(std::string_view bytes);
std::string EncodeGeocodeAnswer(const GeocodeAnswer& answer);
std::optional<GeocodeAnswer> DecodeGeocodeAnswer(std::string_view bytes);

}  // namespace taskfarm

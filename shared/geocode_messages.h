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
};

/// Nominatim 1/s is its usage policy; Google 50/s its default quota.
inline constexpr std::array<GeocodeProviderPolicy, 3> kGeocodeProviders = {{
    {kOfflineProvider, "", ""},
    {"nominatim", "nominatim=1/s", ""},
    {"google", "google=50/s", kGoogleKeyVariable},
}};

struct GeocodeRequest {
  std::string query;                   // the place as the input line gave it
  std::vector<std::string> providers;  // cascade order: offline, nominatim, google
  std::string endpoint;                // base URL for google/nominatim; empty: the real service
  std::string cached_answer;           // an encoded GeocodeAnswer from the cache: no request
  MSGPACK_DEFINE(query, providers, endpoint, cached_answer);
};

struct GeocodeAnswer {
  std::string status;  // "ok" or "not_found"
  double lat = 0;
  double lon = 0;
  std::string formatted_address;
  std::string provider;  // the provider that answered
  uint32_t attempts = 0; // HTTP requests made, over every provider
  bool cached = false;   // served from the run database's cache
  MSGPACK_DEFINE(status, lat, lon, formatted_address, provider, attempts, cached);
};

/// The cache key of a query: its folded text and the providers asked, in order.
std::string GeocodeCacheKey(std::string_view query, const std::vector<std::string>& providers);

std::string EncodeGeocodeRequest(const GeocodeRequest& request);
std::optional<GeocodeRequest> DecodeGeocodeRequest(std::string_view bytes);
std::string EncodeGeocodeAnswer(const GeocodeAnswer& answer);
std::optional<GeocodeAnswer> DecodeGeocodeAnswer(std::string_view bytes);

}  // namespace taskfarm

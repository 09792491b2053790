#pragma once
// Geocoding providers' HTTP protocols: how to ask (URL, headers) and how to read the answer
// (Google Geocoding API JSON, Nominatim /search jsonv2). Pure functions of their inputs: the
// network lane does the I/O, and the parsers can be fuzzed on their own.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfarm {


/// What one HTTP answer means for the task.
struct ProviderVerdict {
  enum class Kind {
    kFound,      // lat/lon/formatted_address are set
    kNotFound,   // the service has no such place: not retried
    kRetry,      // transient (429, OVER_QUERY_LIMIT, 5xx, timeouts): retry after a back-off
    kPermanent,  // the service refused the request (4xx, REQUEST_DENIED): an error row
    kMalformed,  // the answer could not be read: an error row
    kQuota,      // OVER_DAILY_LIMIT: stop using this provider for the rest of the run
  };
  Kind kind = Kind::kPermanent;
  double lat = 0;
  double lon = 0;
  std::string formatted_address;
  std::string country_code;  // ISO 3166-1 alpha-2, upper case, when the answer says it
  std::string message;  // why, for error rows and logs
  /// For kRetry: how long the whole farm should pause (429's Retry-After, or a default).
  std::optional<std::chrono::milliseconds> pause;
};

/// What a request asks: the place, and the filters each service takes in its own words.
struct PlaceQuery {
  std::string_view text;
  std::string_view country;   // ISO 3166-1 alpha-2; empty: anywhere
  std::string_view language;  // BCP 47 (de, pt-BR); empty: the service's default
};

/// The request URL for `query` at `endpoint`: Google's components=country:XX and language,
/// Nominatim's countrycodes and accept-language.
std::string GoogleUrl(std::string_view endpoint, const PlaceQuery& query, std::string_view key);
std::string NominatimUrl(std::string_view endpoint, const PlaceQuery& query);

/// Reads an answer. `http_status` 0 means no answer (`transport_error` says why).
ProviderVerdict ReadGoogleAnswer(long http_status, std::string_view body,
                                 std::string_view transport_error);
/// A rate-limit signal in any provider's HTTP: 429 (with or without Retry-After) and 503 with
/// a Retry-After are a retry after a pause of the whole provider, the pause the Retry-After
/// asks for (seconds or an HTTP-date; "0" or a date gone by means `zero_retry_after_pause`)
/// or 2 s. Nullopt for any other answer.
std::optional<ProviderVerdict> SlowDownSignal(std::string_view service, long http_status,
                                              std::string_view retry_after,
                                              std::chrono::milliseconds zero_retry_after_pause);
/// `retry_after` is the Retry-After header (empty if none); `zero_retry_after_pause` is what
/// "Retry-After: 0" means (Nominatim's front end sends it with 429: pause a long while).
ProviderVerdict ReadNominatimAnswer(long http_status, std::string_view body,
                                    std::string_view transport_error, std::string_view retry_after,
                                    std::chrono::milliseconds zero_retry_after_pause);

/// An HTTP answer as the network lane received it.
struct HttpAnswer {
  long http_status = 0;  // 0: no answer (transport_error says why)
  std::string_view body;
  std::string_view transport_error;
  std::string_view retry_after;  // the Retry-After header; empty if none
};

/// What the providers' protocols take beyond the request itself.
struct ProviderSettings {
  std::string_view google_key;
  std::chrono::milliseconds zero_retry_after_pause{};
};

/// One HTTP geocoding service: how to ask it, how to read its answer.
struct HttpProvider {
  std::string_view name;
  std::string (*url)(std::string_view endpoint, const PlaceQuery& query,
                     const ProviderSettings& settings);
  ProviderVerdict (*read)(const HttpAnswer& answer, const ProviderSettings& settings);
};

/// The HTTP provider called `name`, or nullptr (the offline gazetteer is not one).
const HttpProvider* FindHttpProvider(std::string_view name);

/// "%20"-style encoding of a query parameter.
std::string UrlEncode(std::string_view text);

/// What stands in for a secret in any text that leaves the worker.
inline constexpr std::string_view kRedacted = "[redacted]";
/// `text` with every occurrence of `secret` (as is, and URL-encoded) replaced by kRedacted.
std::string Redacted(std::string text, std::string_view secret);

}  // namespace taskfarm

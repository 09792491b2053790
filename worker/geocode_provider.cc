#include "worker/geocode_provider.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace taskfarm {
namespace {

using Kind = ProviderVerdict::Kind;

constexpr std::chrono::milliseconds kDefaultPause{2000};

ProviderVerdict Verdict(Kind kind, std::string message) {
  ProviderVerdict verdict;
  verdict.kind = kind;
  verdict.message = std::move(message);
  return verdict;
}

ProviderVerdict TransportOrHttpProblem(const char* service, long http_status,
                                       std::string_view transport_error) {
  if (http_status == 0) {
    return Verdict(Kind::kRetry, fmt::format("{}: {}", service, transport_error));
  }
  if (http_status >= 500) {
    return Verdict(Kind::kRetry, fmt::format("{}: HTTP {}", service, http_status));
  }
  return Verdict(Kind::kPermanent, fmt::format("{}: HTTP {}", service, http_status));
}

// How long a Retry-After asks for: delay-seconds or an HTTP-date (RFC 9110), read by libcurl's
// own date parser. Nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> RetryAfterPause(std::string_view header,
                                                         std::chrono::milliseconds zero_pause) {
  if (header.empty()) return std::nullopt;
  const std::string text(header);
  if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const long seconds = text.size() > 9 ? 999'999'999 : std::stol(text);
    return seconds <= 0 ? zero_pause : std::chrono::milliseconds(seconds * 1000);
  }
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const auto until = std::chrono::system_clock::from_time_t(when);
  const auto now = std::chrono::system_clock::now();
  if (until <= now) return zero_pause;
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

double NumberOrString(const nlohmann::json& value) {
  return value.is_string() ? std::stod(value.get<std::string>()) : value.get<double>();
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Redacted(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (const std::string& form : {std::string(secret), UrlEncode(secret)}) {
    for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at)) {
      text.replace(at, form.size(), kRedacted);
      at += kRedacted.size();
    }
  }
  return text;
}

std::string GoogleUrl(std::string_view endpoint, const PlaceQuery& query, std::string_view key) {
  std::string url = fmt::format("{}/maps/api/geocode/json?address={}&key={}", endpoint,
                                UrlEncode(query.text), UrlEncode(key));
  if (!query.country.empty()) url += "&components=country:" + UrlEncode(query.country);
  if (!query.language.empty()) url += "&language=" + UrlEncode(query.language);
  return url;
}

std::string NominatimUrl(std::string_view endpoint, const PlaceQuery& query) {
  std::string url =
      fmt::format("{}/search?q={}&format=jsonv2&limit=1&addressdetails=1", endpoint,
                  UrlEncode(query.text));
  if (!query.country.empty()) {
    std::string code(query.country);
    for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    url += "&countrycodes=" + UrlEncode(code);
  }
  if (!query.language.empty()) url += "&accept-language=" + UrlEncode(query.language);
  return url;
}

ProviderVerdict ReadGoogleAnswer(long http_status, std::string_view body,
                                 std::string_view transport_error) {
  if (http_status != 200) return TransportOrHttpProblem("google", http_status, transport_error);
  try {
    const auto json = nlohmann::json::parse(body);
    const std::string status = json.at("status").get<std::string>();
    const std::string message = json.value("error_message", std::string());
    if (status == "OK") {
      const auto& first = json.at("results").at(0);
      ProviderVerdict verdict = Verdict(Kind::kFound, {});
      verdict.lat = first.at("geometry").at("location").at("lat").get<double>();
      verdict.lon = first.at("geometry").at("location").at("lng").get<double>();
      verdict.formatted_address = first.value("formatted_address", std::string());
      for (const auto& component : first.value("address_components", nlohmann::json::array())) {
        const auto types = component.value("types", nlohmann::json::array());
        if (std::find(types.begin(), types.end(), "country") != types.end()) {
          verdict.country_code = component.value("short_name", std::string());
        }
      }
      return verdict;
    }
    if (status == "ZERO_RESULTS") return Verdict(Kind::kNotFound, "google: ZERO_RESULTS");
    if (status == "OVER_QUERY_LIMIT" || status == "UNKNOWN_ERROR") {
      ProviderVerdict verdict = Verdict(Kind::kRetry, "google: " + status);
      if (status == "OVER_QUERY_LIMIT") verdict.pause = kDefaultPause;
      return verdict;
    }
    if (status == "OVER_DAILY_LIMIT") {
      return Verdict(Kind::kQuota, "google: OVER_DAILY_LIMIT" +
                                       (message.empty() ? "" : ": " + message));
    }
    return Verdict(Kind::kPermanent,
                   "google: " + status + (message.empty() ? "" : ": " + message));
  } catch (const std::exception& e) {
    return Verdict(Kind::kMalformed, std::string("google: malformed response: ") + e.what());
  }
}

std::optional<ProviderVerdict> SlowDownSignal(std::string_view service, long http_status,
                                              std::string_view retry_after,
                                              std::chrono::milliseconds zero_retry_after_pause) {
  const auto pause = RetryAfterPause(retry_after, zero_retry_after_pause);
  if (http_status == 429) {
    ProviderVerdict verdict =
        Verdict(Kind::kRetry, fmt::format("{}: HTTP 429 Too Many Requests", service));
    verdict.pause = pause.value_or(kDefaultPause);
    return verdict;
  }
  if (http_status == 503 && pause) {
    ProviderVerdict verdict =
        Verdict(Kind::kRetry, fmt::format("{}: HTTP 503 Service Unavailable", service));
    verdict.pause = *pause;
    return verdict;
  }
  return std::nullopt;
}

ProviderVerdict ReadNominatimAnswer(long http_status, std::string_view body,
                                    std::string_view transport_error, std::string_view retry_after,
                                    std::chrono::milliseconds zero_retry_after_pause) {
  if (auto slow_down = SlowDownSignal("nominatim", http_status, retry_after, zero_retry_after_pause)) {
    return *slow_down;
  }
  if (http_status != 200) return TransportOrHttpProblem("nominatim", http_status, transport_error);
  try {
    const auto json = nlohmann::json::parse(body);
    if (!json.is_array()) throw std::runtime_error("not a JSON array");
    if (json.empty()) return Verdict(Kind::kNotFound, "nominatim: no result");
    const auto& first = json.at(0);
    ProviderVerdict verdict = Verdict(Kind::kFound, {});
    verdict.lat = NumberOrString(first.at("lat"));
    verdict.lon = NumberOrString(first.at("lon"));
    verdict.formatted_address = first.value("display_name", std::string());
    if (first.contains("address")) {
      verdict.country_code = first.at("address").value("country_code", std::string());
      for (char& c : verdict.country_code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return verdict;
  } catch (const std::exception& e) {
    return Verdict(Kind::kMalformed, std::string("nominatim: malformed response: ") + e.what());
  }
}

const HttpProvider* FindHttpProvider(std::string_view name) {
  static const HttpProvider kHttpProviders[] = {
      {"google",
       [](std::string_view endpoint, const PlaceQuery& query, const ProviderSettings& settings) {
         return GoogleUrl(endpoint, query, settings.google_key);
       },
       [](const HttpAnswer& answer, const ProviderSettings& settings) {
         // A gateway or a newer endpoint answers 429 where the classic API says
         // OVER_QUERY_LIMIT in the body: either pauses the provider.
         std::optional<ProviderVerdict> slow_down = SlowDownSignal(
             "google", answer.http_status, answer.retry_after, settings.zero_retry_after_pause);
         ProviderVerdict verdict =
             slow_down ? *slow_down
                       : ReadGoogleAnswer(answer.http_status, answer.body, answer.transport_error);
         // A service may echo the request: the key never reaches a row, a file or a log.
         verdict.message = Redacted(std::move(verdict.message), settings.google_key);
         return verdict;
       }},
      {"nominatim",
       [](std::string_view endpoint, const PlaceQuery& query, const ProviderSettings&) {
         return NominatimUrl(endpoint, query);
       },
       [](const HttpAnswer& answer, const ProviderSettings& settings) {
         return ReadNominatimAnswer(answer.http_status, answer.body, answer.transport_error,
                                    answer.retry_after, settings.zero_retry_after_pause);
       }},
  };
  for (const HttpProvider& provider : kHttpProviders) {
    if (provider.name == name) return &provider;
  }
  return nullptr;
}

}  // namespace taskfarm

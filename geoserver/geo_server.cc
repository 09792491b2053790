#include "geoserver/geo_server.h"

#include <cctype>
#include <ctime>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace taskfarm {
namespace {

using Clock = std::chrono::steady_clock;

HttpReply Reply(unsigned status, std::string content_type, std::string body,
                std::chrono::milliseconds delay = {}) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = std::move(content_type);
  reply.body = std::move(body);
  reply.delay = delay;
  return reply;
}

nlohmann::json GoogleResult(const GazetteerMatch& match) {
  return {{"formatted_address", match.formatted_address},
          {"geometry", {{"location", {{"lat", match.place->lat}, {"lng", match.place->lon}}},
                        {"location_type", "APPROXIMATE"}}},
          {"types", {"locality", "political"}},
          {"address_components",
           {{{"long_name", match.place->country_code},
             {"short_name", match.place->country_code},
             {"types", {"country", "political"}}}}},
          {"place_id", fmt::format("taskfarm-{}-{:.5f}-{:.5f}", match.place->country_code,
                                   match.place->lat, match.place->lon)}};
}

std::string CountryCodeLower(std::string code) {
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return code;
}

nlohmann::json NominatimResult(const GazetteerMatch& match) {
  return {{"lat", fmt::format("{:.7f}", match.place->lat)},
          {"lon", fmt::format("{:.7f}", match.place->lon)},
          {"display_name", match.formatted_address},
          {"name", match.place->name},
          {"category", "place"},
          {"type", "city"},
          {"importance", 0.5},
          {"place_rank", 16},
          {"address", {{"country_code", CountryCodeLower(match.place->country_code)}}}};
}

// Retry-After as an HTTP date (RFC 9110: IMF-fixdate), and the time it names.
std::pair<std::string, std::chrono::system_clock::time_point> HttpDateAfter(int seconds) {
  const auto now = std::chrono::system_clock::now();
  // Whole seconds: the date cannot say less, so it names the next whole second on.
  const auto at = std::chrono::ceil<std::chrono::seconds>(now) + std::chrono::seconds(seconds);
  const std::time_t time = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return {text, at};
}

}  // namespace

GeoServer::GeoServer(GeoServerOptions options, std::shared_ptr<const Gazetteer> gazetteer)
    : options_(std::move(options)),
      gazetteer_(std::move(gazetteer)),
      front_(std::make_unique<HttpFront>(
          [this](const HttpRequest& request) { return Answer(request); },
          options_.request_timeout)),
      random_(options_.seed) {}

GeoServer::~GeoServer() { Stop(); }

HttpReply GeoServer::Answer(const HttpRequest& request) {
  if (request.path == "/maps/api/geocode/json") {
    NoteLanguage(request.Param("language"));
    return Google(request, Judge());
  }
  if (request.path == "/search") {
    NoteLanguage(request.Param("accept-language"));
    return Nominatim(request, Judge());
  }
  if (request.path == "/stats") return Reply(200, "application/json", StatsJson());
  return Reply(404, "text/plain", "Not Found");
}

HttpReply GeoServer::Google(const HttpRequest& request, Verdict verdict) {
  if (auto fault = FaultReply(verdict, "{\"status\": \"OK\", \"results\": [")) return *fault;
  const std::string* key = request.Param("key");
  const std::string* address = request.Param("address");
  nlohmann::json body;
  if (verdict == Verdict::kOverRate && options_.google_http_429) return TooManyRequests();
  if (verdict == Verdict::kOverRate) {
    body = {{"status", "OVER_QUERY_LIMIT"}, {"results", nlohmann::json::array()},
            {"error_message", "You have exceeded your rate-limit for this API."}};
  } else if (verdict == Verdict::kOverDaily) {
    body = {{"status", "OVER_DAILY_LIMIT"}, {"results", nlohmann::json::array()},
            {"error_message", "You have exceeded your daily request quota for this API."}};
  } else if (key == nullptr || key->empty()) {
    body = {{"status", "REQUEST_DENIED"}, {"results", nlohmann::json::array()},
            {"error_message", "You must use an API key to authenticate each request."}};
  } else if (key->rfind("denied-", 0) == 0) {
    // As some services do, the refusal echoes the request, key and all.
    body = {{"status", "REQUEST_DENIED"}, {"results", nlohmann::json::array()},
            {"error_message", "The provided API key is invalid: " + request.target}};
  } else if (address == nullptr || address->empty()) {
    body = {{"status", "INVALID_REQUEST"}, {"results", nlohmann::json::array()},
            {"error_message", "Invalid request. Missing the 'address' parameter."}};
  } else if (auto match = gazetteer_->Lookup(*address)) {
    body = {{"status", "OK"}, {"results", {GoogleResult(*match)}}};
  } else {
    body = {{"status", "ZERO_RESULTS"}, {"results", nlohmann::json::array()}};
  }
  return Reply(200, "application/json; charset=UTF-8", body.dump(), options_.latency);
}

HttpReply GeoServer::Nominatim(const HttpRequest& request, Verdict verdict) {
  if (auto fault = FaultReply(verdict, "[{\"lat\": ")) return *fault;
  if (verdict == Verdict::kOverRate) return TooManyRequests();
  if (verdict == Verdict::kOverDaily || request.user_agent.empty()) {
    return Reply(403, "text/plain", "Access blocked: see the usage policy", options_.latency);
  }
  const std::string* query = request.Param("q");
  if (query == nullptr) {
    return Reply(400, "application/json",
                 R"({"error":{"code":400,"message":"Nothing to search for."}})", options_.latency);
  }
  nlohmann::json body = nlohmann::json::array();
  if (auto match = gazetteer_->Lookup(*query)) body.push_back(NominatimResult(*match));
  return Reply(200, "application/json; charset=utf-8", body.dump(), options_.latency);
}

void GeoServer::NoteLanguage(const std::string* language) {
  if (language == nullptr) return;
  std::lock_guard lock(mutex_);
  ++languages_[*language];
}

HttpReply GeoServer::TooManyRequests() {
  HttpReply reply = Reply(429, "text/plain", "Too Many Requests", options_.latency);
  const auto now = Clock::now();
  auto ends = now + std::chrono::seconds(options_.retry_after_s);
  if (options_.retry_after_date) {
    auto [date, at] = HttpDateAfter(options_.retry_after_s);
    reply.retry_after = std::move(date);
    ends = now + std::chrono::duration_cast<Clock::duration>(at - std::chrono::system_clock::now());
  } else {
    reply.retry_after = std::to_string(options_.retry_after_s);
  }
  std::lock_guard lock(mutex_);
  if (now >= pause_ends_) pause_began_ = now;  // a new pause; else the pause goes on
  pause_ends_ = std::max(pause_ends_, ends);
  return reply;
}

std::optional<HttpReply> GeoServer::FaultReply(Verdict verdict, const char* truncated_body) {
  switch (verdict) {
    case Verdict::kHang: {
      HttpReply reply;
      reply.hang = true;
      return reply;
    }
    case Verdict::kError:
      return Reply(503, "text/plain", "Service Unavailable");
    case Verdict::kMalformed:
      return Reply(200, "application/json", truncated_body);
    default:
      return std::nullopt;
  }
}

GeoServer::Verdict GeoServer::Judge() {
  Verdict verdict = Verdict::kAnswer;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    ++requests_;
    std::erase_if(recent_, [&](Clock::time_point t) { return now - t >= std::chrono::seconds(1); });
    recent_.push_back(now);
    max_in_a_second_ = std::max(max_in_a_second_, recent_.size());
    std::uniform_real_distribution<double> coin(0, 1);
    if (now > pause_began_ + options_.pause_grace && now < pause_ends_) ++unpaused_;
    const double seconds_up = std::chrono::duration<double>(now - started_).count();
    const bool overloaded = seconds_up >= options_.overload_after_s &&
                            seconds_up < options_.overload_after_s + options_.overload_for_s;
    if (overloaded ||
        (options_.max_rate > 0 && static_cast<double>(recent_.size()) > options_.max_rate)) {
      verdict = Verdict::kOverRate;
    } else if (options_.daily_limit > 0 && answered_ >= options_.daily_limit) {
      verdict = Verdict::kOverDaily;
    } else if (coin(random_) < options_.error_rate) {
      verdict = Verdict::kError;
    } else if (coin(random_) < options_.malformed_rate) {
      verdict = Verdict::kMalformed;
    } else if (coin(random_) < options_.hang_rate) {
      verdict = Verdict::kHang;
    }
    if (verdict == Verdict::kAnswer) ++answered_;
    if (verdict == Verdict::kOverRate || verdict == Verdict::kOverDaily) ++refused_;
  }
  return verdict;
}

std::string GeoServer::StatsJson() {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"requests", requests_},
                        {"answered", answered_},
                        {"refused", refused_},
                        {"unpaused", unpaused_},
                        {"languages", languages_},
                        {"max_in_a_second", max_in_a_second_},
                        {"refused_connections", front_->refused_connections()},
                        {"timed_out", front_->timed_out()}}
      .dump();
}

int GeoServer::Bind() {
  options_.port = front_->Bind(options_.host, options_.port);
  return options_.port;
}

void GeoServer::Serve() { front_->Serve(); }

void GeoServer::Stop() { front_->Stop(); }

}  // namespace taskfarm

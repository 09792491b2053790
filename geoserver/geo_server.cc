#include "geoserver/geo_server.h"

#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace taskfarm {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kServerThreads = 64;  // latency and hangs hold a thread each
constexpr auto kHang = std::chrono::seconds(60);

nlohmann::json GoogleResult(const GazetteerMatch& match) {
  return {{"formatted_address", match.formatted_address},
          {"geometry", {{"location", {{"lat", match.place->lat}, {"lng", match.place->lon}}},
                        {"location_type", "APPROXIMATE"}}},
          {"types", {"locality", "political"}},
          {"place_id", fmt::format("taskfarm-{}-{:.5f}-{:.5f}", match.place->country_code,
                                   match.place->lat, match.place->lon)}};
}

nlohmann::json NominatimResult(const GazetteerMatch& match) {
  return {{"lat", fmt::format("{:.7f}", match.place->lat)},
          {"lon", fmt::format("{:.7f}", match.place->lon)},
          {"display_name", match.formatted_address},
          {"name", match.place->name},
          {"category", "place"},
          {"type", "city"},
          {"importance", 0.5},
          {"place_rank", 16}};
}

}  // namespace

GeoServer::GeoServer(GeoServerOptions options, std::shared_ptr<const Gazetteer> gazetteer)
    : options_(std::move(options)),
      gazetteer_(std::move(gazetteer)),
      server_(std::make_unique<httplib::Server>()),
      random_(options_.seed) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };

  server_->Get("/maps/api/geocode/json", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    const Verdict verdict = Judge();
    if (AnsweredAsFault(verdict, "{\"status\": \"OK\", \"results\": [", res)) return;
    nlohmann::json body;
    if (verdict == Verdict::kOverRate) {
      body = {{"status", "OVER_QUERY_LIMIT"}, {"results", nlohmann::json::array()},
              {"error_message", "You have exceeded your rate-limit for this API."}};
    } else if (verdict == Verdict::kOverDaily) {
      body = {{"status", "OVER_DAILY_LIMIT"}, {"results", nlohmann::json::array()},
              {"error_message", "You have exceeded your daily request quota for this API."}};
    } else if (!req.has_param("key") || req.get_param_value("key").empty()) {
      body = {{"status", "REQUEST_DENIED"}, {"results", nlohmann::json::array()},
              {"error_message", "You must use an API key to authenticate each request."}};
    } else if (req.get_param_value("key").rfind("denied-", 0) == 0) {
      // As some services do, the refusal echoes the request, key and all.
      body = {{"status", "REQUEST_DENIED"}, {"results", nlohmann::json::array()},
              {"error_message", "The provided API key is invalid: " + req.target}};
    } else if (!req.has_param("address") || req.get_param_value("address").empty()) {
      body = {{"status", "INVALID_REQUEST"}, {"results", nlohmann::json::array()},
              {"error_message", "Invalid request. Missing the 'address' parameter."}};
    } else if (auto match = gazetteer_->Lookup(req.get_param_value("address"))) {
      body = {{"status", "OK"}, {"results", {GoogleResult(*match)}}};
    } else {
      body = {{"status", "ZERO_RESULTS"}, {"results", nlohmann::json::array()}};
    }
    res.set_content(body.dump(), "application/json; charset=UTF-8");
  });

  server_->Get("/search", [this](const httplib::Request& req, httplib::Response& res) {
    const Verdict verdict = Judge();
    if (AnsweredAsFault(verdict, "[{\"lat\": ", res)) return;
    if (verdict == Verdict::kOverRate) {
      res.status = 429;
      res.set_header("Retry-After", std::to_string(options_.retry_after_s));
      res.set_content("Too Many Requests", "text/plain");
      return;
    }
    if (verdict == Verdict::kOverDaily || req.get_header_value("User-Agent").empty()) {
      res.status = 403;
      res.set_content("Access blocked: see the usage policy", "text/plain");
      return;
    }
    if (!req.has_param("q")) {
      res.status = 400;
      res.set_content(R"({"error":{"code":400,"message":"Nothing to search for."}})",
                      "application/json");
      return;
    }
    nlohmann::json body = nlohmann::json::array();
    if (auto match = gazetteer_->Lookup(req.get_param_value("q"))) {
      body.push_back(NominatimResult(*match));
    }
    res.set_content(body.dump(), "application/json; charset=utf-8");
  });

  server_->Get("/stats", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(StatsJson(), "application/json");
  });
}

GeoServer::~GeoServer() { Stop(); }

bool GeoServer::AnsweredAsFault(Verdict verdict, const char* truncated_body,
                                httplib::Response& res) {
  switch (verdict) {
    case Verdict::kHang:
      std::this_thread::sleep_for(kHang);
      return true;
    case Verdict::kError:
      res.status = 503;
      res.set_content("Service Unavailable", "text/plain");
      return true;
    case Verdict::kMalformed:
      res.set_content(truncated_body, "application/json");
      return true;
    default:
      return false;
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
    const double seconds_up = std::chrono::duration<double>(now - started_).count();
    if (seconds_up < options_.overload_for_s ||
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
  if (options_.latency.count() > 0) std::this_thread::sleep_for(options_.latency);
  return verdict;
}

std::string GeoServer::StatsJson() {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"requests", requests_},
                        {"answered", answered_},
                        {"refused", refused_},
                        {"max_in_a_second", max_in_a_second_}}
      .dump();
}

int GeoServer::Bind() {
  if (options_.port == 0) {
    const int port = server_->bind_to_any_port(options_.host);
    if (port <= 0) throw std::runtime_error("cannot listen on " + options_.host);
    options_.port = port;
  } else if (!server_->bind_to_port(options_.host, options_.port)) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}", options_.host, options_.port));
  }
  return options_.port;
}

void GeoServer::Serve() { server_->listen_after_bind(); }

void GeoServer::Stop() {
  if (!stopping_.exchange(true)) server_->stop();
}

}  // namespace taskfarm

#pragma once
// GeoServer: a local geocoding service that answers in both the Google Geocoding API and the
// Nominatim /search formats from the offline gazetteer, for the demo and the tests. It can
// misbehave on purpose: latency, a maximum rate beyond which it answers 429 (Nominatim) or
// OVER_QUERY_LIMIT (Google), a spell of such answers at start, a daily quota, server errors,
// malformed bodies, requests that hang.
//
//   GET /maps/api/geocode/json?address=...&key=...   Google format (key required; a key
//                                                    "denied-..." is refused with the
//                                                    request echoed, as some services do)
//   GET /search?q=...&format=jsonv2                   Nominatim format (User-Agent required)
//   GET /stats                                        what the server saw, as JSON
//
// The HTTP side, with its deadline and connection limit against slow clients, is HttpFront.

#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "http/http_front.h"
#include "shared/gazetteer.h"

namespace taskfarm {

struct GeoServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds request_timeout{10'000};  // a request must arrive whole within it
  double max_rate = 0;        // requests/s over a sliding second beyond which it refuses; 0: none
  double overload_for_s = 0;  // refuse everything for this long, from overload_after_s on
  double overload_after_s = 0;  // when the spell of refusals begins, after start
  bool google_http_429 = false;  // Google format refuses with HTTP 429 and Retry-After (as
                                 // gateways do), not OVER_QUERY_LIMIT in a 200
  bool retry_after_date = false;  // Retry-After as an HTTP date, not seconds
  uint64_t daily_limit = 0;   // answer OVER_DAILY_LIMIT / 403 after this many; 0: none
  double error_rate = 0;      // fraction answered with HTTP 503
  double malformed_rate = 0;  // fraction answered with a body that is not JSON
  double hang_rate = 0;       // fraction that never get an answer (the client times out)
  int retry_after_s = 1;      // Retry-After of a 429
  /// A request that comes this long after the pause a 429 announced began, and before it
  /// ends, did not wait (those already in flight when the 429 left are let off).
  std::chrono::milliseconds pause_grace{250};
  uint32_t seed = 1;
};

/// Bind, then Serve on one thread; Stop from any thread.
class GeoServer {
 public:
  GeoServer(GeoServerOptions options, std::shared_ptr<const Gazetteer> gazetteer);
  ~GeoServer();

  /// Binds; returns the port (throws std::runtime_error when it cannot bind).
  int Bind();
  /// Serves until Stop() (from any thread).
  void Serve();
  void Stop();

  /// The reply to one request.
  HttpReply Answer(const HttpRequest& request);

 private:
  enum class Verdict { kAnswer, kOverRate, kOverDaily, kError, kMalformed, kHang };
  Verdict Judge();
  HttpReply Google(const HttpRequest& request, Verdict verdict);
  HttpReply Nominatim(const HttpRequest& request, Verdict verdict);
  /// The reply for an injected fault (hang, 503, a cut-off body); nullopt when there is none.
  static std::optional<HttpReply> FaultReply(Verdict verdict, const char* truncated_body);
  /// Counts the language a request asks for (Google's language, Nominatim's accept-language).
  void NoteLanguage(const std::string* language);
  /// HTTP 429 with Retry-After, and the pause it announces remembered.
  HttpReply TooManyRequests();
  std::string StatsJson();

  GeoServerOptions options_;
  std::shared_ptr<const Gazetteer> gazetteer_;
  std::unique_ptr<HttpFront> front_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex mutex_;
  std::mt19937 random_;                                   // guarded by mutex_
  std::vector<std::chrono::steady_clock::time_point> recent_;  // guarded by mutex_: last second
  uint64_t requests_ = 0;                                 // guarded by mutex_
  uint64_t answered_ = 0;                                 // guarded by mutex_
  uint64_t refused_ = 0;                                  // guarded by mutex_
  std::size_t max_in_a_second_ = 0;                       // guarded by mutex_
  std::chrono::steady_clock::time_point pause_began_;     // guarded by mutex_: a 429's pause
  std::chrono::steady_clock::time_point pause_ends_;      // guarded by mutex_
  uint64_t unpaused_ = 0;  // guarded by mutex_: requests that came inside an announced pause
  std::map<std::string, uint64_t> languages_;  // guarded by mutex_: requests per language asked
};

}  // namespace taskfarm

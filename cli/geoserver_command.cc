#include "cli/geoserver_command.h"

#include <signal.h>

#include <iostream>
#include <thread>

#include "coordinator/exit_codes.h"
#include "geoserver/geo_server.h"

namespace taskfarm {
namespace {

struct GeoserverOptions {
  std::string listen = "127.0.0.1:0";
  std::string gazetteer;
  double latency_ms = 0;
  GeoServerOptions server;
  double request_timeout_s = std::chrono::duration<double>(server.request_timeout).count();
};

// "HOST:PORT" (IPv6 as [::1]:PORT) into the options, or false.
bool ParseListen(const std::string& text, GeoServerOptions& server) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    std::size_t used = 0;
    const int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) return false;
    server.host = host;
    server.port = port;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

int Serve(GeoserverOptions options) {
  if (!ParseListen(options.listen, options.server)) {
    std::cerr << "taskfarm geoserver: --listen '" << options.listen
              << "' is not HOST:PORT (e.g. 127.0.0.1:8080, or port 0 for any free port)\n";
    return exit_codes::kBadUsage;
  }
  options.server.latency = std::chrono::milliseconds(static_cast<int64_t>(options.latency_ms));
  options.server.request_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options.request_timeout_s * 1000));
  // Signals are taken by one thread with sigwait, never by a handler inside the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path data =
        options.gazetteer.empty() ? Gazetteer::DefaultDataDir(self)
                                  : std::filesystem::path(options.gazetteer);
    std::shared_ptr<const Gazetteer> gazetteer =
        Gazetteer::Load(data, Gazetteer::DefaultAliasesFile(self));
    GeoServer server(options.server, gazetteer);
    const int port = server.Bind();
    const std::string host = options.server.host.find(':') != std::string::npos
                                 ? "[" + options.server.host + "]"
                                 : options.server.host;
    std::cout << "http://" << host << ":" << port << std::endl;
    std::thread waiter([&] {
      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      server.Stop();
    });
    server.Serve();
    // Wakes the waiter if Serve ended first: SIGTERM is blocked and sigwait()ed for there, so
    // it ends the wait; it does not kill the thread.
    pthread_kill(waiter.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    waiter.join();
    return exit_codes::kSuccess;
  } catch (const std::exception& e) {
    std::cerr << "taskfarm geoserver: " << e.what() << '\n';
    return exit_codes::kBadUsage;
  }
}

}  // namespace

void AddGeoserverCommand(CLI::App& app, int* exit_status) {
  auto options = std::make_shared<GeoserverOptions>();
  CLI::App* cmd = app.add_subcommand(
      "geoserver", "Local Google- and Nominatim-compatible geocoding server (demo, tests)");
  cmd->footer(R"(Prints its URL (http://HOST:PORT) as the first line on stdout, then serves
  GET /maps/api/geocode/json?address=...&key=...   (Google format; keys "denied-..."
                                                   are refused, the request echoed)
  GET /search?q=...&format=jsonv2                  (Nominatim format)
  GET /stats                                       (what it saw) until SIGINT or SIGTERM.

Examples:
  taskfarm geoserver --listen 127.0.0.1:8080 --latency-ms 20
  taskfarm geoserver --max-rate 50 --error-rate 0.05   refuse over 50/s, fail 5%)");
  cmd->add_option("--listen", options->listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  cmd->add_option("--gazetteer", options->gazetteer,
                  "directory of the GeoNames data (default: data/geonames of the checkout)");
  cmd->add_option("--latency-ms", options->latency_ms, "delay before every answer")
      ->check(CLI::Range(0.0, 600'000.0));
  cmd->add_option("--request-timeout", options->request_timeout_s,
                  "seconds a request may take to arrive whole (slow clients are cut off); "
                  "also how long an idle connection is kept")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cmd->add_option("--max-rate", options->server.max_rate,
                  "answer 429 / OVER_QUERY_LIMIT beyond this many requests in any second")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--overload-for", options->server.overload_for_s,
                  "answer 429 / OVER_QUERY_LIMIT to everything for this many seconds (from "
                  "--overload-after on)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--overload-after", options->server.overload_after_s,
                  "seconds after start when the --overload-for spell begins (default 0)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_flag("--google-http-429", options->server.google_http_429,
                "the Google format refuses with HTTP 429 and Retry-After, as gateways and "
                "proxies do, instead of OVER_QUERY_LIMIT");
  cmd->add_flag("--retry-after-date", options->server.retry_after_date,
                "send Retry-After as an HTTP date instead of seconds");
  cmd->add_option("--daily-limit", options->server.daily_limit,
                  "answer OVER_DAILY_LIMIT / 403 after this many answers");
  cmd->add_option("--retry-after", options->server.retry_after_s, "Retry-After of a 429, seconds")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--error-rate", options->server.error_rate, "fraction answered HTTP 503")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--malformed-rate", options->server.malformed_rate,
                  "fraction answered with a body that is not JSON")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--hang-rate", options->server.hang_rate, "fraction never answered")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", options->server.seed, "seed of the fault injection");
  cmd->callback([options, exit_status] { *exit_status = Serve(*options); });
}

}  // namespace taskfarm

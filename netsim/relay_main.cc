// taskfarm-relay: a TCP relay with the latency, jitter and loss of a real link, for the
// scale tests and benchmarks (see relay.h). Not installed: a tool of the test suite.
//
//   taskfarm-relay --listen 10.77.0.1:0 --to 127.0.0.1:5555 --rtt-ms 50
//       --jitter-ms 5 --loss 0.001 --control /tmp/relay.sock
//
// Prints "listening on HOST:PORT" once bound; runs until SIGTERM or SIGINT.

#include <signal.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "netsim/relay.h"

namespace {

volatile int stop_requested = 0;

void RequestStop(int) { stop_requested = 1; }

std::pair<std::string, uint16_t> SplitHostPort(const std::string& text, const char* flag) {
  const auto colon = text.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
    }
  }
  if (port < 0 || port > 65535) {
    throw std::runtime_error(std::string(flag) + " " + text + ": expected HOST:PORT");
  }
  return {text.substr(0, colon), static_cast<uint16_t>(port)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A TCP relay with the latency, jitter and loss of a real link."};
  std::string listen = "127.0.0.1:0";
  std::string target;
  double rtt_ms = 0;
  double jitter_ms = 0;
  double loss = 0;
  std::string control;
  uint64_t seed = 1;
  app.add_option("--listen", listen, "HOST:PORT to accept on (port 0: any)");
  app.add_option("--to", target, "HOST:PORT every connection goes to")->required();
  app.add_option("--rtt-ms", rtt_ms, "round trip added (half each way)")
      ->check(CLI::Range(0.0, 60'000.0));
  app.add_option("--jitter-ms", jitter_ms, "up to this much more each way, at random")
      ->check(CLI::Range(0.0, 60'000.0));
  app.add_option("--loss", loss, "share of segments lost and resent after a timeout")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--control", control, "Unix datagram socket for stall/resume/cut ADDRESS");
  app.add_option("--seed", seed, "seed of the jitter and loss");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is 0; any bad argument is a usage error: 2
  }

  try {
    taskfarm::netsim::RelayConfig config;
    std::tie(config.listen_host, config.listen_port) = SplitHostPort(listen, "--listen");
    std::tie(config.target_host, config.target_port) = SplitHostPort(target, "--to");
    config.shape.one_way = std::chrono::microseconds(static_cast<int64_t>(rtt_ms * 500));
    config.shape.jitter = std::chrono::microseconds(static_cast<int64_t>(jitter_ms * 1000));
    config.shape.loss = loss;
    config.control = control;
    config.seed = seed;
    taskfarm::netsim::Relay relay(config);
    signal(SIGTERM, RequestStop);
    signal(SIGINT, RequestStop);
    signal(SIGPIPE, SIG_IGN);
    std::cout << "listening on " << config.listen_host << ":" << relay.port() << std::endl;
    relay.Run(stop_requested);
  } catch (const std::exception& e) {
    std::cerr << "taskfarm-relay: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

// `taskfarm geoserver` under clients that do not play fair: connections that trickle a
// request a byte at a time, or open and say nothing, beside ordinary requests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection to the server at `url` (http://127.0.0.1:PORT); -1 when refused.
int Connect(const std::string& url) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// How many of `fds` the server closes (end of file or reset) within `limit`.
int ClosedByServer(const std::vector<int>& fds, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::vector<bool> closed(fds.size(), false);
  int count = 0;
  while (count < static_cast<int>(fds.size())) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    std::vector<pollfd> watch;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!closed[i]) {
        watch.push_back({fds[i], POLLIN, 0});
        index.push_back(i);
      }
    }
    if (poll(watch.data(), watch.size(), static_cast<int>(left.count())) <= 0) break;
    for (std::size_t w = 0; w < watch.size(); ++w) {
      if (watch[w].revents == 0) continue;
      char byte = 0;
      if (recv(watch[w].fd, &byte, 1, MSG_DONTWAIT) <= 0) {
        closed[index[w]] = true;
        ++count;
      }
    }
  }
  return count;
}

// Ordinary requests: each must be answered in full, and soon.
void ExpectOrdinaryRequestsAnswered(const std::string& url, int count) {
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    const std::string body = HttpGet(url + "/maps/api/geocode/json?address=Paris%2C+France&key=k");
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_NE(body.find("Paris"), std::string::npos) << "request " << i << " got: " << body;
    EXPECT_LT(seconds, 5.0) << "request " << i;
  }
}

TEST(GeoServer, ClientsSendingAByteASecondStarveNobodyAndAreCutOff) {
  TempDir tmp;
  GeoServerProcess server({"--request-timeout", "4"}, tmp);
  const std::string request = "GET /search?q=Oslo&format=jsonv2 HTTP/1.1\r\nHost: x\r\n"
                              "User-Agent: slow\r\n\r\n";
  std::vector<int> slow;
  for (int i = 0; i < 80; ++i) {
    const int fd = Connect(server.url());
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (std::size_t sent = 0; !stop && sent + 1 < request.size(); ++sent) {
      for (int fd : slow) send(fd, &request[sent], 1, MSG_NOSIGNAL);
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // every slow client has begun
  ExpectOrdinaryRequestsAnswered(server.url(), 20);

  // A request must arrive whole within --request-timeout (4 s): the trickle would take over
  // 60 s.
  const int cut = ClosedByServer(slow, std::chrono::seconds(15));
  stop = true;
  trickle.join();
  for (int fd : slow) close(fd);
  EXPECT_EQ(cut, 80) << "slow clients the server closed within 15 s";
  EXPECT_GE(server.Stats().value("timed_out", 0), 80);
}

TEST(GeoServer, ConnectionsPastTheLimitAreClosedAndTheServerRecovers) {
  TempDir tmp;
  GeoServerProcess server({"--request-timeout", "4"}, tmp);
  std::vector<int> silent;
  for (int i = 0; i < 600; ++i) {
    const int fd = Connect(server.url());
    if (fd >= 0) silent.push_back(fd);
  }
  // The server holds at most 512 connections; the rest are closed at once.
  const int closed_at_once = ClosedByServer(silent, std::chrono::milliseconds(1000));
  EXPECT_GE(closed_at_once, 600 - 512);
  EXPECT_LT(closed_at_once, 600) << "connections within the limit are kept until the deadline";
  // Idle connections are closed after --request-timeout; then ordinary clients are served.
  EXPECT_TRUE(WaitFor([&] { return !HttpGet(server.url() + "/stats").empty(); },
                      std::chrono::seconds(15)));
  ExpectOrdinaryRequestsAnswered(server.url(), 5);
  const auto stats = server.Stats();
  EXPECT_GE(stats.value("refused_connections", 0), 600 - 512);
  for (int fd : silent) close(fd);
}

}  // namespace
}  // namespace taskfarm::testing

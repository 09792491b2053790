#pragma once
// HttpFront: a small HTTP/1.1 server (GET only) on one thread with Boost.Beast, for the
// local geocoding server and a run's dashboard. Connections are served asynchronously, so a slow or silent client
// costs a socket, not a thread:
//   - a request must arrive whole within the request deadline of the server's turn to read
//     it (a keep-alive connection idle that long is closed too); a request head may be 8 KiB;
//   - at most kMaxConnections are open at once: past that, a new one is closed at once.
// A reply may be delayed (a timer, not a sleeping thread) or never sent (held until the
// client leaves, or for kHangFor).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace taskfarm {

struct HttpRequest {
  std::string target;  // as sent: path and query
  std::string path;
  std::map<std::string, std::string> params;  // the query, decoded; the first value of each
  std::string user_agent;
  const std::string* Param(const std::string& name) const;
};

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::string retry_after;  // the Retry-After header, when not empty
  std::chrono::milliseconds delay{0};
  bool hang = false;  // never answered
};

class HttpFront {
 public:
  static constexpr std::size_t kMaxConnections = 512;
  static constexpr std::chrono::seconds kHangFor{60};

  /// `answer` is called on the serving thread, one request at a time.
  HttpFront(std::function<HttpReply(const HttpRequest&)> answer,
            std::chrono::milliseconds request_deadline);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  /// Binds `host`:`port` (0: any free port); returns the port. Throws std::runtime_error.
  int Bind(const std::string& host, int port);
  /// Serves until Stop().
  void Serve();
  /// From any thread; Serve() returns soon after.
  void Stop();

  uint64_t refused_connections() const { return refused_connections_; }
  uint64_t timed_out() const { return timed_out_; }

 private:
  class Connection;
  struct Io;  // Boost.Asio's objects, kept out of this header
  void Accept();

  std::function<HttpReply(const HttpRequest&)> answer_;
  const std::chrono::milliseconds request_deadline_;
  std::size_t open_connections_ = 0;  // on the serving thread only
  std::atomic<uint64_t> refused_connections_{0};
  std::atomic<uint64_t> timed_out_{0};
  std::unique_ptr<Io> io_;  // last: its connections are gone before the counters
};

}  // namespace taskfarm

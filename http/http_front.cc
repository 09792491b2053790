#include "http/http_front.h"

#include <glib.h>

#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>  // Boost 1.74's asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace taskfarm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxHeadBytes = 8 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

// A query component: '+' is a space, then %XX escapes (GLib's URI decoder). A component
// with a malformed escape, or an escaped NUL, is taken as it came.
std::string DecodeQueryPart(std::string_view part) {
  std::string plus_as_space(part);
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  char* decoded = g_uri_unescape_segment(plus_as_space.data(),
                                         plus_as_space.data() + plus_as_space.size(), nullptr);
  if (decoded == nullptr) return plus_as_space;
  std::string text(decoded);
  g_free(decoded);
  return text;
}

HttpRequest RequestOf(const http::request<http::string_body>& message) {
  HttpRequest request;
  request.target = std::string(message.target());
  const auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) {
    std::string_view query = std::string_view(request.target).substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto equals = pair.find('=');
      request.params.emplace(DecodeQueryPart(pair.substr(0, equals)),
                             equals == std::string_view::npos
                                 ? std::string()
                                 : DecodeQueryPart(pair.substr(equals + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  request.user_agent = std::string(message[http::field::user_agent]);
  return request;
}

}  // namespace

const std::string* HttpRequest::Param(const std::string& name) const {
  const auto found = params.find(name);
  return found == params.end() ? nullptr : &found->second;
}

struct HttpFront::Io {
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  asio::steady_timer accept_pause{context};  // after a failed accept (e.g. out of descriptors)
};

// One client connection: read a request within the deadline, answer it, and again while the
// client keeps the connection alive. Owned by the handlers in flight (shared_ptr).
class HttpFront::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpFront& front)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), front_(front) {
    ++front_.open_connections_;
  }
  ~Connection() { --front_.open_connections_; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeadBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(front_.request_deadline_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->OnRead(error);
                     });
  }

 private:
  void OnRead(beast::error_code error) {
    if (error == beast::error::timeout) ++front_.timed_out_;
    if (error) return;  // closed, timed out or not HTTP: the connection ends here
    const http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    const unsigned version = message.version();
    HttpReply reply = front_.answer_(RequestOf(message));
    if (reply.hang) return Hang();
    response_ = {static_cast<http::status>(reply.status), version};
    response_.set(http::field::server, "taskfarm-geoserver");
    response_.set(http::field::content_type, reply.content_type);
    if (!reply.retry_after.empty()) response_.set(http::field::retry_after, reply.retry_after);
    response_.body() = std::move(reply.body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    if (reply.delay.count() <= 0) return Write();
    timer_.expires_after(reply.delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Write(); });
  }

  void Write() {
    stream_.expires_after(front_.request_deadline_);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code error, std::size_t) {
                        if (error || !self->keep_alive_) return;
                        self->Read();
                      });
  }

  // No answer: the connection is held until the client gives up (or kHangFor passes).
  void Hang() {
    stream_.expires_after(kHangFor);
    stream_.async_read_some(buffer_.prepare(512),
                            [self = shared_from_this()](beast::error_code, std::size_t) {});
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  HttpFront& front_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
};

HttpFront::HttpFront(std::function<HttpReply(const HttpRequest&)> answer,
                     std::chrono::milliseconds request_deadline)
    : answer_(std::move(answer)),
      request_deadline_(request_deadline),
      io_(std::make_unique<Io>()) {}

HttpFront::~HttpFront() = default;

int HttpFront::Bind(const std::string& host, int port) {
  try {
    tcp::resolver resolver(io_->context);
    const auto endpoints = resolver.resolve(host, std::to_string(port),
                                            tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    io_->acceptor.open(endpoint.protocol());
    io_->acceptor.set_option(asio::socket_base::reuse_address(true));
    io_->acceptor.bind(endpoint);
    io_->acceptor.listen(asio::socket_base::max_listen_connections);
    return io_->acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", host, port,
                                         e.code().message()));
  }
}

void HttpFront::Accept() {
  io_->acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;  // stopped
    if (error) {
      io_->accept_pause.expires_after(std::chrono::milliseconds(100));
      io_->accept_pause.async_wait([this](beast::error_code) { Accept(); });
      return;
    }
    if (open_connections_ >= kMaxConnections) {
      ++refused_connections_;
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Connection>(std::move(socket), *this)->Read();
    }
    Accept();
  });
}

void HttpFront::Serve() {
  Accept();
  io_->context.run();
}

void HttpFront::Stop() { io_->context.stop(); }

}  // namespace taskfarm

#include "netsim/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace taskfarm::netsim {
namespace {

// Epoll tags: the listener and the control socket, else (link id << 1) | is_target.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kControlTag = 1;  // link ids start at 1, so their tags at 2
constexpr uint32_t kNotWatched = ~0u;
constexpr auto kConnectRetry = std::chrono::milliseconds(50);

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_in ParseAddress(const std::string& host, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: '" + host + "'");
  }
  return address;
}

void MakeNonBlocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string AddressText(const sockaddr_in& address) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
  return text;
}

}  // namespace

Relay::Relay(RelayConfig config) : config_(std::move(config)), random_(config_.seed) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw SystemError("epoll_create1");
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = ParseAddress(config_.listen_host, config_.listen_port);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 1024) != 0) {
    throw SystemError("--listen " + config_.listen_host + ":" +
                      std::to_string(config_.listen_port));
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  epoll_event event{EPOLLIN, {.u64 = kListenerTag}};
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event);

  if (!config_.control.empty()) {
    control_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un unix_address{};
    unix_address.sun_family = AF_UNIX;
    const std::string path = config_.control.string();
    if (path.size() >= sizeof unix_address.sun_path) {
      throw std::runtime_error("--control " + path + ": path too long for a Unix socket");
    }
    std::memcpy(unix_address.sun_path, path.c_str(), path.size() + 1);
    ::unlink(path.c_str());
    if (::bind(control_, reinterpret_cast<sockaddr*>(&unix_address), sizeof unix_address) != 0) {
      throw SystemError("--control " + path);
    }
    epoll_event control_event{EPOLLIN, {.u64 = kControlTag}};
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, control_, &control_event);
  }
}

Relay::~Relay() {
  for (auto& [id, link] : links_) {
    ::close(link.client_fd);
    if (link.target_fd >= 0) ::close(link.target_fd);
  }
  if (control_ >= 0) {
    ::close(control_);
    ::unlink(config_.control.c_str());
  }
  ::close(listener_);
  ::close(epoll_);
}

void Relay::Run(const volatile int& stop) {
  std::vector<epoll_event> events(256);
  while (!stop) {
    // Microseconds matter here (a 0.2 ms round trip): epoll_pwait2 takes a timespec.
    const timespec timeout = PollTimeout(Clock::now());
    const int ready = ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()),
                                     &timeout, nullptr);
    if (ready < 0 && errno != EINTR) throw SystemError("epoll_wait");
    for (int i = 0; i < ready; ++i) {
      if (events[i].data.u64 == kListenerTag) Accept();
      if (events[i].data.u64 == kControlTag) HandleCommand();
    }
    // Every link is serviced on every wake-up: a few hundred links cost microseconds, and
    // due bytes need no event of their own.
    const auto now = Clock::now();
    std::vector<int> ended;
    for (auto& [id, link] : links_) {
      if (!Service(id, link, now)) ended.push_back(id);
    }
    for (int id : ended) Close(id);
  }
}

void Relay::Accept() {
  while (true) {
    sockaddr_in client{};
    socklen_t length = sizeof client;
    const int client_fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&client), &length,
                                    SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client_fd < 0) return;
    const std::string name = AddressText(client);
    if (cut_.count(name) || cut_.count("all")) {
      ::close(client_fd);
      continue;
    }
    MakeNonBlocking(client_fd);
    Link& link = links_[next_link_id_++];
    link.client = name;
    link.client_fd = client_fd;
    link.client_events = kNotWatched;
    link.target_events = kNotWatched;
    ConnectTarget(link);
  }
}

bool Relay::ConnectTarget(Link& link) {
  // The target is on this machine: a blocking connect takes microseconds. One that is not
  // listening yet is tried again (the client's bytes wait, as behind a slow SYN), so a
  // client that starts first does not see its connection accepted and then dropped.
  const int target_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in target = ParseAddress(config_.target_host, config_.target_port);
  if (::connect(target_fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    ::close(target_fd);
    link.retry_at = Clock::now() + kConnectRetry;
    return false;
  }
  MakeNonBlocking(target_fd);
  link.target_fd = target_fd;
  link.up = std::make_unique<DelayedStream>(link.client_fd, target_fd, config_.shape, random_);
  link.down = std::make_unique<DelayedStream>(target_fd, link.client_fd, config_.shape, random_);
  if (Stalled(link.client)) {
    link.up->Stall();
    link.down->Stall();
  }
  return true;
}

void Relay::HandleCommand() {
  char buffer[256];
  ssize_t n;
  while ((n = ::recv(control_, buffer, sizeof buffer - 1, 0)) > 0) {
    const std::string command(buffer, static_cast<std::size_t>(n));
    const auto space = command.find(' ');
    const std::string verb = command.substr(0, space);
    std::string who = space == std::string::npos ? "all" : command.substr(space + 1);
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    if (verb == "stall") stalled_.insert(who);
    if (verb == "resume") {
      stalled_.erase(who);
      cut_.erase(who);
    }
    if (verb == "cut") cut_.insert(who);
    std::vector<int> to_close;
    for (auto& [id, link] : links_) {
      if ((who != "all" && link.client != who) || link.target_fd < 0) continue;
      if (verb == "stall") {
        link.up->Stall();
        link.down->Stall();
      } else if (verb == "resume") {
        link.up->Resume();
        link.down->Resume();
      } else if (verb == "cut") {
        to_close.push_back(id);
      }
    }
    for (int id : to_close) Close(id);
  }
}

bool Relay::Stalled(const std::string& client) const {
  return stalled_.count(client) || stalled_.count("all");
}

bool Relay::Service(int id, Link& link, Clock::time_point now) {
  if (link.target_fd < 0 && (now < link.retry_at || !ConnectTarget(link))) return true;
  if (!link.up->ReadAvailable(now) && link.up->Finished()) return false;
  if (!link.down->ReadAvailable(now) && link.down->Finished()) return false;
  if (!link.up->WriteDue(now) || !link.down->WriteDue(now)) return false;
  if (link.up->Finished() && link.down->Finished()) return false;
  const auto interest = [](bool read, bool write) {
    return (read ? uint32_t{EPOLLIN} : 0u) | (write ? uint32_t{EPOLLOUT} : 0u);
  };
  Watch(link.client_fd, link.client_events,
        interest(link.up->WantsToRead(), link.down->Blocked()), uint64_t(id) << 1);
  Watch(link.target_fd, link.target_events,
        interest(link.down->WantsToRead(), link.up->Blocked()), (uint64_t(id) << 1) | 1);
  return true;
}

void Relay::Watch(int fd, uint32_t& current, uint32_t wanted, uint64_t tag) {
  if (current == wanted) return;
  epoll_event event{wanted, {.u64 = tag}};
  if (current == kNotWatched) {
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  } else {
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
  }
  current = wanted;
}

void Relay::Close(int link_id) {
  auto it = links_.find(link_id);
  if (it == links_.end()) return;
  ::close(it->second.client_fd);  // closing removes them from the epoll set
  if (it->second.target_fd >= 0) ::close(it->second.target_fd);
  links_.erase(it);
}

timespec Relay::PollTimeout(Clock::time_point now) const {
  auto next = now + std::chrono::milliseconds(100);
  for (const auto& [id, link] : links_) {
    if (link.target_fd < 0) {
      next = std::min(next, link.retry_at);
    } else {
      next = std::min({next, link.up->NextDue(), link.down->NextDue()});
    }
  }
  const auto wait = std::max<Clock::duration>(next - now, Clock::duration::zero());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace taskfarm::netsim

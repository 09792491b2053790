#include "coordinator/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace taskfarm {
namespace {

// The handler may only touch this: async-signal-safe write() to a non-blocking pipe.
volatile sig_atomic_t g_write_fd = -1;
volatile pid_t g_owner_pid = 0;
constexpr int kHandledSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void OnSignal(int signal_number) {
  if (getpid() != g_owner_pid) {
    // A child between fork and exec still has this handler: it must die as if it had none,
    // not report the signal as the coordinator's own.
    signal(signal_number, SIG_DFL);
    raise(signal_number);
    return;
  }
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  if (g_write_fd >= 0) {
    const ssize_t ignored = write(g_write_fd, &byte, 1);  // a full pipe already says enough
    (void)ignored;
  }
  errno = saved_errno;
}

}  // namespace

SignalPipe::SignalPipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  read_fd_ = fds[0];
  g_write_fd = fds[1];
  g_owner_pid = getpid();
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : kHandledSignals) sigaction(signal_number, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

SignalPipe::~SignalPipe() {
  for (int signal_number : kHandledSignals) std::signal(signal_number, SIG_DFL);
  close(g_write_fd);
  g_write_fd = -1;
  close(read_fd_);
}

std::optional<int> SignalPipe::Take() {
  unsigned char byte = 0;
  if (read(read_fd_, &byte, 1) == 1) return static_cast<int>(byte);
  return std::nullopt;
}

}  // namespace taskfarm

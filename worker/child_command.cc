#include "worker/child_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "shared/clock.h"
#include "shared/find_program.h"
#include "shared/system_text.h"

extern char** environ;

namespace taskfarm {
namespace {

constexpr std::size_t kReadChunkBytes = std::size_t{64} * 1024;
constexpr int kCommandNotFound = 127;
constexpr int kCannotExecute = 126;

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = other.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Starts `program` in a process group of its own, stdin from /dev/null, stdout and stderr
// into the pipes. posix_spawn (a vfork underneath) costs the same however large the worker
// is; fork would copy its page tables for every command.
pid_t Spawn(const char* program, char* const* argv, int stdout_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nothing else of the worker's
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigemptyset(&defaults);
  for (int signal_number : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT}) {
    sigaddset(&defaults, signal_number);  // the worker ignores some; its commands must not
  }
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, program, &actions, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return pid;
}

struct Stream {
  Fd pipe;
  Fd file;
  std::string* kept = nullptr;
  uint64_t* total = nullptr;
  std::string file_name;
};

// Reads what is there; false at end of file.
bool ReadInto(Stream& stream, uint64_t capture_limit, std::string& write_error) {
  std::array<char, kReadChunkBytes> buffer;
  const ssize_t n = read(stream.pipe.get(), buffer.data(), buffer.size());
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  const auto bytes = static_cast<std::size_t>(n);
  *stream.total += bytes;
  if (stream.kept->size() < capture_limit) {
    stream.kept->append(buffer.data(), std::min<std::size_t>(bytes, capture_limit - stream.kept->size()));
  }
  if (stream.file.get() >= 0 && write_error.empty()) {
    std::size_t written = 0;
    while (written < bytes) {
      const ssize_t w = write(stream.file.get(), buffer.data() + written, bytes - written);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        write_error = fmt::format("cannot write {}: {}", stream.file_name, ErrnoText(errno));
        break;
      }
      written += static_cast<std::size_t>(w);
    }
  }
  return true;
}

Fd OpenOutputFile(const std::filesystem::path& path, std::string& error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) error = fmt::format("cannot write {}: {}", path.string(), ErrnoText(errno));
  return Fd(fd);
}

thread_local uint64_t children_cpu_ns = 0;  // ThreadChildrenCpuNanos

std::chrono::nanoseconds CpuOf(const rusage& usage) {
  const auto micros = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

}  // namespace

std::filesystem::path ProgramPaths::Find(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = paths_.find(name); it != paths_.end()) return it->second;
  }
  std::filesystem::path path = FindProgram(name);
  std::lock_guard lock(mutex_);
  if (!path.empty()) paths_.emplace(name, path);  // a missing one may be installed later
  return path;
}

std::string ChildCommandResult::Describe(std::chrono::milliseconds timeout) const {
  if (!start_error.empty()) return start_error;
  if (!write_error.empty()) return write_error;
  if (timed_out) {
    return fmt::format("timed out after {} s (its process group was killed)",
                       std::chrono::duration<double>(timeout).count());
  }
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, SignalText(signal));
  return fmt::format("exit status {}", exit_status);
}

ChildCommandResult RunChildCommand(const ChildCommandSpec& spec) {
  ChildCommandResult result;
  if (spec.argv.empty() || spec.argv[0].empty()) {
    result.start_error = "empty command";
    result.exit_status = kCommandNotFound;
    return result;
  }
  const std::filesystem::path program =
      spec.argv[0].find('/') != std::string::npos ? std::filesystem::path(spec.argv[0])
      : spec.programs != nullptr                  ? spec.programs->Find(spec.argv[0])
                                                  : FindProgram(spec.argv[0]);
  if (program.empty()) {
    result.start_error = "command not found: " + spec.argv[0];
    result.exit_status = kCommandNotFound;
    return result;
  }
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  Stream out, err;
  out.kept = &result.out;
  out.total = &result.out_bytes;
  err.kept = &result.err;
  err.total = &result.err_bytes;
  if (spec.stdout_file) {
    out.file_name = spec.stdout_file->string();
    out.file = OpenOutputFile(*spec.stdout_file, result.write_error);
  }
  if (spec.stderr_file && result.write_error.empty()) {
    err.file_name = spec.stderr_file->string();
    err.file = OpenOutputFile(*spec.stderr_file, result.write_error);
  }
  if (!result.write_error.empty()) return result;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + ErrnoText(errno));
  out.pipe = Fd(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + ErrnoText(errno));
  err.pipe = Fd(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  const auto started = MonoClock::now();
  const pid_t command = Spawn(program.c_str(), argv.data(), out_write.get(), err_write.get());
  if (command < 0) {
    result.start_error = "cannot run " + program.string() + ": " + ErrnoText(errno);
    result.exit_status = errno == ENOENT ? kCommandNotFound : kCannotExecute;
    return result;
  }
  // Its group is the command's pid; from here on it dies with this worker.
  if (spec.reaper != nullptr) spec.reaper->Register(command);
  out_write.Close();
  err_write.Close();

  std::array<Stream*, 2> streams = {&out, &err};
  bool out_open = true, err_open = true;
  bool term_sent = false;
  while (out_open || err_open) {
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    std::array<Stream*, 2> polled{};
    if (out_open) {
      fds[count] = {out.pipe.get(), POLLIN, 0};
      polled[count++] = streams[0];
    }
    if (err_open) {
      fds[count] = {err.pipe.get(), POLLIN, 0};
      polled[count++] = streams[1];
    }
    int wait_ms = -1;
    if (spec.timeout.count() > 0 && !term_sent) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          started + spec.timeout - MonoClock::now());
      wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    const int ready = poll(fds.data(), count, wait_ms);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll: " + ErrnoText(errno));
    if (ready == 0 && !term_sent) {
      kill(-command, SIGKILL);  // the command and everything it started
      result.timed_out = true;
      term_sent = true;
      continue;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const uint64_t limit = polled[i] == &out ? spec.capture_limit
                                               : spec.stderr_capture_limit.value_or(spec.capture_limit);
      if (!ReadInto(*polled[i], limit, result.write_error)) {
        (polled[i] == &out ? out_open : err_open) = false;
      }
    }
  }
  // Once the command has exited, but before it is reaped (so its pid, the group's id, cannot
  // be reused), what it left running in the background goes too.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(command), &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitid: " + ErrnoText(errno));
  }
  kill(-command, SIGKILL);
  if (spec.reaper != nullptr) spec.reaper->Unregister(command);
  int status = 0;
  rusage usage{};
  while (wait4(command, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4: " + ErrnoText(errno));
  }
  result.wall = MonoClock::now() - started;
  result.cpu = CpuOf(usage);
  children_cpu_ns += static_cast<uint64_t>(result.cpu.count());
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  if (result.timed_out) {
    result.exit_status = -1;
    result.signal = 0;
  }
  for (Stream* stream : streams) {
    if (stream->file.get() >= 0 && close(stream->file.Release()) != 0 && result.write_error.empty()) {
      result.write_error = fmt::format("cannot write {}: {}", stream->file_name, ErrnoText(errno));
    }
  }
  return result;
}

uint64_t ThreadChildrenCpuNanos() { return children_cpu_ns; }

}  // namespace taskfarm

// bare_pipeline: the ZeroMQ Guide's taskvent / taskwork / tasksink with msgpack messages and
// nothing else: one PUSH ventilator, W PULL->PUSH worker processes, one PULL sink process.
// It is the ceiling taskfarm's dispatch is measured against (bench/run).
//
// Usage: bare_pipeline WORKERS TASKS   -> prints "tasks_per_s <rate>" on stdout.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "shared/transport.h"

namespace {

using taskfarm::MakeSocket;
namespace wire = taskfarm::wire;

constexpr int kHwm = 1000;

// One struct per message, msgpack-encoded, no envelope, no batching: the bare pattern.
template <typename T>
void Send(zmq::socket_t& socket, const T& value, msgpack::sbuffer& buffer) {
  buffer.clear();
  msgpack::pack(buffer, value);
  socket.send(zmq::const_buffer(buffer.data(), buffer.size()), zmq::send_flags::none);
}

template <typename T>
T Receive(zmq::socket_t& socket) {
  zmq::message_t frame;
  if (!socket.recv(frame)) return T{};
  return msgpack::unpack(static_cast<const char*>(frame.data()), frame.size()).get().as<T>();
}

// Each role runs in its own process and makes its own context there, after the fork.
[[noreturn]] void RunWorker(const std::string& vent, const std::string& sink_endpoint) {
  zmq::context_t context(1);
  auto tasks = MakeSocket(context, zmq::socket_type::pull, {kHwm, {}});
  auto sink = MakeSocket(context, zmq::socket_type::push, {kHwm, std::chrono::milliseconds(5000)});
  tasks.connect(vent);
  sink.connect(sink_endpoint);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let every connect finish
  msgpack::sbuffer scratch;
  Send(sink, wire::Result{}, scratch);  // "ready"
  for (;;) {
    wire::Task task = Receive<wire::Task>(tasks);
    if (task.id == 0) break;  // the stop signal
    wire::Result result;
    result.task_id = task.id;
    Send(sink, result, scratch);
  }
  sink.close();
  tasks.close();
  std::_Exit(0);
}

[[noreturn]] void RunSink(const std::string& endpoint, int workers, long tasks, int report_fd) {
  zmq::context_t context(1);
  auto sink = MakeSocket(context, zmq::socket_type::pull, {kHwm, {}});
  sink.bind(endpoint);
  for (int ready = 0; ready < workers; ++ready) Receive<wire::Result>(sink);
  char byte = 'r';
  if (write(report_fd, &byte, 1) != 1) std::_Exit(1);
  for (long done = 0; done < tasks; ++done) Receive<wire::Result>(sink);
  byte = 'd';
  if (write(report_fd, &byte, 1) != 1) std::_Exit(1);
  sink.close();
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bare_pipeline WORKERS TASKS\n");
    return 2;
  }
  const int workers = static_cast<int>(std::strtol(argv[1], nullptr, 10));
  const long tasks = std::strtol(argv[2], nullptr, 10);
  char dir_template[] = "/tmp/bare-pipeline-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string vent = "ipc://" + dir + "/vent";
  const std::string sink = "ipc://" + dir + "/sink";

  int report[2];
  if (pipe(report) != 0) return 1;
  if (fork() == 0) RunSink(sink, workers, tasks, report[1]);
  std::vector<pid_t> worker_pids;
  for (int i = 0; i < workers; ++i) {
    const pid_t pid = fork();
    if (pid == 0) RunWorker(vent, sink);
    worker_pids.push_back(pid);
  }
  zmq::context_t context(1);
  auto ventilator = MakeSocket(context, zmq::socket_type::push, {kHwm, {}});
  ventilator.bind(vent);
  char byte = 0;
  if (read(report[0], &byte, 1) != 1) return 1;  // every worker is connected

  const auto start = std::chrono::steady_clock::now();
  msgpack::sbuffer scratch;
  for (long id = 1; id <= tasks; ++id) {
    Send(ventilator, wire::Task{static_cast<uint64_t>(id), "noop", 1, {}}, scratch);
  }
  if (read(report[0], &byte, 1) != 1) return 1;  // the sink has every result
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Stopped by signal: a stop message sent round-robin could reach a worker that already
  // left, and the other would wait for it forever.
  for (pid_t pid : worker_pids) kill(pid, SIGTERM);
  for (int i = 0; i < workers + 1; ++i) wait(nullptr);
  ventilator.close();
  std::filesystem::remove_all(dir);
  std::printf("tasks_per_s %.0f\n", static_cast<double>(tasks) / seconds);
  return 0;
}

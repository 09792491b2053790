#include "coordinator/local_worker.h"

#include <unistd.h>

#include <fstream>

#include "coordinator/credit_policy.h"
#include "shared/transport.h"

namespace taskfarm {
namespace {

// Room for every batch the credit policy lets a worker hold, twice over.
constexpr int kWorkerSocketHwm = static_cast<int>(CreditPolicy::kMaxCredit) * 2;

zmq::socket_t BoundPushSocket(zmq::context_t& context, const std::string& endpoint) {
  zmq::socket_t socket = MakeSocket(context, zmq::socket_type::push, {kWorkerSocketHwm, {}});
  socket.bind(endpoint);
  return socket;
}

std::string TaskEndpoint(const RunDirectory& run_directory, uint32_t id) {
  return run_directory.IpcEndpoint("w" + std::to_string(id));
}

std::vector<std::string> FullArguments(const RunDirectory& run_directory, uint32_t id,
                                       const WorkerLaunch& launch) {
  std::vector<std::string> args = launch.leading_args;
  const auto own = WorkerArguments(id, TaskEndpoint(run_directory, id), run_directory,
                                   launch.extra_args);
  args.insert(args.end(), own.begin(), own.end());
  return args;
}

}  // namespace

LocalWorker::LocalWorker(zmq::context_t& context, const RunDirectory& run_directory,
                         uint32_t id, const WorkerLaunch& launch)
    : socket_(BoundPushSocket(context, TaskEndpoint(run_directory, id))),
      process_(launch.executable, FullArguments(run_directory, id, launch)) {}

bool LocalWorker::Send(const wire::Message& message) {
  return SendMessage(socket_, message, scratch_, /*dont_wait=*/true);
}

void LocalWorker::Signal(int signal_number) { process_.Signal(signal_number); }

std::optional<uint64_t> LocalWorker::ResidentBytes() const {
  std::ifstream statm("/proc/" + std::to_string(process_.pid()) + "/statm");
  uint64_t pages_total = 0;
  uint64_t pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return std::nullopt;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::size_t LocalWorker::AddPollItems(std::vector<zmq::pollitem_t>& items, bool want_space) {
  items.push_back({nullptr, process_.pidfd(), ZMQ_POLLIN, 0});
  if (!want_space) return 1;
  items.push_back({socket_.handle(), 0, ZMQ_POLLOUT, 0});
  return 2;
}

}  // namespace taskfarm

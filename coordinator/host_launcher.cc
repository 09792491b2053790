#include "coordinator/host_launcher.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "shared/find_program.h"

namespace taskfarm {
namespace {

constexpr std::chrono::milliseconds kStopWait{5000};
constexpr std::chrono::milliseconds kExitWait{10'000};

std::string ThisHost() {
  char name[256] = {};
  return gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

}  // namespace

std::string ReachableEndpoint(const std::string& bound) {
  for (const std::string wildcard : {"tcp://0.0.0.0:", "tcp://*:", "tcp://[::]:"}) {
    if (bound.rfind(wildcard, 0) == 0) {
      return "tcp://" + ThisHost() + ":" + bound.substr(wildcard.size());
    }
  }
  return bound;
}

HostLauncher::HostLauncher(LaunchConfig config) : config_(std::move(config)) {}

HostLauncher::~HostLauncher() {
  // The agents end on the coordinator's Stop (srun with its job): give them the time to stop
  // their workers; then cancel what is left, pending jobs included; then kill and reap.
  AwaitAgents(kStopWait);
  CancelJobs();
  AwaitAgents(kExitWait);
  agents_.clear();  // SIGKILL and reap what still runs
}

void HostLauncher::AwaitAgents(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (auto& agent : agents_) {
    while (!agent->Reap() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

std::vector<std::string> HostLauncher::HostCommand(const std::string& connect) const {
  std::vector<std::string> args{"host", "--connect", connect, "--workers",
                                std::to_string(config_.workers_per_host)};
  if (config_.insecure) {
    args.emplace_back("--insecure");
  } else {
    args.insert(args.end(), {"--keys", std::filesystem::absolute(config_.keys_dir).string()});
  }
  return args;
}

void HostLauncher::Launch(const std::string& endpoint) {
  const std::string connect = ReachableEndpoint(endpoint);
  const std::filesystem::path self = SelfExecutable();
  for (unsigned i = 0; i < config_.hosts; ++i) {
    std::vector<std::string> host = HostCommand(connect);
    if (config_.launcher == "local") {
      agents_.push_back(std::make_unique<WorkerProcess>(self, host));
      continue;
    }
    const std::string job = "taskfarm-" + std::to_string(getpid()) + "-" + std::to_string(i);
    std::vector<std::string> srun{"--job-name=" + job, "--ntasks=1",
                                  "--cpus-per-task=" + std::to_string(config_.workers_per_host),
                                  "--quiet", "--kill-on-bad-exit=1"};
    srun.insert(srun.end(), config_.slurm_options.begin(), config_.slurm_options.end());
    srun.push_back(self.string());
    srun.insert(srun.end(), host.begin(), host.end());
    const std::filesystem::path program = FindProgram("srun");
    if (program.empty()) throw std::runtime_error("--launcher slurm: srun is not on PATH");
    agents_.push_back(std::make_unique<WorkerProcess>(program, srun));
    job_names_.push_back(job);
  }
  told_ended_.assign(agents_.size(), false);
  spdlog::info("started {} host agents ({}) for {}", config_.hosts, config_.launcher, connect);
}

bool HostLauncher::AnyAgentRunning() {
  if (agents_.empty()) return true;  // not launched yet
  bool running = false;
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (!agents_[i]->Reap()) {
      running = true;
    } else if (!told_ended_[i]) {
      told_ended_[i] = true;
      spdlog::warn("host agent {} of {} ({}) ended: {}", i + 1, agents_.size(),
                   config_.launcher == "slurm" ? "srun" : "taskfarm host",
                   agents_[i]->ExitDescription());
    }
  }
  return running;
}

void HostLauncher::CancelJobs() {
  if (job_names_.empty()) return;
  const std::filesystem::path scancel = FindProgram("scancel");
  std::string names;
  for (const std::string& job : job_names_) names += (names.empty() ? "" : ",") + job;
  job_names_.clear();
  // A job that already ended is not an error (scancel exits 0); if scancel itself fails,
  // the sruns are still killed by the destructor.
  try {
    if (scancel.empty()) throw std::runtime_error("scancel is not on PATH");
    WorkerProcess cancel(scancel, {"--name=" + names});
    const auto deadline = std::chrono::steady_clock::now() + kExitWait;
    while (!cancel.Reap() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!cancel.exited_cleanly()) throw std::runtime_error(cancel.ExitDescription());
  } catch (const std::exception& e) {
    spdlog::warn("scancel --name={}: {}", names, e.what());
  }
}

}  // namespace taskfarm

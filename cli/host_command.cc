#include "cli/host_command.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "coordinator/exit_codes.h"
#include "host/host_agent.h"
#include "coordinator/worker_process.h"
#include "shared/curve_keys.h"
#include "shared/defaults.h"

namespace taskfarm {

void AddHostCommand(CLI::App& app, const Program& program, int* exit_status) {
  auto config = std::make_shared<HostConfig>();
  config->workers = std::max(1u, std::thread::hardware_concurrency());
  auto join_timeout_s = std::make_shared<double>(30);
  CLI::App* host = app.add_subcommand(
      "host", "Run workers for a coordinator on another machine (taskfarm run --listen)");
  host->footer(R"(The agent connects to the coordinator, starts --workers local worker processes, runs
the tasks it is sent and relays the results; it holds this machine's share of every rate
limit. It ends when the coordinator's run ends (exit 0), when the coordinator is silent past
its heartbeat timeout (1; the coordinator re-sends our tasks elsewhere), when it cannot join
(2: no answer, or its key refused), or on SIGINT/SIGTERM (130/143).

Keys (CurveZMQ): DIR holds this host's public.key and secret.key (0600) and the
coordinator's public key as coordinator.key; the coordinator's authorized_keys must list this
host's public.key. `taskfarm keygen DIR` makes a directory that serves both sides.

Example:
  taskfarm run --listen tcp://0.0.0.0:5555 --keys keys --burn 100000     # on the coordinator
  taskfarm host --connect tcp://coordinator:5555 --keys keys --workers 8  # on each host)");
  host->add_option("--connect", config->connect, "tcp://ADDR:PORT of the coordinator")
      ->required();
  host->add_option("--workers", config->workers, "worker processes (default: number of cores)")
      ->check(CLI::Range(1u, defaults::kMaxWorkers));
  host->add_option("--keys", config->keys_dir,
                   "DIR with this host's key pair and coordinator.key (taskfarm keygen DIR)");
  host->add_flag("--insecure", config->insecure,
                 "join over plain TCP (the coordinator must run with --insecure too)");
  host->add_option("--join-timeout", *join_timeout_s,
                   "seconds to wait for the coordinator's answer (30)")
      ->check(CLI::Range(0.1, 86400.0));
  host->callback([config, join_timeout_s, exit_status, &program] {
    if (config->connect.rfind("tcp://", 0) != 0) {
      std::cerr << "taskfarm host: --connect " << config->connect
                << ": expected tcp://ADDR:PORT\n";
      *exit_status = exit_codes::kBadUsage;
      return;
    }
    if (config->keys_dir.empty() == !config->insecure) {
      std::cerr << "taskfarm host: give --keys DIR (CurveZMQ) or --insecure, not "
                << (config->insecure ? "both" : "neither") << '\n';
      *exit_status = exit_codes::kBadUsage;
      return;
    }
    config->worker_executable = program.worker_executable;
    config->worker_leading_args = program.worker_leading_args;
    config->join_timeout = std::chrono::milliseconds(std::llround(*join_timeout_s * 1000));
    *exit_status = RunHostAgent(*config);
  });
}

void AddKeygenCommand(CLI::App& app, int* exit_status) {
  auto dir = std::make_shared<std::string>();
  CLI::App* keygen = app.add_subcommand("keygen", "Write a CurveZMQ key pair for remote hosts");
  keygen->footer(R"(Writes DIR/public.key and DIR/secret.key (mode 0600; refuses to overwrite one), and, when
missing, DIR/authorized_keys (listing the new public key) and DIR/coordinator.key (a copy of
it): one directory on a shared file system then serves the coordinator (--keys DIR) and every
host (--keys DIR). For a key pair per host, run keygen on each host, append each host's
public.key to the coordinator's authorized_keys, and copy the coordinator's public.key to each
host's coordinator.key.)");
  keygen->add_option("DIR", *dir, "directory for the keys (created 0700)")->required();
  keygen->callback([dir, exit_status] {
    try {
      const CurveKeyPair keys = WriteNewKeyPair(*dir);
      std::cout << "public key " << keys.public_key << " written to " << *dir
                << "/public.key (secret: " << *dir << "/secret.key)\n";
    } catch (const std::exception& e) {
      std::cerr << "taskfarm keygen: " << e.what() << '\n';
      *exit_status = exit_codes::kBadUsage;
    }
  });
}

}  // namespace taskfarm

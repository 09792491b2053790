// Remote hosts: `taskfarm host` agents joining a coordinator started with --listen, over TCP
// on 127.0.0.1 with CurveZMQ. Each agent is a separate process with its own workers, run
// directory and shared-memory buckets, as it would be on another machine.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <zmq.hpp>

#include "shared/wire.h"
#include "tests/processes/network_lan.h"
#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::seconds;

// Most requests the service may see in one second when three buckets share 60/s: halfway
// between the rate and what a bucket that starts full would add (60 more).
constexpr int kSharedRateBound = 90;


std::string Keygen(const TempDir& tmp, const std::string& name) {
  const auto dir = tmp / name;
  EXPECT_EQ(RunTaskfarm({"keygen", dir.string()}, tmp).exit_code, 0);
  return dir.string();
}

struct Cluster {
  std::string endpoint;
  std::string keys;
};

Cluster MakeCluster(const TempDir& tmp) {
  return {"tcp://127.0.0.1:" + std::to_string(FreePort()), Keygen(tmp, "keys")};
}

std::unique_ptr<Taskfarm> StartHost(const Cluster& cluster, const TempDir& tmp, int workers,
                                    const std::string& keys = "",
                                    const std::vector<std::string>& wrapper = {}) {
  return std::make_unique<Taskfarm>(
      std::vector<std::string>{"host", "--connect", cluster.endpoint, "--keys",
                               keys.empty() ? cluster.keys : keys, "--workers",
                               std::to_string(workers), "--log-level", "info"},
      tmp, std::map<std::string, std::string>{}, wrapper);
}

// The coordinator's side; with `hosts`, tasks wait until that many hosts have joined.
std::vector<std::string> ListenArgs(const Cluster& cluster, int hosts = 0) {
  return {"--listen", cluster.endpoint, "--keys", cluster.keys, "--wait-hosts",
          std::to_string(hosts)};
}

// Every task id in a results file, with how often it appears.
std::map<uint64_t, int> TaskCounts(const std::filesystem::path& results) {
  std::map<uint64_t, int> counts;
  for (const auto& row : ReadJsonLines(results)) ++counts[row["id"].get<uint64_t>()];
  return counts;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Runs the coordinator, `args` plus ListenArgs(cluster, hosts), to completion and returns
// its summary, after checking that it succeeded and that the local pool and each of the
// `hosts` hosts ran tasks.
nlohmann::json RunOnEveryHost(std::vector<std::string> args, const Cluster& cluster, int hosts,
                              const TempDir& tmp) {
  RunOutput run = RunTaskfarm(Concat(std::move(args), ListenArgs(cluster, hosts)), tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["hosts"].size(), static_cast<std::size_t>(hosts + 1)) << summary.dump();
  for (const auto& [name, host] : summary["hosts"].items()) {
    EXPECT_GT(host["tasks"].get<int>(), 0) << name << " got no task: " << summary.dump();
  }
  return summary;
}

TEST(RemoteHosts, TasksAreSpreadOverTheLocalPoolAndBothHosts) {
  TempDir tmp;
  const Cluster cluster = MakeCluster(tmp);
  auto first = StartHost(cluster, tmp, 2);
  auto second = StartHost(cluster, tmp, 2);
  // Sleep tasks: the spread does not depend on how busy this machine's cores are.
  const auto summary = RunOnEveryHost({"run", "--sleep", "400", "--sleep-ms", "20", "--workers",
                                       "1", "--out", (tmp / "r.jsonl").string(), "--json",
                                       "--quiet"},
                                      cluster, 2, tmp);
  uint64_t total = 0;
  for (const auto& [name, host] : summary["hosts"].items()) {
    EXPECT_FALSE(host["lost"].get<bool>());
    total += host["tasks"].get<uint64_t>();
  }
  EXPECT_EQ(total, 400u);
  EXPECT_EQ(summary["workers"], 5);
  const auto counts = TaskCounts(tmp / "r.jsonl");
  ASSERT_EQ(counts.size(), 400u);
  for (const auto& [id, count] : counts) EXPECT_EQ(count, 1) << "task " << id;
  // The run's end stops the agents: exit 0, and nothing of theirs is left.
  EXPECT_EQ(first->Wait(seconds(10)).exit_code, 0);
  EXPECT_EQ(second->Wait(seconds(10)).exit_code, 0);
  ExpectNothingLeft(tmp);
}

TEST(RemoteHosts, HostWithoutAnAuthorizedKeyIsRefusedAndGetsNoTask) {
  TempDir tmp;
  const Cluster cluster = MakeCluster(tmp);
  // A key pair of its own, which the coordinator's authorized_keys does not list; it knows
  // the coordinator's public key, so the handshake reaches the authentication.
  const std::string stranger = Keygen(tmp, "stranger");
  std::filesystem::copy_file(cluster.keys + "/public.key", stranger + "/coordinator.key",
                             std::filesystem::copy_options::overwrite_existing);
  Taskfarm coordinator(Concat({"run", "--sleep", "100", "--sleep-ms", "20", "--workers", "1",
                               "--json", "--quiet"},
                              ListenArgs(cluster)),
                       tmp);
  RunOutput refused = StartHost(cluster, tmp, 2, stranger)->Wait(seconds(30));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("refused this host's key"), std::string::npos) << refused.err;
  RunOutput run = coordinator.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("not in authorized_keys"), std::string::npos) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  ASSERT_EQ(summary["hosts"].size(), 1u) << "only the local pool: " << summary.dump();
  EXPECT_EQ(summary["hosts"]["local"]["tasks"], 100);
  EXPECT_EQ(summary["workers"], 1);
}

TEST(RemoteHosts, KilledHostCostsARetryAndEveryTaskHasExactlyOneResult) {
  TempDir tmp;
  const Cluster cluster = MakeCluster(tmp);
  auto doomed = StartHost(cluster, tmp, 2);
  auto survivor = StartHost(cluster, tmp, 1);
  const int total = 600;
  Taskfarm coordinator(Concat({"run", "--sleep", std::to_string(total), "--sleep-ms", "10",
                               "--workers", "1", "--heartbeat-timeout", "2", "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              ListenArgs(cluster, 2)),
                       tmp);
  // Once the doomed host has finished some tasks, kill it (and so, through their parent
  // watch, its workers) without a word to the coordinator.
  ASSERT_TRUE(WaitFor([&] { return ReadJsonLines(tmp / "r.jsonl").size() > 100; }, seconds(30)));
  doomed->Signal(SIGKILL);
  RunOutput run = coordinator.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto counts = TaskCounts(tmp / "r.jsonl");
  ASSERT_EQ(counts.size(), static_cast<std::size_t>(total));
  for (const auto& [id, count] : counts) ASSERT_EQ(count, 1) << "task " << id;
  const auto summary = nlohmann::json::parse(run.out);
  int lost = 0;
  for (const auto& [name, host] : summary["hosts"].items()) lost += host["lost"].get<bool>();
  EXPECT_EQ(lost, 1) << summary.dump();
  EXPECT_NE(run.err.find("no word from it"), std::string::npos) << run.err;
  EXPECT_EQ(survivor->Wait(seconds(10)).exit_code, 0);
  ExpectNothingLeft(tmp);
}

// Geocodes `places` places on the local pool (one worker) and two hosts of one worker each,
// against `server`, with `rate_args`; returns the run's summary.
nlohmann::json GeocodeOnTwoHostsAndTheLocalPool(const TempDir& tmp, const GeoServerProcess& server,
                                                int places,
                                                std::vector<std::string> rate_args) {
  const Cluster cluster = MakeCluster(tmp);
  auto first = StartHost(cluster, tmp, 1);
  auto second = StartHost(cluster, tmp, 1);
  return RunOnEveryHost(Concat({"run", "--geocode", PlacesFile(tmp, places).string(),
                                "--provider", "nominatim", "--endpoint", server.url(),
                                "--workers", "1", "--json", "--quiet"},
                               std::move(rate_args)),
                        cluster, 2, tmp);
}

TEST(RemoteHosts, GlobalRateHoldsAcrossTwoHostsAndTheLocalPool) {
  TempDir tmp;
  GeoServerProcess server({"--latency-ms", "10"}, tmp);
  const auto summary =
      GeocodeOnTwoHostsAndTheLocalPool(tmp, server, 300, {"--rate", "nominatim=60/s"});
  const auto stats = server.Stats();
  EXPECT_EQ(stats["requests"], 300);
  // Each of the three buckets has its share (20/s each), so the sum is the limit: 60 in a
  // second, plus the jitter of arrival times at the server (see the single-host test). A
  // share that is not divided gives each bucket the whole rate: 180 in a second. The bound
  // sits well between; the wall time below checks the mean rate.
  EXPECT_LE(stats["max_in_a_second"].get<int>(), kSharedRateBound) << stats.dump();
  EXPECT_GE(summary["wall_s"].get<double>(), 300.0 / 60 - 1.1)
      << "300 at 60/s (one second's burst) cannot take much less than 4 s";
}

TEST(RemoteHosts, AStrictRateSharedByHostsNeverGivesTheServiceMoreThanItsCount) {
  // 20 a second strictly, shared by the local pool and two hosts: a third each (6.67) would
  // let each bucket grant 7 in some second, 21 in all; whole shares (6, 7, 7) add up to 20.
  // The service refuses a request that would make 21 in the last second (sliding).
  TempDir tmp;
  GeoServerProcess server({"--max-rate", "20"}, tmp);
  GeocodeOnTwoHostsAndTheLocalPool(tmp, server, 120, {"--rate", "nominatim=20/s", "--strict-rate"});
  const auto stats = server.Stats();
  EXPECT_EQ(stats["requests"], 120) << stats.dump();
  EXPECT_EQ(stats["refused"], 0) << stats.dump();
  EXPECT_LE(stats["max_in_a_second"].get<int>(), 20) << stats.dump();
}

TEST(RemoteHosts, HostsInNetworkNamespacesOfTheirOwnShareTheTasksAndTheRate) {
  std::unique_ptr<NetworkLan> lan;
  try {
    lan = std::make_unique<NetworkLan>(2);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "cannot create network namespaces here (" << e.what()
                 << "; needs root and iproute2); the tests on 127.0.0.1 cover the same paths";
  }
  TempDir tmp;
  // The service and the coordinator listen on the LAN, where the hosts reach them from
  // addresses of their own.
  GeoServerProcess server({"--listen", lan->gateway() + ":0", "--latency-ms", "10"}, tmp);
  const Cluster cluster{"tcp://" + lan->gateway() + ":" + std::to_string(FreePort()),
                        Keygen(tmp, "keys")};
  auto first = StartHost(cluster, tmp, 1, "", lan->exec_prefix(0));
  auto second = StartHost(cluster, tmp, 1, "", lan->exec_prefix(1));
  RunOnEveryHost({"run", "--geocode", PlacesFile(tmp, 200).string(), "--provider", "nominatim",
                  "--endpoint", server.url(), "--rate", "nominatim=60/s", "--workers", "1",
                  "--out", (tmp / "r.jsonl").string(), "--json", "--quiet"},
                 cluster, 2, tmp);
  EXPECT_EQ(TaskCounts(tmp / "r.jsonl").size(), 200u);
  const auto stats = server.Stats();
  EXPECT_EQ(stats["requests"], 200);
  EXPECT_LE(stats["max_in_a_second"].get<int>(), kSharedRateBound) << stats.dump();
  EXPECT_EQ(first->Wait(seconds(10)).exit_code, 0);
  EXPECT_EQ(second->Wait(seconds(10)).exit_code, 0);
}

TEST(RemoteHosts, ListeningWithoutKeysIsRefusedUnlessInsecure) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--noop", "10", "--listen", "tcp://127.0.0.1:0"}, tmp);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("needs --keys DIR"), std::string::npos) << run.err;
  RunOutput insecure = RunTaskfarm(
      {"run", "--noop", "10", "--listen", "tcp://127.0.0.1:0", "--insecure", "--workers", "1"},
      tmp);
  EXPECT_EQ(insecure.exit_code, 0) << insecure.err;
  EXPECT_NE(insecure.err.find("without authentication"), std::string::npos) << insecure.err;
  RunOutput bad = RunTaskfarm({"host", "--connect", "localhost:5555", "--insecure"}, tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("expected tcp://ADDR:PORT"), std::string::npos) << bad.err;
  const std::string keys = Keygen(tmp, "k");
  EXPECT_EQ(std::filesystem::status(keys + "/secret.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::permissions(keys + "/secret.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  RunOutput exposed = RunTaskfarm(
      {"run", "--noop", "10", "--listen", "tcp://127.0.0.1:0", "--keys", keys}, tmp);
  EXPECT_EQ(exposed.exit_code, 2);
  EXPECT_NE(exposed.err.find("readable by group or others"), std::string::npos) << exposed.err;
}

// Local agents need no keys from the user: the run makes a key pair of its own, encrypts
// with it, and removes it at the end.
TEST(RemoteHosts, LocalHostsWorkWithoutKeysGiven) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--burn", "200", "--launcher", "local", "--hosts", "2",
                               "--workers", "0", "--wait-hosts", "2", "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["burn"]["done"], 200);
  int hosts_with_tasks = 0;
  for (const auto& [name, host] : summary["hosts"].items()) {
    if (name != "local" && host["tasks"].get<int>() > 0) ++hosts_with_tasks;
  }
  EXPECT_EQ(hosts_with_tasks, 2) << summary["hosts"].dump();
  EXPECT_EQ(run.err.find("without authentication"), std::string::npos) << "not --insecure";
  ExpectNothingLeft(tmp);  // the run's key directory included
}

// Agents that cannot start (here: no coordinator.key for them) are reported with how they
// ended; with no local pool, the run stops with the reason instead of waiting forever.
TEST(RemoteHosts, LaunchedAgentsThatAllFailEndTheRunWithAReason) {
  TempDir tmp;
  const std::string keys = Keygen(tmp, "k");
  std::filesystem::remove(keys + "/coordinator.key");
  RunOutput run = RunTaskfarm({"run", "--burn", "10", "--launcher", "local", "--hosts", "2",
                               "--workers", "0", "--keys", keys},
                              tmp);
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_NE(run.err.find("coordinator.key: cannot read"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("host agent 2 of 2 (taskfarm host) ended: exit status 2"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("every host agent the launcher started has ended"), std::string::npos)
      << run.err;
  // With a local pool the run goes on without them.
  RunOutput local = RunTaskfarm({"run", "--burn", "10", "--launcher", "local", "--hosts", "1",
                                 "--workers", "1", "--keys", keys, "--json", "--quiet"},
                                tmp);
  EXPECT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(nlohmann::json::parse(local.out)["kinds"]["burn"]["done"], 10);
  ExpectNothingLeft(tmp);
}

// A host that asks for far more workers than it has, then vanishes before any of them says
// Hello: it gets --max-host-workers at most, and its loss costs only its own (task-less)
// workers; the local pool finishes the run.
TEST(RemoteHosts, AHostThatVanishesBeforeItsWorkersStartCostsOnlyItself) {
  TempDir tmp;
  Taskfarm farm({"run", "--listen", "tcp://127.0.0.1:0", "--insecure", "--sleep", "30",
                 "--sleep-ms", "100", "--workers", "1", "--heartbeat-timeout", "1",
                 "--max-host-workers", "12", "--json", "--quiet"},
                tmp);
  std::string endpoint;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string err = ReadFile(farm.stderr_path());
        const std::string line = "accepting remote hosts on ";
        auto at = err.find(line);
        if (at == std::string::npos || err.find('\n', at) == std::string::npos) return false;
        at += line.size();
        endpoint = err.substr(at, err.find('\n', at) - at);
        return true;
      },
      std::chrono::milliseconds(10000)));
  {
    zmq::context_t context(1);
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 1000);
    dealer.connect(endpoint);
    msgpack::sbuffer hello;
    wire::Encode(wire::HostHello{"phantom", 4242, 4294967295u, wire::kWireVersion}, hello);
    dealer.send(zmq::buffer(hello.data(), hello.size()));
  }  // closed: the host is gone, its workers never start
  RunOutput run = farm.Wait();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary.at("unfinished").get<int>(), 0);
  EXPECT_EQ(summary.at("tasks").get<int>(), 30);
  const auto& phantom = summary.at("hosts").at("phantom:4242");
  EXPECT_EQ(phantom.at("workers").get<int>(), 12);  // more than the 10 failed starts that end a run
  EXPECT_TRUE(phantom.at("lost").get<bool>());
  EXPECT_NE(run.err.find("asked for 4294967295 workers; it gets 12"), std::string::npos) << run.err;
}

// The dashboard shows a remote worker's CPU and memory as it shows a local one's: each worker
// reports its own figures in its Reports, and a host agent passes them on.
TEST(RemoteHosts, TheDashboardShowsEveryWorkersCpuAndMemoryLocalOrRemote) {
  TempDir tmp;
  const Cluster cluster = MakeCluster(tmp);
  auto host = StartHost(cluster, tmp, 1);
  Taskfarm run(Concat({"run", "--burn", "400", "--burn-us", "5000", "--workers", "1",
                       "--dashboard", "0", "--dashboard-linger", "60", "--quiet"},
                      ListenArgs(cluster, 1)),
               tmp);
  std::string url;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string err = ReadFile(run.stderr_path());
        const auto at = err.find("dashboard at ");
        if (at != std::string::npos) url = err.substr(at + 13, err.find('\n', at) - at - 13);
        return !url.empty();
      },
      std::chrono::milliseconds(20'000)));
  nlohmann::json remote, local;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string body = HttpGet(url + "status.json");
        if (body.empty()) return false;
        const auto status = nlohmann::json::parse(body);
        for (const auto& worker : status["workers"]) {
          if (worker["rss_bytes"].is_null() || worker["cpu_s"].get<double>() <= 0) continue;
          (worker["host"] == "local" ? local : remote) = worker;
        }
        return !remote.is_null() && !local.is_null();
      },
      std::chrono::milliseconds(60'000)))
      << "local " << local << ", remote " << remote << " at " << url;
  EXPECT_GT(remote["rss_bytes"].get<double>(), 1e6) << remote;
  EXPECT_GT(local["rss_bytes"].get<double>(), 1e6) << local;
  ASSERT_TRUE(WaitFor([&] { return ReadFile(run.stderr_path()).find("dashboard stays up") != std::string::npos; },
                      std::chrono::milliseconds(60'000)));
  run.Signal(SIGINT);
  EXPECT_EQ(run.Wait(std::chrono::seconds(30)).exit_code, 0);
  host->Wait(std::chrono::seconds(30));
}

}  // namespace
}  // namespace taskfarm::testing

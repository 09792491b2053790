// Host agents launched through a real Slurm: a private single-node cluster for each test
// (tests/slurm/local-cluster: its own munged, slurmctld and slurmd), `taskfarm run
// --launcher slurm`, and what must hold afterwards: every task done once, no job in squeue,
// no agent left. Skipped, with the reason, where Slurm cannot run (not root, not installed).

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <map>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

using std::chrono::seconds;

// Output and exit status of a shell command.
std::pair<std::string, int> Shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {"", -1};
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

class SlurmCluster {
 public:
  explicit SlurmCluster(const TempDir& tmp) : dir_((tmp / "slurm").string()) {
    const auto [out, status] = Shell(Script() + " start '" + dir_ + "' 2>&1");
    if (status == 0) {
      conf_ = out.substr(0, out.find('\n'));
    } else {
      why_ = status == 77 ? "Slurm cannot run here: " + out : "";
      EXPECT_EQ(status, 77) << "the local Slurm cluster did not start: " << out;
    }
  }
  ~SlurmCluster() { Shell(Script() + " stop '" + dir_ + "' 2>&1"); }

  bool running() const { return !conf_.empty(); }
  const std::string& why() const { return why_; }
  std::map<std::string, std::string> env() const { return {{"SLURM_CONF", conf_}}; }
  /// squeue's job lines (none when no job is queued or running).
  std::string Queue() const { return Shell("SLURM_CONF='" + conf_ + "' squeue -h").first; }
  int Cancel(const std::string& job_name) const {
    return Shell("SLURM_CONF='" + conf_ + "' scancel --name='" + job_name + "'").second;
  }

 private:
  static std::string Script() {
    return std::string(TASKFARM_SOURCE_DIR) + "/tests/slurm/local-cluster";
  }
  std::string dir_;
  std::string conf_;
  std::string why_;
};

std::vector<std::string> SlurmRun(const TempDir& tmp, int burn, int burn_us) {
  EXPECT_EQ(RunTaskfarm({"keygen", (tmp / "keys").string()}, tmp).exit_code, 0);
  return {"run", "--burn", std::to_string(burn), "--burn-us", std::to_string(burn_us),
          "--workers", "1", "--listen", "tcp://127.0.0.1:0", "--keys", (tmp / "keys").string(),
          "--launcher", "slurm", "--hosts", "2", "--workers-per-host", "1", "--wait-hosts",
          "2", "--out", (tmp / "r.jsonl").string(), "--json", "--quiet"};
}

void ExpectEachTaskOnce(const TempDir& tmp, int total) {
  std::map<uint64_t, int> seen;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) ++seen[row["id"].get<uint64_t>()];
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(total));
  for (const auto& [id, count] : seen) ASSERT_EQ(count, 1) << "task " << id;
}

// No agent (its command line names the keys) and no worker (it names its run directory)
// is left; the cluster's own daemons, which also mention `tmp`, are.
void ExpectNoAgentLeft(const TempDir& tmp) {
  EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning((tmp / "keys").string()).empty(); },
                      seconds(10)));
  EXPECT_TRUE(ProcessesMentioning((tmp / "taskfarm-").string()).empty());
  EXPECT_TRUE(RunDirectoriesIn(tmp.path()).empty());
}

TEST(Slurm, TwoAgentsAndTheLocalPoolShareTheRunAndNoJobIsLeft) {
  TempDir tmp;
  SlurmCluster cluster(tmp);
  if (!cluster.running()) GTEST_SKIP() << cluster.why();
  RunOutput run = RunTaskfarm(SlurmRun(tmp, 5000, 300), tmp, cluster.env());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  ASSERT_EQ(summary["hosts"].size(), 3u) << summary.dump();
  for (const auto& [name, host] : summary["hosts"].items()) {
    EXPECT_GT(host["tasks"].get<int>(), 0) << name << " got no task: " << summary.dump();
  }
  ExpectEachTaskOnce(tmp, 5000);
  EXPECT_EQ(cluster.Queue(), "") << "jobs left in squeue";
  ExpectNoAgentLeft(tmp);
}

TEST(Slurm, ScancelOfOneAgentMidRunCostsARetryAndEveryTaskHasOneResult) {
  TempDir tmp;
  SlurmCluster cluster(tmp);
  if (!cluster.running()) GTEST_SKIP() << cluster.why();
  Taskfarm farm(SlurmRun(tmp, 5000, 1000), tmp, cluster.env());
  // Once results flow (the output is flushed every second), Slurm takes one agent away.
  ASSERT_TRUE(WaitFor([&] { return ReadJsonLines(tmp / "r.jsonl").size() > 300; },
                      seconds(60)));
  EXPECT_EQ(cluster.Cancel("taskfarm-" + std::to_string(farm.pid()) + "-0"), 0);
  RunOutput run = farm.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectEachTaskOnce(tmp, 5000);
  const auto summary = nlohmann::json::parse(run.out);
  int lost = 0;
  for (const auto& [name, host] : summary["hosts"].items()) lost += host["lost"].get<bool>();
  EXPECT_EQ(lost, 1) << summary.dump();
  EXPECT_EQ(cluster.Queue(), "") << "jobs left in squeue";
  ExpectNoAgentLeft(tmp);
}

}  // namespace
}  // namespace taskfarm::testing

#!/usr/bin/env python3
"""Scale benchmark (issue #22): real `taskfarm host` agents, each in a network namespace of
its own, reach one real coordinator over CurveZMQ through taskfarm-relay, which gives every
link a round trip (and jitter). Needs root.

  credit  one remote worker at each round trip (0.2, 5, 20, 50, 100 ms) against one local
          worker, on 10 ms tasks (sleep: the figure is the farm's, not the cores'), tasks per
          second of busy time, interleaved; and a run of uneven tasks on 4 remote workers
          50 ms away against the best schedule of the run times they measured.
  hosts   10, 50, 100, 200 hosts of one worker each, 20 ms away: noop dispatch and short
          burn tasks, the coordinator's CPU share and peak RSS.

Usage: bench/scale.py BUILD_DIR [credit|hosts|all] [--rounds N]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netlan  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A LAN of `hosts` namespaces and a relay of `rtt_ms` in front of the coordinator."""

    def __init__(self, build, lan, keys):
        self.build, self.lan, self.keys = build, lan, keys

    def run(self, hosts, rtt_ms, tasks, local_workers=0, workers_per_host=1):
        port = free_port()
        relay = subprocess.Popen(
            [f"{self.build}/taskfarm-relay", "--listen", f"{self.lan.gateway}:0", "--to",
             f"127.0.0.1:{port}", "--rtt-ms", str(rtt_ms), "--jitter-ms", str(rtt_ms / 20)],
            stdout=subprocess.PIPE, text=True)
        relay_port = relay.stdout.readline().strip().rsplit(":", 1)[1]
        agents = [subprocess.Popen(
            self.lan.exec_prefix(i) + [f"{self.build}/taskfarm", "host", "--connect",
                                       f"tcp://{self.lan.gateway}:{relay_port}", "--keys",
                                       self.keys, "--workers", str(workers_per_host)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(hosts)]
        try:
            result = harness.measure(
                [f"{self.build}/taskfarm", "run", "--json", "--quiet", "--workers",
                 str(local_workers), "--listen", f"tcp://127.0.0.1:{port}", "--keys", self.keys,
                 "--wait-hosts", str(hosts), "--wait-hosts-timeout", "120", *tasks],
                capture=True)
        finally:
            for agent in agents:
                try:
                    agent.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    agent.kill()
            relay.terminate()
            relay.wait()
        result["summary"] = json.loads(result["stdout"]) if result["rc"] == 0 else {}
        return result


def local_run(build, tasks, out=None):
    result = harness.measure([f"{build}/taskfarm", "run", "--json", "--quiet", "--workers", "1",
                              *tasks], capture=True)
    result["summary"] = json.loads(result["stdout"])
    return result


def per_busy_second(result):
    summary = result["summary"]
    return summary["tasks"] / summary["busy_s"]


def credit(build, cluster, rounds):
    tasks = ["--sleep", "300", "--sleep-ms", "10"]
    print("## A remote worker against a local one (300 tasks of 10 ms, sleep)")
    print(f"{rounds} rounds interleaved; load average {harness.load_average():.2f} at start\n")
    variants = {"local": lambda: local_run(build, tasks)}
    for rtt in (0.2, 5, 20, 50, 100):
        variants[f"{rtt} ms"] = (lambda rtt=rtt: cluster.run(1, rtt, tasks))
    samples = harness.interleave(variants, rounds=rounds)
    local = statistics.median(per_busy_second(s) for s in samples["local"])
    print("| worker | round trip | tasks/s (median) | min | of local | of ideal (100/s) |")
    print("|---|---|---|---|---|---|")
    for name, runs in samples.items():
        rates = [per_busy_second(s) for s in runs]
        where = "local" if name == "local" else "remote"
        rtt = "0" if name == "local" else name
        print(f"| {where} | {rtt} | {statistics.median(rates):.1f} | {min(rates):.1f} | "
              f"{statistics.median(rates) / local:.1%} | {statistics.median(rates) / 100:.1%} |")
    fifty = statistics.median(per_busy_second(s) for s in samples["50 ms"])
    harness.check(fifty >= 0.9 * local, f"50 ms away: {fifty / local:.1%} of a local worker (>= 90%)")
    print(f"load average {harness.load_average():.2f} at end\n")

    print("## Uneven tasks on 4 remote workers 50 ms away (200 sleeps: 1,1,1,1,200 ms)")
    spans = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.jsonl")
            result = cluster.run(4, 50, ["--sleep", "200", "--sleep-ms", "1,1,1,1,200",
                                         "--out", out])
            run_ms = [json.loads(line)["run_ms"] for line in open(out)]
        best = max(sum(run_ms) / 4, max(run_ms)) / 1000
        spans.append((result["summary"]["busy_s"], best))
    ratios = [busy / best for busy, best in spans]
    print(f"makespan / best schedule: median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f} (best {spans[0][1]:.2f} s; busy includes one round trip "
          f"at the start and one at the end)")
    harness.check(statistics.median(ratios) <= 1.15, "uneven tasks within 15% of the best schedule")
    print()


def hosts(build, cluster, rounds, counts):
    print("## Hosts of one worker each, 20 ms away: the coordinator's limits")
    print(f"median of {rounds}; load average {harness.load_average():.2f} at start\n")
    print("| hosts | noop tasks/s | burn 100 us tasks/s | coordinator CPU share (noop) | "
          "coordinator peak RSS MB |")
    print("|---|---|---|---|---|")
    for count in counts:
        noop, burn, cpu_share, rss = [], [], [], []
        for _ in range(rounds):
            n = cluster.run(count, 20, ["--noop", "200000"])
            noop.append(n["summary"]["tasks"] / n["summary"]["busy_s"])
            cpu_share.append(n["cpu_s"] / n["wall_s"])
            rss.append(n["max_rss_mb"])
            b = cluster.run(count, 20, ["--burn", "20000", "--burn-us", "100"])
            burn.append(b["summary"]["tasks"] / b["summary"]["busy_s"])
        print(f"| {count} | {statistics.median(noop):,.0f} | {statistics.median(burn):,.0f} | "
              f"{statistics.median(cpu_share):.0%} | {statistics.median(rss):.0f} |")
    print(f"load average {harness.load_average():.2f} at end\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("which", nargs="?", default="all", choices=["credit", "hosts", "all"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hosts", default="10,50,100,200")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    counts = [int(c) for c in args.hosts.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys")
        subprocess.run([f"{build}/taskfarm", "keygen", keys], check=True, capture_output=True)
        with netlan.Lan(max(counts + [4])) as lan:
            cluster = Cluster(build, lan, keys)
            if args.which in ("credit", "all"):
                credit(build, cluster, args.rounds)
            if args.which in ("hosts", "all"):
                hosts(build, cluster, max(1, args.rounds // 3), counts)
    sys.exit(1 if harness.failures() else 0)


if __name__ == "__main__":
    main()

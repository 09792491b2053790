#!/usr/bin/env python3
"""Scale benchmark (issue #22): real `taskfarm host` agents, each in a network namespace of
its own, reach one real coordinator over CurveZMQ through taskfarm-relay, which gives every
link a round trip (and jitter). Needs root.

  credit  one remote worker at each round trip (0.2, 5, 20, 50, 100 ms) against one local
          worker, on 10 ms tasks (sleep: the figure is the farm's, not the cores'), tasks per
          second of busy time, interleaved; then uneven.
  uneven  uneven tasks (sleeps of 1,1,1,1,200 ms) on 4 remote workers 50 ms away against
          the best schedule of the run times they measured, and the tasks given back.
  hosts   10, 50, 100, 200 hosts of one worker each, 20 ms away: noop dispatch and short
          burn tasks, the coordinator's CPU share and peak RSS; with --profile, where the
          coordinator's time goes (perf) at the largest count.
  churn   16 hosts 20 ms away (0.1% loss) running 100,000 tasks beside rate-limited lookups,
          while every half second a host is killed, partitioned (its link down for 3 s) or
          stopped cleanly and a new one joins: every task exactly once, the service never
          above the rate (the bucket's rate + burst; with --strict-rate, its N in any
          second), and the coordinator's memory against the hosts that left
          (--churn-tasks N for a longer run).

Usage: bench/scale.py BUILD_DIR [credit|uneven|hosts|churn|all] [--rounds N] [--profile]
       [--strict-rate] [--churn-tasks N]
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
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netlan  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def end_agents(agents):
    """Waits for host agents to leave (the run's end tells them to); kills any that linger."""
    for agent in agents:
        try:
            agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


class Cluster:
    """A LAN of `hosts` namespaces and a relay of `rtt_ms` in front of the coordinator."""

    def __init__(self, build, lan, keys):
        self.build, self.lan, self.keys = build, lan, keys

    def start_relay(self, port, rtt_ms, loss=0):
        relay = subprocess.Popen(
            [f"{self.build}/taskfarm-relay", "--listen", f"{self.lan.gateway}:0", "--to",
             f"127.0.0.1:{port}", "--rtt-ms", str(rtt_ms), "--jitter-ms", str(rtt_ms / 20),
             "--loss", str(loss)],
            stdout=subprocess.PIPE, text=True)
        return relay, relay.stdout.readline().strip().rsplit(":", 1)[1]

    def start_host(self, i, relay_port, workers=1):
        return subprocess.Popen(
            self.lan.exec_prefix(i) + [f"{self.build}/taskfarm", "host", "--connect",
                                       f"tcp://{self.lan.gateway}:{relay_port}", "--keys",
                                       self.keys, "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def run(self, hosts, rtt_ms, tasks, local_workers=0, workers_per_host=1, wrapper=()):
        port = free_port()
        relay, relay_port = self.start_relay(port, rtt_ms)
        agents = [self.start_host(i, relay_port, workers_per_host) for i in range(hosts)]
        try:
            result = harness.measure(
                [*wrapper, f"{self.build}/taskfarm", "run", "--json", "--quiet", "--workers",
                 str(local_workers), "--listen", f"tcp://127.0.0.1:{port}", "--keys", self.keys,
                 "--wait-hosts", str(hosts), "--wait-hosts-timeout", "120", *tasks],
                capture=True)
        finally:
            end_agents(agents)
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


def uneven(cluster, rounds):
    print("## Uneven tasks on 4 remote workers 50 ms away (200 sleeps: 1,1,1,1,200 ms)")
    spans, returned = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.jsonl")
            result = cluster.run(4, 50, ["--sleep", "200", "--sleep-ms", "1,1,1,1,200",
                                         "--out", out])
            run_ms = [json.loads(line)["run_ms"] for line in open(out)]
        best = max(sum(run_ms) / 4, max(run_ms)) / 1000
        spans.append((result["summary"]["busy_s"], best))
        returned.append(result["summary"]["tasks_returned"])
    ratios = [busy / best for busy, best in spans]
    print(f"tasks given back by one worker for an idle one, per run: {returned}")
    print(f"makespan / best schedule: median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f} (best {spans[0][1]:.2f} s; busy includes one round trip "
          f"at the start and one at the end)")
    harness.check(statistics.median(ratios) <= 1.15, "uneven tasks within 15% of the best schedule")
    print()


def profile(build, cluster, count):
    """Where the coordinator's time goes with `count` hosts sending noop results."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        cluster.run(count, 20, ["--noop", "400000"],
                    wrapper=["perf", "record", "-q", "-F", "499", "-g", "-o", data, "--"])
        def report(sort):
            text = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                                   "--percent-limit", "2", "-g", "none", "--sort", sort],
                                  capture_output=True, text=True).stdout
            return [" ".join(line.split())[:150] for line in text.splitlines()
                    if line.strip() and not line.startswith("#")]
        by_library, by_symbol = report("dso"), report("dso,symbol")
    print(f"### The coordinator's profile, {count} hosts, noop (perf; over 2% of its samples)\n")
    print("```text")
    print("\n".join(by_library[:10]))
    print()
    print("\n".join(by_symbol[:15]))
    print("```\n")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0


def churn(build, cluster, hosts_count=16, events_every_s=0.5, calm=False, strict=False,
          tasks=100000):
    """Hosts leave (killed, partitioned, stopped) and join every half second; with `calm`,
    the same run with no host leaving (the coordinator's memory grows with the run too)."""
    if calm:
        print(f"## The same run, calm: {hosts_count} hosts 20 ms away, 0.1% loss, none leaves\n")
    else:
        print(f"## Churn: {hosts_count} hosts 20 ms away, 0.1% loss; every {events_every_s} s "
              "one leaves (killed, partitioned for 3 s, or stopped) and another joins\n")
    with tempfile.TemporaryDirectory() as tmp:
        places = os.path.join(tmp, "places.txt")
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                              "places-1000.txt")
        with open(source) as f, open(places, "w") as out:
            chosen = f.readlines()[:600]
            out.writelines(chosen)
        # A line that is empty or a comment is no place: it has no row.
        place_rows = sum(1 for line in chosen if line.strip() and not line.startswith("#"))
        server = subprocess.Popen([f"{build}/taskfarm", "geoserver", "--listen",
                                   f"{cluster.lan.gateway}:0", "--latency-ms", "5"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = server.stdout.readline().split()[-1]
        port = free_port()
        relay, relay_port = cluster.start_relay(port, 20, loss=0.001)
        slots = list(range(hosts_count))  # namespace i runs at most one agent at a time
        agents = {i: cluster.start_host(i, relay_port) for i in slots}
        out = os.path.join(tmp, "r.jsonl")
        coordinator = subprocess.Popen(
            [f"{build}/taskfarm", "run", "--json", "--quiet", "--workers", "0", "--listen",
             f"tcp://127.0.0.1:{port}", "--keys", cluster.keys, "--wait-hosts",
             str(hosts_count), "--heartbeat-timeout", "2", "--sleep", str(tasks), "--sleep-ms",
             "2", "--geocode", places, "--provider", "nominatim", "--endpoint", url, "--rate",
             "nominatim=40/s", *(["--strict-rate"] if strict else []), "--out", out],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        while not os.path.exists(out) or os.path.getsize(out) == 0:
            time.sleep(0.05)
        rss = [(0, rss_mb(coordinator.pid))]
        departures, event, partitioned = 0, 0, {}
        kinds = ["killed", "partitioned", "stopped"]
        counts = {k: 0 for k in kinds}
        start = time.time()
        while coordinator.poll() is None:
            time.sleep(events_every_s)
            now = time.time() - start
            for i, until in list(partitioned.items()):  # heal partitions after 3 s
                if now >= until:
                    cluster.lan.set_link(i, True)
                    del partitioned[i]
            victims = [i for i in agents if i not in partitioned and agents[i].poll() is None]
            if calm:
                rss.append((0, rss_mb(coordinator.pid)))
                continue
            if not victims or coordinator.poll() is not None:
                continue
            victim = victims[event % len(victims)]
            how = kinds[event % 3]
            event += 1
            if how == "killed":
                agents[victim].kill()
            elif how == "stopped":
                agents[victim].terminate()
            else:
                cluster.lan.set_link(victim, False)
                partitioned[victim] = now + 3
            counts[how] += 1
            departures += 1
            # A newcomer takes a free namespace (one whose agent has ended).
            free = [i for i in agents if agents[i].poll() is not None and i not in partitioned]
            if free:
                agents[free[0]] = cluster.start_host(free[0], relay_port)
            rss.append((departures, rss_mb(coordinator.pid)))
        summary = json.loads(coordinator.communicate()[0])
        for i in list(partitioned):
            cluster.lan.set_link(i, True)
        stats = json.loads(urllib.request.urlopen(url + "/stats").read())
        end_agents(agents.values())
        relay.terminate()
        server.terminate()
        ids, lines = {}, {}
        for line in open(out):
            row = json.loads(line)
            if row.get("kind") == "sleep":
                ids[row["id"]] = ids.get(row["id"], 0) + 1
            elif "line" in row:
                lines[row["line"]] = lines.get(row["line"], 0) + 1
    print(f"load average {harness.load_average():.2f} at the end")
    print(f"departures: {departures} ({counts['killed']} killed, {counts['partitioned']} "
          f"partitioned, {counts['stopped']} stopped), hosts in the summary: "
          f"{len(summary['hosts']) - 1}, wall {summary['wall_s']:.1f} s")
    print(f"tasks: {len(ids)} sleeps (each once: {all(c == 1 for c in ids.values())}), "
          f"{len(lines)} lookups (each once: {all(c == 1 for c in lines.values())}); "
          f"duplicates dropped {summary['duplicates_dropped']}")
    print(f"service: {stats['requests']} requests, at most {stats['max_in_a_second']} in a "
          f"second at 40/s{' (--strict-rate)' if strict else ''}")
    first, last = rss[0][1], max(mb for _, mb in rss)
    print(f"coordinator RSS: {first:.1f} MB at the first result, at most {last:.1f} MB later, "
          f"after {departures} departures")
    if departures >= 4:  # does it grow with each host gone, or level off?
        quarters = [max(mb for d, mb in rss if d <= departures * q // 4) for q in (1, 2, 3, 4)]
        print("  highest RSS by then, after each quarter of the departures: " +
              ", ".join(f"{departures * q // 4}: {mb:.1f} MB" for q, mb in zip((1, 2, 3, 4), quarters)))
    print()
    harness.check(len(ids) == tasks and all(c == 1 for c in ids.values()),
                  "every sleep task exactly once")
    harness.check(len(lines) == place_rows and all(c == 1 for c in lines.values()),
                  f"every lookup row exactly once ({place_rows} places)")
    if strict:
        harness.check(stats["max_in_a_second"] <= 40, "--strict-rate: at most 40 in any second")
    else:
        # The bucket's contract: over any span L at most L x rate + burst (a second's worth).
        harness.check(stats["max_in_a_second"] <= 80, "at most rate + burst (80) in any second")


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
    parser.add_argument("which", nargs="?", default="all",
                        choices=["credit", "uneven", "hosts", "churn", "all"])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--churn-tasks", type=int, default=100000,
                        help="churn: sleep tasks of 2 ms (more make more departures)")
    parser.add_argument("--strict-rate", action="store_true",
                        help="churn: the lookups' rate strict (no more than 40 in any second)")
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
            if args.which in ("credit", "uneven", "all"):
                uneven(cluster, args.rounds)
            if args.which in ("hosts", "all"):
                hosts(build, cluster, max(1, args.rounds // 3), counts)
                if args.profile:
                    profile(build, cluster, max(counts))
            if args.which in ("churn", "all"):
                churn(build, cluster, calm=True, strict=args.strict_rate, tasks=args.churn_tasks)
                churn(build, cluster, strict=args.strict_rate, tasks=args.churn_tasks)
    sys.exit(1 if harness.failures() else 0)


if __name__ == "__main__":
    main()
